"""faasforge wrapper for Google Cloud Run (container image), Python.

Cloud Run sends HTTP to ``$PORT`` (8080 by default). ``POST /`` with the JSON event runs
``function.handler(event)`` and answers SeBS's measurement record as JSON; ``GET /health`` → ok.
Standard library only, so the image needs no extra packages.
"""

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
_state = {"cold": True}
_lock = threading.Lock()


def _request_id(headers):
    trace = headers.get("X-Cloud-Trace-Context", "")
    return (
        headers.get("Function-Execution-Id")
        or (trace.split("/", 1)[0] if trace else "")
        or str(uuid.uuid4())
    )


def measure(event, request_id):
    with _lock:
        is_cold, _state["cold"] = _state["cold"], False
    event.setdefault("request-id", request_id)
    event.setdefault("income-timestamp", time.time())
    begin = time.time()
    start = time.perf_counter()
    from function import function

    output = function.handler(event)
    compute_time = (time.perf_counter() - start) * 1e6
    end = time.time()
    return {
        "begin": begin,
        "end": end,
        "compute_time": compute_time,
        "results_time": 0,
        "is_cold": is_cold,
        "result": {"output": output},
        "request_id": request_id,
        "container_id": CONTAINER_ID,
        "service": os.environ.get("K_SERVICE", ""),
        "revision": os.environ.get("K_REVISION", ""),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _json(self, status, payload, close=False):
        body = json.dumps(payload, default=str).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        if self.path.split("?", 1)[0] in ("/health", "/healthz"):
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self._json(404, {"error": "POST / with a JSON event"})

    def do_POST(self):  # noqa: N802
        request_id = _request_id(self.headers)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            event = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            error = f"body is not valid JSON: {exc}"
            self._json(400, {"error": error, "request_id": request_id}, close=True)
            return
        if not isinstance(event, dict):
            self._json(400, {"error": "the event must be a JSON object", "request_id": request_id})
            return
        try:
            self._json(200, measure(event, request_id))
        except Exception as exc:
            traceback.print_exc()
            self._json(500, {"error": f"{type(exc).__name__}: {exc}", "request_id": request_id})


def main():
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
