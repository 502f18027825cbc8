"""The OCI client reads proxies and the CA bundle from the environment once per host, and still
honours them: a proxy that forwards requests, ``no_proxy``, ``REQUESTS_CA_BUNDLE``."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest
from faasforge.registries.oci import OciClient, parse_registry

from faasforge.errors import RegistryUnreachable
from faasforge.retry import RetryPolicy


class _Registry(http.server.BaseHTTPRequestHandler):
    """Answers ``/v2/`` like a registry; as a forward proxy it sees absolute URLs and counts them."""

    seen: list[str] = []

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        type(self).seen.append(self.path)
        self.send_response(200)
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Registry.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(host: str) -> OciClient:
    return OciClient(parse_registry(host), retry=RetryPolicy(attempts=1, backoff_seconds=0.0, timeout_seconds=2.0))


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                 "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


def test_requests_go_through_the_proxy_the_environment_names(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("http_proxy", f"http://{server}")  # the test server acts as the proxy
    client = _client(f"http://registry.invalid:{_dead_port()}")  # unresolvable: only the proxy answers
    for _ in range(3):
        assert client.request("HEAD", "/v2/", "").status_code == 200
    assert len(_Registry.seen) == 3 and all(p.startswith("http://registry.invalid:") for p in _Registry.seen)


def test_a_dead_proxy_fails_and_no_proxy_bypasses_it(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxy_env(monkeypatch)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{_dead_port()}")
    with pytest.raises(RegistryUnreachable):
        _client(server).request("HEAD", "/v2/", "")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    assert _client(server).request("HEAD", "/v2/", "").status_code == 200
    assert _Registry.seen == ["/v2/"]  # reached directly: a path, not a proxied absolute URL


def test_the_ca_bundle_comes_from_the_environment_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    assert _client("registry.example.com").session.verify == "/etc/ssl/certs/ca-certificates.crt"
    configured = OciClient(parse_registry("registry.example.com"), verify="/tmp/own-ca.pem")
    assert configured.session.verify == "/tmp/own-ca.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert _client("registry.example.com").session.verify is True
