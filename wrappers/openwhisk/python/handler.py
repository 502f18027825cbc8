"""faasforge wrapper for Apache OpenWhisk (Docker action), Python.

``main(args)`` is the action entry point, as in SeBS's ``__main__.py``: it runs
``function.handler(args)`` and returns SeBS's measurement record. Run as a program, this file is
the action's own runtime: it serves OpenWhisk's action protocol on port 8080 (``POST /init`` →
``{"ok": true}``, ``POST /run`` with ``{"value": {...}, "activation_id": ...}`` → the result of
``main``), so the image works as a ``--docker`` action without uploading code.
"""

import json
import os
import signal
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, HTTPServer

ROOT = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

_COLD_MARKER = os.path.join("/tmp", "cold_run")
LOG_SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"


def main(args):
    begin = time.time()
    start = time.perf_counter()
    from function import function

    output = function.handler(args)
    compute_time = (time.perf_counter() - start) * 1e6
    end = time.time()

    is_cold = not os.path.exists(_COLD_MARKER)
    if is_cold:
        open(_COLD_MARKER, "a").close()
    return {
        "begin": begin,
        "end": end,
        "compute_time": compute_time,
        "results_time": 0,
        "is_cold": is_cold,
        "result": {"output": output},
        "request_id": os.environ.get("__OW_ACTIVATION_ID", ""),
    }


class ActionHandler(BaseHTTPRequestHandler):
    def _json(self, status, payload):
        body = json.dumps(payload, default=str).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path == "/init":  # the code is baked into the image
            self._json(200, {"ok": True})
            return
        if self.path != "/run":
            self._json(404, {"error": f"no route {self.path}"})
            return
        try:
            message = json.loads(raw) if raw.strip() else {}
            args = message.get("value") or {}
            for key, value in message.items():  # activation_id, action_name, deadline, ...
                if key != "value" and isinstance(value, str):
                    os.environ[f"__OW_{key.upper()}"] = value
            result = main(args)
            status = 200
        except Exception as exc:
            traceback.print_exc()
            result, status = {"error": f"{type(exc).__name__}: {exc}"}, 502
        finally:
            print(LOG_SENTINEL, flush=True)
            print(LOG_SENTINEL, file=sys.stderr, flush=True)
        self._json(status, result)

    def log_message(self, format, *args):  # noqa: A002
        pass


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    HTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), ActionHandler).serve_forever()
