"""Every cloud, one test: a registry API that accepts connections and drops them is tried three
times with back-off (0.05 s, doubled), then the check ends in one line naming the operation and
the endpoint; nothing is recorded."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cloud.conftest import Cloud, catalog_rows, check_unanswered, unique, write_toml

pytestmark = [pytest.mark.docker]

# platform → (the registries config with its API at ``host``, the error line as a pattern of ``host``)
ConfigAt = Callable[[Cloud | None, Path, str], Path]
CASES: dict[str, tuple[ConfigAt, str]] = {
    "aws": (
        lambda cloud, tmp, host: cloud.config(tmp, resources_id=unique(), endpoint_url=f"http://{host}"),  # type: ignore[union-attr]
        # closed after the request was sent, or reset before
        r"AWS ecr:DescribeImages \(http://{host}\) did not answer after 3 attempts "
        r"\((ConnectionClosedError|EndpointConnectionError)\)",
    ),
    "gcp": (
        lambda cloud, tmp, host: cloud.config(tmp, resources_id=unique(), api_endpoint=f"http://{host}"),  # type: ignore[union-attr]
        r"Artifact Registry GetTag \(http://{host}\) did not answer after 3 attempts \(ConnectionError\)",
    ),
    "azure": (
        lambda cloud, tmp, host: cloud.config(tmp, resources_id=unique(), endpoint=f"https://{host}"),  # type: ignore[union-attr]
        # a reset during the TLS handshake is a request error, one just after it a response error
        r"ACR registry faasforgetest\.azurecr\.io GetTagProperties \(https://{host}\) did not answer after 3 "
        r"attempts \(Service(Request|Response)Error\)",
    ),
    "openwhisk": (
        lambda cloud, tmp, host: write_toml(tmp / "dead.toml", {
            "openwhisk": {"registry": host}, "retry": {"attempts": 3, "backoff_seconds": 0.05},
        }),
        r"registry {host} did not answer after 3 attempts \(ConnectionError\)",
    ),
}


@pytest.mark.parametrize("platform", list(CASES))
def test_unreachable_registry_api_is_retried_with_back_off_then_a_clear_error(
    platform: str, request: pytest.FixtureRequest, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None],
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    config_at, pattern = CASES[platform]
    cloud: Cloud | None = None if platform == "openwhisk" else request.getfixturevalue(f"{platform}_cloud")
    cloud_env(cloud.env if cloud else {})
    dead = check_unanswered(cloud_systems, lambda host: config_at(cloud, tmp_path, host), platform)
    assert dead.connections == 3  # [retry] attempts = 3
    assert dead.seconds >= 0.05 + 0.10  # back-off 0.05 s, doubled
    assert re.fullmatch(pattern.replace("{host}", re.escape(dead.host)), dead.message), dead.message
    retries = [r for r in caplog.records if r.levelno == logging.WARNING and "retrying in" in r.getMessage()]
    assert len(retries) == 2
    assert catalog_rows(dead.ws) == []
