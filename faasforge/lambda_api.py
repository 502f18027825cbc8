"""AWS Lambda's Runtime API (2018-06-01), served in-process on 127.0.0.1, for `faasforge invoke`.

The runtime interface client inside a Lambda image (awslambdaric, aws-lambda-ric) polls
``GET /2018-06-01/runtime/invocation/next`` for an event, runs the handler and answers with
``POST .../invocation/{request id}/response`` or ``.../error``; a handler that cannot even load
reports ``POST .../runtime/init/error``. This module plays Lambda's side of that loop, as AWS's
runtime interface emulator does: ``invoke`` queues one event and waits for its outcome.

Headers sent with each event: ``Lambda-Runtime-Aws-Request-Id``, ``-Deadline-Ms``,
``-Invoked-Function-Arn``, ``-Trace-Id``. Every POST is answered 202 ``{"status": "OK"}``; an
unknown request id gets 400, as Lambda's own API does.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

PREFIX = "/2018-06-01/runtime"
Outcome = Literal["response", "error", "init_error", "timeout"]


@dataclass(frozen=True)
class LambdaOutcome:
    """What the runtime answered for one event (``timeout``: nothing within the deadline)."""

    kind: Outcome
    request_id: str
    body: bytes
    seconds: float
    error_type: str = ""


@dataclass
class _Invocation:
    request_id: str
    event: bytes
    deadline_ms: int
    queued_at: float
    outcome: LambdaOutcome | None = None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A runtime killed while it waits for an event resets its connection: not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class RuntimeApi:
    """A Lambda Runtime API endpoint for one function; ``address`` is ``127.0.0.1:PORT``."""

    def __init__(
        self, function_name: str = "faasforge-invoke", region: str = "us-east-1", account: str = "000000000000"
    ) -> None:
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self._cond = threading.Condition()
        self._queue: deque[_Invocation] = deque()
        self._pending: dict[str, _Invocation] = {}
        self._polls = 0
        self._init_error: LambdaOutcome | None = None
        self._closed = False
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="lambda-runtime-api", daemon=True)

    @property
    def address(self) -> str:
        port = self._server.server_address[1]
        return f"127.0.0.1:{port}"

    def start(self) -> RuntimeApi:
        self._thread.start()
        return self

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RuntimeApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ Lambda's side
    def wait_polled(self, timeout: float) -> LambdaOutcome | None:
        """Block until the runtime first asks for an event (it has initialised); returns an
        init error if it reported one instead, raises TimeoutError after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._polls == 0 and self._init_error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the runtime did not ask for an event")
                self._cond.wait(min(left, 0.2))
            return self._init_error

    def invoke(self, event: bytes, timeout: float) -> LambdaOutcome:
        """Queue ``event`` and wait up to ``timeout`` seconds for the runtime's answer."""
        request_id = str(uuid.uuid4())
        now = time.time()
        item = _Invocation(request_id, event, int((now + timeout) * 1000), time.monotonic())
        deadline = time.monotonic() + timeout
        with self._cond:
            self._queue.append(item)
            self._pending[request_id] = item
            self._cond.notify_all()
            while item.outcome is None and self._init_error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._pending.pop(request_id, None)
                    if item in self._queue:
                        self._queue.remove(item)
                    return LambdaOutcome("timeout", request_id, b"", time.monotonic() - item.queued_at)
                self._cond.wait(min(left, 0.2))
            if item.outcome is None and self._init_error is not None:
                return self._init_error
            assert item.outcome is not None
            return item.outcome

    # ------------------------------------------------------------------ the runtime's side
    def _next(self) -> _Invocation | None:
        with self._cond:
            self._polls += 1
            self._cond.notify_all()
            while not self._queue and not self._closed:
                self._cond.wait(0.5)
            return self._queue.popleft() if self._queue else None

    def _finish(self, request_id: str, kind: Outcome, body: bytes, error_type: str) -> bool:
        with self._cond:
            item = self._pending.pop(request_id, None)
            if item is None:
                return False
            item.outcome = LambdaOutcome(kind, request_id, body, time.monotonic() - item.queued_at, error_type)
            self._cond.notify_all()
            return True

    def _fail_init(self, body: bytes, error_type: str) -> None:
        with self._cond:
            self._init_error = LambdaOutcome("init_error", "", body, 0.0, error_type)
            self._cond.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once: no delayed-ACK stall per event

            def _send(
                self, status: int, payload: dict[str, object] | bytes, headers: dict[str, str] | None = None
            ) -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                if self.path != f"{PREFIX}/invocation/next":
                    self._send(404, {"errorMessage": f"no route {self.path}", "errorType": "NotFound"})
                    return
                item = api._next()
                if item is None:  # shutting down
                    self._send(503, {"errorMessage": "the endpoint is closing", "errorType": "ServiceUnavailable"})
                    return
                self._send(200, item.event, {
                    "Lambda-Runtime-Aws-Request-Id": item.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(item.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
                })

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type", "")
                if self.path == f"{PREFIX}/init/error":
                    api._fail_init(body, error_type)
                    self._send(202, {"status": "OK"})
                    return
                parts = self.path[len(PREFIX):].strip("/").split("/") if self.path.startswith(PREFIX) else []
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    kind: Outcome = "response" if parts[2] == "response" else "error"
                    if api._finish(parts[1], kind, body, error_type):
                        self._send(202, {"status": "OK"})
                    else:
                        message = f"unknown request id {parts[1]}"
                        self._send(400, {"errorMessage": message, "errorType": "InvalidRequestID"})
                    return
                self._send(404, {"errorMessage": f"no route {self.path}", "errorType": "NotFound"})

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        return Handler
