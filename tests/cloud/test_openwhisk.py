"""OpenWhisk: Docker Hub or any OCI registry (registries/oci.py), here a real registry with basic
auth; the Docker Hub naming is checked without network."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from faasforge.errors import ConfigError, RegistryAuthError
from faasforge.pipeline import check_registry, resolve_image
from tests.cloud.conftest import (
    Cloud,
    Secrets,
    catalog_rows,
    publish,
    request_for,
    split_uri,
    start_registry,
    unique,
    workspace,
    write_toml,
)
from tests.fakes.server import FakeServer
from tests.fakes.tls import self_signed
from tests.fakes.token_auth import ISSUER, SERVICE, TokenServer
from tests.helpers import ACCEPT

pytestmark = [pytest.mark.docker]


def test_docker_hub_namespace_from_the_environment(
    cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path
) -> None:
    cloud_env({})
    config = write_toml(tmp_path / "empty.toml", {})
    with pytest.raises(ConfigError, match=r"^openwhisk on Docker Hub needs a namespace .*FAASFORGE_OPENWHISK_NAMESPACE"):
        resolve_image(request_for("openwhisk"), workspace(cloud_systems, config))
    cloud_env({"FAASFORGE_OPENWHISK_NAMESPACE": "someone"})
    resolved = resolve_image(request_for("openwhisk"), workspace(cloud_systems, config))
    assert resolved.image_uri.startswith("docker.io/someone/serverless-benchmarks:function.openwhisk.010.sleep.")


def test_wrong_password_is_one_line_naming_the_registry_and_nothing_is_recorded(
    openwhisk_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path, secrets: Secrets,
) -> None:
    wrong = secrets.new("wrong-whisk-password")
    cloud_env({"WHISK_USER": "whisk", "WHISK_PASSWORD": wrong})
    ws = workspace(cloud_systems, openwhisk_cloud.config(
        tmp_path, repository=unique("functions-"), username_env="WHISK_USER", password_env="WHISK_PASSWORD"
    ))
    with pytest.raises(RegistryAuthError) as caught:
        check_registry(resolve_image(request_for("openwhisk"), ws), ws)
    assert str(caught.value) == f"registry {openwhisk_cloud.data_plane.host} rejected the credentials (HTTP 401)"
    assert catalog_rows(ws) == []
    secrets.assert_absent(str(caught.value))


def test_bearer_token_registry_for_the_push_and_the_checks(
    cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], docker_engine: object, base_image: str,
    tmp_path: Path, secrets: Secrets, caplog: pytest.LogCaptureFixture,
) -> None:
    """A registry that wants bearer tokens from a token service (Docker Hub's scheme): the engine
    gets one for the push, faasforge gets one for its checks, both with the same basic login."""
    password = secrets.new("token-user-password")
    cert_path, key_path = self_signed(tmp_path / "signing", "token-signer")
    certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    tokens = TokenServer({"whisk": password}, certificate, key)  # type: ignore[arg-type]
    caplog.set_level(logging.DEBUG)
    with FakeServer(tokens) as token_service:
        registry = start_registry(tmp_path / "registry", {}, token_auth={
            "realm": f"{token_service.url}/token", "service": SERVICE, "issuer": ISSUER, "rootcertbundle": str(cert_path),
        })
        try:
            cloud_env({"FAASFORGE_OPENWHISK_USERNAME": "whisk", "FAASFORGE_OPENWHISK_PASSWORD": password})
            config = write_toml(tmp_path / "bearer.toml", {"openwhisk": {"registry": registry.host, "namespace": "sebs"}})
            ws = workspace(cloud_systems, config)
            published = publish(ws, request_for("openwhisk"), docker_engine)
            _, path, tag = split_uri(published.record.image_uri)

            # an independent look: a pull token by hand, then the manifest HEAD
            token = requests.get(
                f"{token_service.url}/token", params={"service": SERVICE, "scope": f"repository:{path}:pull"},
                auth=("whisk", password), timeout=10,
            ).json()["token"]
            head = requests.head(
                f"{registry.url}/v2/{path}/manifests/{tag}", headers={"Accept": ACCEPT, "Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert head.status_code == 200 and published.record.digest == head.headers["Docker-Content-Digest"]
            decision = check_registry(published.resolved, ws)
            assert decision.remote is not None and decision.remote.digest == published.record.digest
            assert tokens.issued >= 3  # the engine's push, faasforge's checks and manifest read, ours

            cloud_env({"FAASFORGE_OPENWHISK_USERNAME": "whisk", "FAASFORGE_OPENWHISK_PASSWORD": "wrong"})
            with pytest.raises(RegistryAuthError, match=rf"^registry {registry.host} rejected the credentials \(token service HTTP 401\)$"):
                check_registry(published.resolved, workspace(cloud_systems, config))
        finally:
            registry.stop()
    secrets.assert_absent(caplog.text, [repr(r) for r in catalog_rows(ws)])
