"""AWS ECR: moto answers the ECR and STS APIs; a real distribution registry takes the pushes."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from faasforge.registries.ecr import EcrRegistry

from faasforge.errors import RegistryAuthError
from faasforge.pipeline import check_registry, resolve_image
from tests.cloud.conftest import (
    MOTO_ACCOUNT,
    MOTO_ECR_PASSWORD,
    Cloud,
    Secrets,
    absent_check_ms,
    assert_tree_clean,
    catalog_rows,
    mirror_to_ecr_api,
    publish,
    request_for,
    run_cli,
    split_uri,
    start_registry,
    unique,
    workspace,
)
from tests.fakes.server import CountingProxy, FakeServer

pytestmark = [pytest.mark.docker]


def test_existence_check_latency_against_moto(
    aws_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path
) -> None:
    """One DescribeImages per check (figure printed with -s; moto on loopback)."""
    cloud_env(aws_cloud.env)
    ws = workspace(cloud_systems, aws_cloud.config(tmp_path, resources_id=unique()))
    samples = absent_check_ms(ws, "aws", 30)
    median = statistics.median(samples)
    print(f"\nECR existence check against moto: median {median:.1f} ms, max {max(samples):.1f} ms (n=30)")
    assert median < 250


def test_account_from_sts_names_the_registry(aws_cloud: Cloud, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path) -> None:
    cloud_env(aws_cloud.env)
    from faasforge.registries.base import NamingOptions
    from faasforge.registries.config import RegistriesConfig

    config = RegistriesConfig.load(aws_cloud.config(tmp_path, ecr_registry_override=None, resources_id="x1"))
    from faasforge.settings import Settings

    registry = EcrRegistry.from_config(config.section("aws"), Settings(), NamingOptions(), config.retry)
    assert registry.registry_host() == f"{MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    credentials = registry.push_credentials()
    assert credentials is not None and credentials.username == "AWS"
    assert credentials.registry == registry.registry_host()
    assert MOTO_ECR_PASSWORD not in repr(credentials) and MOTO_ECR_PASSWORD not in str(credentials)


def test_rejected_aws_credentials_are_one_line_naming_the_registry_and_nothing_is_recorded(
    aws_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path, secrets: Secrets,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    cloud_env(aws_cloud.env)
    ws = workspace(cloud_systems, aws_cloud.config(tmp_path, resources_id=unique()))
    resolved = resolve_image(request_for("aws"), ws)
    endpoint = str(aws_cloud.extras["endpoint"])
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()  # moto checks keys now
    try:
        with pytest.raises(RegistryAuthError) as caught:
            check_registry(resolved, ws)
    finally:
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"inf", timeout=5).raise_for_status()
    message = str(caught.value)
    assert "\n" not in message and aws_cloud.data_plane.host in message
    assert message.startswith(f"ECR registry {aws_cloud.data_plane.host} rejected the AWS credentials")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert catalog_rows(ws) == []
    secrets.assert_absent(message, caplog.text)


def test_push_rejected_by_the_registry_is_refreshed_once_then_one_clear_error(
    aws_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], docker_engine: object,
    base_image: str, tmp_path: Path, secrets: Secrets,
) -> None:
    """The data plane does not take moto's token: the push fails with 401, the token is fetched
    again once, the push fails again, and the run stops with one line; nothing is recorded."""
    strict = start_registry(tmp_path / "strict", {"AWS": "not-the-moto-token"})
    operations = CountingProxy(str(aws_cloud.extras["endpoint"]), key=lambda r: r.header("X-Amz-Target").rsplit(".", 1)[-1])
    try:
        with FakeServer(operations) as api:
            cloud_env(aws_cloud.env)
            config = aws_cloud.config(tmp_path, resources_id=unique(), ecr_registry_override=strict.host, endpoint_url=api.url)
            ws = workspace(cloud_systems, config)
            with pytest.raises(RegistryAuthError) as caught:
                publish(ws, request_for("aws"), docker_engine)
        message = str(caught.value)
        assert message.startswith(f"registry {strict.host} rejected the push") and "\n" not in message
        assert operations.counts["GetAuthorizationToken"] == 2  # the first token, then one refresh
        assert operations.counts["CreateRepository"] == 1
        assert catalog_rows(ws) == []
        secrets.assert_absent(message)
    finally:
        strict.stop()


def test_no_aws_credentials_at_all(
    aws_cloud: Cloud, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None], tmp_path: Path
) -> None:
    env = {k: v for k, v in aws_cloud.env.items() if not k.startswith("AWS_ACCESS") and not k.startswith("AWS_SECRET")}
    cloud_env(env)
    ws = workspace(cloud_systems, aws_cloud.config(tmp_path, resources_id=unique()))
    resolved = resolve_image(request_for("aws"), ws)
    with pytest.raises(RegistryAuthError, match=r"^no AWS credentials for ECR registry 127\.0\.0\.1:\d+: set AWS_PROFILE"):
        check_registry(resolved, ws)


def test_cli_build_for_aws(
    aws_cloud: Cloud, cloud_systems: Path, docker_engine: object, base_image: str, tmp_path: Path, secrets: Secrets
) -> None:
    """``faasforge build --platform aws --json`` as a user runs it (Prefect in ephemeral mode)."""
    resources_id = unique()
    config = aws_cloud.config(tmp_path, resources_id=resources_id)
    run = run_cli(
        ["build", "--platform", "aws", "--benchmark", "010.sleep", "--language", "python", "--systems-config", str(cloud_systems), "--json"],
        aws_cloud.env | {"FAASFORGE_REGISTRIES_CONFIG": str(config)}, tmp_path,
    )
    [record] = run.records()
    print(f"\nCLI build --platform aws: {run.seconds:.1f}s")
    host, repository, tag = split_uri(str(record["image_uri"]))
    assert (host, repository, record["rebuilt"]) == (aws_cloud.data_plane.host, f"sebs-benchmarks-{resources_id}", True)
    served = aws_cloud.data_plane.head(repository, tag)
    assert served is not None and record["digest"] == served[0]
    assert mirror_to_ecr_api(aws_cloud, repository, tag) == record["digest"]
    secrets.assert_absent(run.stdout, run.stderr)
    assert assert_tree_clean(secrets, run.prefect_home, run.faasforge_home, readable=[str(record["image_uri"])]) > 0
