"""faasforge's action runtime for Apache OpenWhisk (Docker action), Python.

This file is the action runtime (OpenWhisk's action interface on ``$PORT``,
8080 by default): ``POST /init`` with ``{"value": {"code", "binary", "main", "env"}}`` loads the
code it is given (a base64 zip with ``__main__.py`` when ``binary``, else the source text) and its
``main``; with no code it takes the action baked into the image: ``__main__.py`` beside this file
(faasforge's, or SeBS's when its wrapper is used). ``POST /run`` with ``{"value": params,
"activation_id": ..., ...}`` sets ``__OW_*`` variables and answers the action's result.
"""

import base64
import importlib.util
import io
import json
import os
import signal
import sys
import threading
import traceback
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.abspath(__file__))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

ACTION_DIR = os.environ.get("FAASFORGE_ACTION_DIR", "/tmp/faasforge-action")
LOG_SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"


# ---------------------------------------------------------------------------- action runtime
class Runtime:
    """The state of one action container: initialised once, then run many times."""

    def __init__(self):
        self.action = None
        self.lock = threading.Lock()

    def initialize(self, value):
        if self.action is not None:
            raise PermissionError("Cannot initialize the action more than once.")
        env = value.get("env") or {}
        if not isinstance(env, dict):
            raise ValueError("init 'env' must be an object")
        for key, item in env.items():
            os.environ[str(key)] = item if isinstance(item, str) else json.dumps(item)
        entry = value.get("main") or "main"
        code = value.get("code") or ""
        if code:
            module = self._load_code(code, bool(value.get("binary")))
        elif os.path.isfile(os.path.join(ROOT, "__main__.py")):  # the action baked in beside this file
            module = self._load_file(os.path.join(ROOT, "__main__.py"))
        else:
            raise ValueError("no code given and no __main__.py in the image")
        action = getattr(module, entry, None)
        if not callable(action):
            raise ValueError(f"the action has no function {entry!r}")
        self.action = action

    @staticmethod
    def _load_code(code, binary):
        os.makedirs(ACTION_DIR, exist_ok=True)
        if binary:
            with zipfile.ZipFile(io.BytesIO(base64.b64decode(code))) as archive:
                archive.extractall(ACTION_DIR)
        else:
            with open(os.path.join(ACTION_DIR, "__main__.py"), "w", encoding="utf-8") as handle:
                handle.write(code)
        path = os.path.join(ACTION_DIR, "__main__.py")
        if not os.path.isfile(path):
            raise ValueError("the zip file has no __main__.py")
        if ACTION_DIR not in sys.path:
            sys.path.insert(1, ACTION_DIR)
        return Runtime._load_file(path)

    @staticmethod
    def _load_file(path):
        spec = importlib.util.spec_from_file_location("faasforge_action", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


RUNTIME = Runtime()


class ActionHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _json(self, status, payload):
        body = json.dumps(payload, default=str).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _message(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        message = json.loads(raw) if raw.strip() else {}
        if not isinstance(message, dict):
            raise ValueError("the request body must be a JSON object")
        return message

    def do_POST(self):  # noqa: N802
        try:
            message = self._message()
        except ValueError as exc:
            self._json(400, {"error": f"body is not a JSON object: {exc}"})
            return
        if self.path == "/init":
            self._init(message)
        elif self.path == "/run":
            self._run(message)
        else:
            self._json(404, {"error": f"no route {self.path}"})

    def _init(self, message):
        with RUNTIME.lock:
            try:
                RUNTIME.initialize(message.get("value") or {})
            except PermissionError as exc:
                self._json(403, {"error": str(exc)})
                return
            except Exception as exc:
                traceback.print_exc()
                self._json(502, {"error": f"Initialization has failed due to: {exc}"})
                return
        self._json(200, {"ok": True})

    def _run(self, message):
        if RUNTIME.action is None:
            self._json(403, {"error": "Cannot invoke an uninitialized action."})
            return
        args = message.get("value") or {}
        for key, value in message.items():  # activation_id, action_name, deadline, ...
            if key != "value" and isinstance(value, str):
                os.environ[f"__OW_{key.upper()}"] = value
        status = 200
        try:
            result = RUNTIME.action(args)
            if not isinstance(result, dict):
                result, status = {"error": "The action did not return a dictionary."}, 502
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
    server = ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), ActionHandler)
    server.daemon_threads = True  # an idle keep-alive connection never blocks the next request
    server.serve_forever()
