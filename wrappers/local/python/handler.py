"""faasforge wrapper for the ``local`` platform: serve ``function/function.py`` over HTTP.

Standard library only. ``POST /`` with a JSON object body calls ``function.handler(event)`` and
answers ``{"begin", "end", "compute_time", "request_id", "is_cold", "container_id",
"result": {"output": <handler return>}}``. ``GET /health`` answers ``ok``. Listens on ``$PORT``
(default 9000) on all interfaces.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

CONTAINER_ID = uuid.uuid4().hex[:8]
MAX_BODY = int(os.environ.get("FAASFORGE_MAX_BODY", str(64 * 1024 * 1024)))
_cold = True
_cold_lock = threading.Lock()


def _take_cold() -> bool:
    global _cold
    with _cold_lock:
        was_cold, _cold = _cold, False
    return was_cold


def invoke(event: dict, request_id: str) -> dict:
    """Run the benchmark once and build the SeBS-style measurement record."""
    is_cold = _take_cold()
    event.setdefault("request-id", request_id)
    event.setdefault("income-timestamp", time.time())
    begin = time.time()
    start = time.perf_counter()
    from function import function  # imported on first call, cached afterwards

    output = function.handler(event)
    compute_time = (time.perf_counter() - start) * 1e6
    end = time.time()
    return {
        "begin": begin,
        "end": end,
        "compute_time": compute_time,
        "results_time": 0,
        "request_id": request_id,
        "is_cold": is_cold,
        "container_id": CONTAINER_ID,
        "result": {"output": output},
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "faasforge-local/1"
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, body: bytes, content_type: str, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if close:  # an unread request body must not be parsed as the next request
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: dict, close: bool = False) -> None:
        body = json.dumps(payload, default=str).encode("utf-8")
        self._send(status, body, "application/json", close)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        path = self.path.split("?", 1)[0]
        if path in ("/health", "/healthz"):
            self._send(200, b"ok", "text/plain; charset=utf-8")
        elif path == "/":
            self._json(200, {"status": "ok", "usage": "POST / with a JSON event"})
        else:
            self._json(404, {"error": f"no route {path}"})

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path not in ("/", "/invoke", "/run"):
            self._json(404, {"error": f"no route {path}"}, close=True)
            return
        request_id = self.headers.get("X-Request-Id") or str(uuid.uuid4())
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            payload = {"error": "invalid Content-Length", "request_id": request_id}
            self._json(400, payload, close=True)
            return
        if length > MAX_BODY:
            error = f"body over {MAX_BODY} bytes"
            self._json(413, {"error": error, "request_id": request_id}, close=True)
            return
        raw = self.rfile.read(length) if length else b""
        try:
            event = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._json(400, {"error": f"body is not valid JSON: {exc}", "request_id": request_id})
            return
        if not isinstance(event, dict):
            self._json(400, {"error": "the event must be a JSON object", "request_id": request_id})
            return
        try:
            record = invoke(event, request_id)
        except Exception as exc:  # the benchmark's own failure: report it, keep serving
            traceback.print_exc()
            self._json(
                500,
                {
                    "error": f"{type(exc).__name__}: {exc}",
                    "type": type(exc).__name__,
                    "traceback": traceback.format_exc(),
                    "request_id": request_id,
                    "container_id": CONTAINER_ID,
                },
            )
            return
        self._json(200, record)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        sys.stderr.write(f"[faasforge] {self.address_string()} {format % args}\n")


def main() -> None:
    port = int(os.environ.get("PORT", "9000"))
    host = os.environ.get("HOST", "0.0.0.0")
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def stop(signum: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"[faasforge] serving function on {host}:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
