import pytest
from faasforge.registries.oci import parse_registry

from faasforge.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "scheme", "host", "namespace"),
    [
        ("127.0.0.1:5000", "http", "127.0.0.1:5000", ""),
        ("localhost:5000/team", "http", "localhost:5000", "team"),
        ("https://registry.example.com/a/b", "https", "registry.example.com", "a/b"),
        ("registry.example.com", "https", "registry.example.com", ""),
        ("http://10.0.0.1:5000", "http", "10.0.0.1:5000", ""),
    ],
)
def test_registry_addresses(text: str, scheme: str, host: str, namespace: str) -> None:
    address = parse_registry(text)
    assert (address.scheme, address.host, address.namespace) == (scheme, host, namespace)


@pytest.mark.parametrize(
    "bad", ["", "ftp://x", "host:99999", "has space", "http://host?x=1", "host/UPPER", "-bad-.com", "a::1"]
)
def test_malformed_registry_is_one_clear_error(bad: str) -> None:
    with pytest.raises(InvalidValue, match="allowed: host\\[:port\\]"):
        parse_registry(bad)


def test_docker_hub_uses_its_api_host() -> None:
    address = parse_registry("docker.io/someone")
    assert address.api_base == "https://registry-1.docker.io"
    assert address.server_address == "https://index.docker.io/v1/"
