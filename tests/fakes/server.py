"""A threaded HTTP(S) server on 127.0.0.1 that hands each request to an app's ``handle``."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    target: str  # the raw request target, still percent-encoded
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query))

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict/list → JSON, bytes/str as is
    headers: dict[str, str] = field(default_factory=dict)


class App(Protocol):
    def handle(self, request: Request) -> Reply: ...


class FakeServer:
    """Serve ``app`` on a free loopback port (TLS when a certificate is given)."""

    def __init__(self, app: App, certfile: Path | None = None, keyfile: Path | None = None) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with outer._lock:
                    outer.requests.append((request.method, request.path))
                try:
                    reply = outer.app.handle(request)
                except Exception as exc:  # noqa: BLE001 - a fake's bug shows as a 500 with its name
                    reply = Reply(500, {"error": f"{type(exc).__name__}: {exc}"})
                data = reply.body
                headers = dict(reply.headers)
                if isinstance(data, (dict, list)):
                    data = json.dumps(data).encode()
                    headers.setdefault("Content-Type", "application/json")
                elif isinstance(data, str):
                    data = data.encode()
                data = data or b""
                self.send_response(reply.status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if certfile is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = int(self.httpd.server_address[1])
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"{self.scheme}://{self.host}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, method: str, path_part: str) -> int:
        with self._lock:
            return sum(1 for m, p in self.requests if m == method and path_part in p)


class Blackhole:
    """Accepts TCP connections and closes them at once, counting them: a registry that is
    there but never answers (what a crashed proxy or a firewall reset looks like)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.host = f"127.0.0.1:{self.port}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def __enter__(self) -> Blackhole:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


class CountingProxy:
    """Forwards every request to ``upstream`` unchanged and counts them by ``key(request)``:
    to see, on the wire, how often a client calls an operation (e.g. ECR's GetAuthorizationToken)."""

    def __init__(self, upstream: str, key: Callable[[Request], str]) -> None:
        self.upstream = upstream.rstrip("/")
        self.key = key
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Reply:
        import requests

        with self._lock:
            name = self.key(request)
            self.counts[name] = self.counts.get(name, 0) + 1
        headers = {k: v for k, v in request.headers.items() if k not in ("content-length", "connection")}
        answer = requests.request(
            request.method, f"{self.upstream}{request.target}", headers=headers, data=request.body, timeout=30
        )
        passed = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "connection", "transfer-encoding", "content-encoding")}
        return Reply(answer.status_code, answer.content, passed)
