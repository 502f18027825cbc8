"""Azure Container Registry: azure-containerregistry and azure-identity's DefaultAzureCredential
(through an App Service managed identity endpoint) against a TLS fake of ACR's API and token
exchange; pushes to a real registry."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from faasforge.errors import RegistryAuthError, UsageError
from faasforge.pipeline import check_registry, resolve_image
from tests.cloud.conftest import (
    Cloud,
    Secrets,
    absent_check_ms,
    catalog_rows,
    publish,
    request_for,
    split_uri,
    unique,
    workspace,
)
from tests.fakes.acr import FakeManagedIdentity
from tests.fakes.server import FakeServer

pytestmark = [pytest.mark.docker]


def test_admin_user_from_environment_variables_the_config_names(
    azure_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], docker_engine: object,
    base_image: str, tmp_path: Path, secrets: Secrets, caplog: pytest.LogCaptureFixture,
) -> None:
    """No Entra ID at all: the admin user goes to the registry's /v2/ API and to the push."""
    caplog.set_level(logging.DEBUG)
    cloud_env({"ACR_ADMIN_USER": "faasforgeadmin", "ACR_ADMIN_PASSWORD": str(azure_cloud.extras["admin_password"])})
    config = azure_cloud.config(
        tmp_path, resources_id=unique(), admin_username_env="ACR_ADMIN_USER", admin_password_env="ACR_ADMIN_PASSWORD"
    )
    ws = workspace(cloud_systems, config)
    api = azure_cloud.extras["api"]
    asked = len(api.requests)  # type: ignore[attr-defined]

    published = publish(ws, request_for("azure"), docker_engine)

    _, repository, tag = split_uri(published.record.image_uri)
    served = azure_cloud.data_plane.head(repository, tag)
    assert served is not None and published.record.digest == served[0]
    assert len(api.requests) == asked  # the ACR API (Entra ID only) was never needed  # type: ignore[attr-defined]
    decision = check_registry(published.resolved, ws)
    assert decision.remote is not None and decision.remote.digest == served[0]
    secrets.assert_absent(caplog.text, config.read_text(), [repr(r) for r in catalog_rows(ws)])


def test_untrusted_entra_token_is_one_line_naming_the_registry_and_nothing_is_recorded(
    azure_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path, secrets: Secrets,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    stranger = secrets.new("foreign-entra-token")
    with FakeServer(FakeManagedIdentity("other-header", stranger)) as identity:
        cloud_env({"IDENTITY_ENDPOINT": f"{identity.url}/msi/token", "IDENTITY_HEADER": "other-header"})
        ws = workspace(cloud_systems, azure_cloud.config(tmp_path, resources_id=unique()))
        resolved = resolve_image(request_for("azure"), ws)
        with pytest.raises(RegistryAuthError) as caught:
            check_registry(resolved, ws)
        with pytest.raises(RegistryAuthError) as push_caught:
            ws.registry("azure").push_credentials()
    assert str(caught.value) == "ACR registry faasforgetest.azurecr.io rejected the Entra ID credentials (GetTagProperties: HTTP 401)"
    assert str(push_caught.value) == "ACR registry faasforgetest.azurecr.io rejected the Entra ID token (token exchange: HTTP 401)"
    assert catalog_rows(ws) == []
    secrets.assert_absent(str(caught.value), str(push_caught.value), caplog.text)


def test_no_entra_credential_anywhere(
    azure_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cloud_env({})
    monkeypatch.setenv("PATH", "/nonexistent")  # no az, azd or pwsh to fall back on
    ws = workspace(cloud_systems, azure_cloud.config(tmp_path, resources_id=unique()))
    resolved = resolve_image(request_for("azure"), ws)
    with pytest.raises(RegistryAuthError, match=r"^no Entra ID token for ACR registry faasforgetest\.azurecr\.io: "):
        check_registry(resolved, ws)


def test_arm64_is_refused(azure_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path) -> None:
    cloud_env(azure_cloud.env)
    ws = workspace(cloud_systems, azure_cloud.config(tmp_path, resources_id=unique()))
    with pytest.raises(UsageError, match=r"^azure takes x64 images only"):
        resolve_image(request_for("azure", ("010.sleep", "python", "3.11", "arm64")), ws)


def test_existence_check_latency(azure_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path) -> None:
    """The SDK answers each check with a challenge round (401, exchange, token, retry) over TLS."""
    cloud_env(azure_cloud.env)
    ws = workspace(cloud_systems, azure_cloud.config(tmp_path, resources_id=unique()))
    api = azure_cloud.extras["api"]
    absent_check_ms(ws, "azure", 0)  # clients, token and connection made
    before = len(api.requests)  # type: ignore[attr-defined]
    samples = absent_check_ms(ws, "azure", 20, warm_up=False)
    per_check = (len(api.requests) - before) / 20  # type: ignore[attr-defined]
    print(f"\nACR existence check against the TLS fake: median {statistics.median(samples):.1f} ms, {per_check:.0f} requests each (n=20)")
    assert statistics.median(samples) < 1000
