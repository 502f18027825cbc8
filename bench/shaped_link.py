"""A loopback TCP relay that gives each connection the upload speed of a long-distance link.

Pushing to a cloud registry from a lab or a CI machine is rarely limited by the CPU: one TCP
stream over a long round trip moves a few MB/s to a few tens of MB/s, whatever the uplink. This
relay stands between the Docker engine (and faasforge) and the local registry and reproduces
that: every connection's upload (client → registry) is paced to ``rate_mb_s``, and opening a
connection costs ``rtt_ms``. Downloads and the registry's replies pass unpaced.

It listens on 127.0.0.1 only and forwards to the registry on 127.0.0.1. The registry builds its
upload URLs from the request's Host header, so a push that starts through the relay stays on it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType

CHUNK = 64 * 1024


class ShapedLink:
    """``with ShapedLink(upstream_port=5000, rate_mb_s=8, rtt_ms=40) as link: ... link.port``"""

    def __init__(self, upstream_port: int, rate_mb_s: float, rtt_ms: float, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.rate = rate_mb_s * 1e6
        self.rtt = rtt_ms / 1000.0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self.connections = 0
        self.uploaded_bytes = 0
        self._thread = threading.Thread(target=self._accept, name="shaped-link", daemon=True)

    def __enter__(self) -> ShapedLink:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._closing.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        time.sleep(self.rtt)  # the handshake of a distant peer
        try:
            upstream = socket.create_connection(self.upstream)
        except OSError:
            client.close()
            return
        down = threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True)
        down.start()
        self._pump(client, upstream, True)
        down.join(timeout=30)

    def _pump(self, source: socket.socket, target: socket.socket, paced: bool) -> None:
        free_at = time.monotonic()  # when the paced link is free again: idle time earns no burst
        sent = 0
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                target.sendall(data)
                if paced:
                    sent += len(data)
                    now = time.monotonic()
                    free_at = max(free_at, now) + len(data) / self.rate
                    if free_at > now:
                        time.sleep(free_at - now)
        except OSError:
            pass
        finally:
            if paced:
                with self._lock:
                    self.uploaded_bytes += sent
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            source.close()
