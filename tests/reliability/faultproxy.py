"""A private distribution registry and a small fault-injecting HTTP proxy in front of it.

Both listen on 127.0.0.1 only. ``PrivateRegistry`` runs Debian's ``docker-registry`` binary from a
YAML config with its own storage directory (optionally behind htpasswd basic auth).
``FaultProxy`` is a threaded TCP proxy that understands just enough HTTP/1.1 to count requests:
every forwarded request gets ``Connection: close``, so one connection carries one request.

Modes (``FaultProxy.set_mode``):

- ``pass``              forward everything
- ``http500-first-N``   answer the first N matching requests with ``500 Internal Server Error``
- ``reset-first-N``     reset (TCP RST) the connection of the first N matching requests
- ``slow-Ms``           hold every matching request M milliseconds before forwarding it

``match`` picks which requests a fault applies to (default: all), e.g. only those of the Docker
engine (``from_engine``) or only faasforge's own registry calls (``from_faasforge``). Hooks run a
callback once around the first request a predicate matches (to stop or kill the registry at an
exact point of a push). ``stop_listening``/``listen_again`` close and reopen the proxy's port, so
clients get "connection refused" like from a stopped registry.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from faasforge.ports import free_port

REGISTRY_BINARY = "docker-registry"
HEAD_LIMIT = 64 * 1024


class PrivateRegistry:
    """A ``docker-registry`` process on a free loopback port with a temp storage directory."""

    def __init__(self, root: Path | None = None, htpasswd: str | None = None, port: int | None = None) -> None:
        if shutil.which(REGISTRY_BINARY) is None:
            raise RuntimeError(f"{REGISTRY_BINARY} not found (scripts/services.sh up installs it)")
        self.root = root or Path(tempfile.mkdtemp(prefix="faasforge-registry-"))
        self.storage = self.root / "data"
        self.storage.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.htpasswd = htpasswd
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.root / "registry.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _config(self) -> Path:
        lines = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.storage}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.address}",
        ]
        if self.htpasswd is not None:
            users = self.root / "htpasswd"
            users.write_text(self.htpasswd)
            lines += ["auth:", "  htpasswd:", "    realm: faasforge-test", f"    path: {users}"]
        path = self.root / "config.yml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def start(self, timeout: float = 20.0) -> PrivateRegistry:
        config = self._config()
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)], stdout=log, stderr=log, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log_path.read_text()[-2000:]}")
            try:
                reply = requests.get(f"http://{self.address}/v2/", timeout=1)
                if reply.status_code in (200, 401):
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"docker-registry did not answer on {self.address}")

    def stop(self) -> None:
        """SIGTERM and wait: a registry an operator stopped."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: a registry that died mid-request."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class SeenRequest:
    method: str
    path: str
    user_agent: str
    fault: str  # "", "http500", "reset", "slow"
    at: float = field(default_factory=time.monotonic)


Predicate = Callable[[SeenRequest], bool]


def from_engine(req: SeenRequest) -> bool:
    """Requests the Docker engine makes while pushing (its user agent starts with ``docker/``)."""
    return req.user_agent.startswith("docker/")


def from_faasforge(req: SeenRequest) -> bool:
    """faasforge's own manifest checks (python-requests)."""
    return req.user_agent.startswith("python-requests")


def any_request(req: SeenRequest) -> bool:
    return True


@dataclass
class _Hook:
    when: Predicate
    action: Callable[[], None]
    before: bool
    fired: bool = False


class FaultProxy:
    """A threaded HTTP/1.1 proxy on loopback that injects faults into the first requests."""

    MODE = re.compile(r"^(pass|http500-first-(\d+)|reset-first-(\d+)|slow-(\d+)ms)$", re.IGNORECASE)

    def __init__(self, upstream: str, mode: str = "pass", match: Predicate = any_request, port: int | None = None):
        self.upstream_host, _, port_text = upstream.partition(":")
        self.upstream_port = int(port_text)
        self.port = port or free_port()
        self.match = match
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()
        self._hooks: list[_Hook] = []
        self._server: socket.socket | None = None
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self.set_mode(mode)
        self.listen_again()

    # ---- configuration
    def set_mode(self, mode: str) -> None:
        found = self.MODE.match(mode.strip())
        if not found:
            raise ValueError(f"unknown proxy mode {mode!r}; allowed: pass, http500-first-N, reset-first-N, slow-Mms")
        with self._lock:
            self.mode = mode.lower()
            self.remaining = int(found.group(2) or found.group(3) or 0)
            self.delay = int(found.group(4) or 0) / 1000.0

    def hook(self, when: Predicate, action: Callable[[], None], *, before: bool = True) -> None:
        """Run ``action`` once, before forwarding (or after relaying) the first request ``when`` matches."""
        self._hooks.append(_Hook(when, action, before))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def faults(self, kind: str | None = None) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.fault and (kind is None or r.fault == kind)]

    # ---- listening
    def listen_again(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        thread = threading.Thread(target=self._accept_loop, args=(server,), name="faultproxy-accept", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()

    def close(self) -> None:
        self._stopped.set()
        self.stop_listening()

    def _accept_loop(self, server: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), name="faultproxy-conn", daemon=True).start()

    # ---- one connection = one request
    def _decide(self, req: SeenRequest) -> str:
        with self._lock:
            self.requests.append(req)
            if not self.match(req) or self.mode == "pass":
                return ""
            if self.mode.startswith("slow-"):
                req.fault = "slow"
            elif self.remaining > 0:
                self.remaining -= 1
                req.fault = "http500" if self.mode.startswith("http500") else "reset"
            return req.fault

    def _run_hooks(self, req: SeenRequest, before: bool) -> None:
        for hook in self._hooks:
            if hook.before == before and not hook.fired and hook.when(req):
                hook.fired = True
                hook.action()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(60)
            head, rest = _read_head(client)
            if head is None:
                return
            if head.startswith(b"\x16"):  # a TLS ClientHello: the engine probes HTTPS first
                client.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
                return
            req = _parse(head)
            fault = self._decide(req)
            self._run_hooks(req, before=True)
            if fault == "reset":
                _reset(client)
                return
            if fault == "http500":
                body = b'{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}'
                client.sendall(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
                return
            if fault == "slow":
                time.sleep(self.delay)
            try:
                upstream = socket.create_connection((self.upstream_host, self.upstream_port), timeout=10)
            except OSError:
                _reset(client)  # what a client of a dead registry behind a relay sees
                return
            upstream.settimeout(120)
            upstream.sendall(_close_after(head) + rest)
            pump = threading.Thread(target=_pump, args=(client, upstream), daemon=True)
            pump.start()
            _pump(upstream, client)
            pump.join(5)
            self._run_hooks(req, before=False)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()


def _read_head(sock: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
        if data.startswith(b"\x16"):
            return data, b""
        if len(data) > HEAD_LIMIT:
            return None, b""
    head, _, rest = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", rest


def _parse(head: bytes) -> SeenRequest:
    lines = head.decode("latin-1").split("\r\n")
    method, path = (lines[0].split(" ") + ["", ""])[:2]
    agent = ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "user-agent":
            agent = value.strip()
    return SeenRequest(method=method, path=path, user_agent=agent, fault="")


def _close_after(head: bytes) -> bytes:
    lines = head.decode("latin-1").split("\r\n")
    kept = [ln for ln in lines[1:] if ln and not ln.lower().startswith(("connection:", "keep-alive:"))]
    return "\r\n".join([lines[0], *kept, "Connection: close", "", ""]).encode("latin-1")


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                break
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN: the peer reads "connection reset by peer"."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
