"""Google Artifact Registry: the real SDK (REST transport) and google-auth's application default
credentials against a fake of the v1 API and token endpoint; pushes to a real registry."""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from faasforge.errors import RegistryAuthError, UsageError
from faasforge.pipeline import check_registry, resolve_image
from tests.cloud.conftest import (
    GCP_PROJECT,
    Cloud,
    Secrets,
    absent_check_ms,
    catalog_rows,
    request_for,
    run_cli,
    unique,
    workspace,
)
from tests.fakes.tls import private_pem, rsa_key

pytestmark = [pytest.mark.docker]


def test_arm64_is_refused_with_a_clear_line(
    gcp_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path
) -> None:
    cloud_env(gcp_cloud.env)
    ws = workspace(cloud_systems, gcp_cloud.config(tmp_path, resources_id=unique()))
    server = gcp_cloud.extras["server"]
    asked = len(server.requests)  # type: ignore[attr-defined]
    with pytest.raises(UsageError, match=r"^gcp takes x64 images only .*; arm64 was requested$"):
        resolve_image(request_for("gcp", ("010.sleep", "python", "3.11", "arm64")), ws)
    assert len(server.requests) == asked  # refused before any request  # type: ignore[attr-defined]


def test_cli_refuses_gcp_arm64_with_exit_2(gcp_cloud: Cloud, cloud_systems: Path, tmp_path: Path) -> None:
    run = run_cli(
        ["build", "--platform", "gcp", "--arch", "arm64", "--benchmark", "010.sleep", "--language", "python",
         "--systems-config", str(cloud_systems)],
        gcp_cloud.env | {"FAASFORGE_REGISTRIES_CONFIG": str(gcp_cloud.config(tmp_path, resources_id=unique()))}, tmp_path,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "faasforge: error: gcp takes x64 images only (Cloud Run and Cloud Functions run amd64); arm64 was requested"
    ]
    assert run.seconds < 10  # refused before any flow starts


def test_unknown_service_account_is_one_line_naming_the_registry_and_nothing_is_recorded(
    gcp_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path, secrets: Secrets,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    stranger = json.loads(Path(gcp_cloud.extras["key_file"]).read_text())  # type: ignore[arg-type]
    stranger["private_key"] = private_pem(rsa_key()).decode()  # a key the fake does not know
    key_file = tmp_path / "stranger.json"
    key_file.write_text(json.dumps(stranger))
    cloud_env({"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)})
    resources_id = unique()
    ws = workspace(cloud_systems, gcp_cloud.config(tmp_path, resources_id=resources_id))
    resolved = resolve_image(request_for("gcp"), ws)
    with pytest.raises(RegistryAuthError) as caught:
        check_registry(resolved, ws)
    message = str(caught.value)
    assert message == (
        f"Artifact Registry {gcp_cloud.data_plane.host}/{GCP_PROJECT}/sebs-benchmarks-{resources_id} "
        "rejected the credentials (GetTag: HTTP 401)"
    )
    with pytest.raises(RegistryAuthError, match=r"Google rejected the credentials \(access token refresh failed\)$"):
        ws.registry("gcp").push_credentials()  # the token endpoint says invalid_grant
    assert catalog_rows(ws) == []
    secrets.assert_absent(message, caplog.text)
    assert stranger["private_key"].splitlines()[5] not in caplog.text


def test_credentials_file_from_the_config(
    gcp_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path
) -> None:
    cloud_env({})  # no application default credentials in the environment
    ws = workspace(cloud_systems, gcp_cloud.config(tmp_path, resources_id=unique(), credentials_file=str(gcp_cloud.extras["key_file"])))
    resolved = resolve_image(request_for("gcp"), ws)
    assert resolved.name.repository.startswith(f"{GCP_PROJECT}/")  # the project comes from the key file
    assert not check_registry(resolved, ws).remote
    credentials = ws.registry("gcp").push_credentials()
    assert credentials is not None and credentials.username == "oauth2accesstoken"
    assert credentials.expires_at and credentials.expires_at > time.time() + 3000


def test_existence_check_latency(gcp_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path) -> None:
    """One GetTag per check (the fake then asks the real registry); printed with -s."""
    cloud_env(gcp_cloud.env)
    ws = workspace(cloud_systems, gcp_cloud.config(tmp_path, resources_id=unique()))
    samples = absent_check_ms(ws, "gcp", 20)
    print(f"\nArtifact Registry existence check against the fake: median {statistics.median(samples):.1f} ms (n=20)")
    assert statistics.median(samples) < 500
