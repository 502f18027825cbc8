"""``faasforge build-matrix`` across every cloud in one run, as a user runs it: one Prefect process
(ephemeral mode), four registries, each adapter through its own SDK; then every output is grepped
for the credentials involved."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cloud.conftest import (
    FAST_RETRY,
    Cloud,
    Secrets,
    assert_tree_clean,
    mirror_to_ecr_api,
    run_cli,
    split_uri,
    unique,
    write_toml,
)

pytestmark = [pytest.mark.docker, pytest.mark.prefect]


def test_build_matrix_across_clouds_then_nothing_leaks(
    aws_cloud: Cloud, gcp_cloud: Cloud, azure_cloud: Cloud, openwhisk_cloud: Cloud, cloud_systems: Path,
    docker_engine: object, base_image: str, tmp_path: Path, secrets: Secrets,
) -> None:
    ids = {p: unique() for p in ("aws", "gcp", "azure")}
    whisk_repository = unique("functions-")
    config = write_toml(tmp_path / "registries.toml", {
        "retry": dict(FAST_RETRY),
        "aws": {**aws_cloud.table, "resources_id": ids["aws"]},
        "gcp": {**gcp_cloud.table, "resources_id": ids["gcp"]},
        "azure": {**azure_cloud.table, "resources_id": ids["azure"]},
        "openwhisk": {**openwhisk_cloud.table, "repository": whisk_repository},
    })
    matrix = tmp_path / "matrix.toml"
    matrix.write_text(
        'benchmarks = ["010.sleep"]\nplatforms = ["aws", "gcp", "azure", "openwhisk"]\n'
        'architectures = ["x64"]\n[languages]\npython = ["3.11"]\n'
    )
    env = aws_cloud.env | gcp_cloud.env | azure_cloud.env | openwhisk_cloud.env
    run = run_cli(
        ["build-matrix", str(matrix), "--registries-config", str(config), "--systems-config", str(cloud_systems),
         "--concurrency", "4", "--json"],
        env, tmp_path,
    )
    records = {r["platform"]: r for r in run.records()}
    print(f"\nCLI build-matrix over 4 clouds: {run.seconds:.1f}s; build/push seconds: "
          + ", ".join(f"{p} {r['build_seconds']}/{r['push_seconds']}" for p, r in records.items()))
    expected = {
        "aws": (aws_cloud, f"sebs-benchmarks-{ids['aws']}"),
        "gcp": (gcp_cloud, f"faasforge-test/sebs-benchmarks-{ids['gcp']}/010.sleep"),
        "azure": (azure_cloud, f"sebs-benchmarks-{ids['azure']}"),
        "openwhisk": (openwhisk_cloud, f"sebs/{whisk_repository}"),
    }
    assert set(records) == set(expected)
    for platform, (cloud, repository) in expected.items():
        record = records[platform]
        host, path, tag = split_uri(str(record["image_uri"]))
        assert (host, path, record["rebuilt"]) == (cloud.data_plane.host, repository, True), platform
        assert tag.startswith(f"function.{platform}.010.sleep.python-3.11-x64-")
        served = cloud.data_plane.head(path, tag)
        assert served is not None and record["digest"] == served[0], platform
        assert record["compressed_mb"] and record["size_mb"], platform
    aws_path = expected["aws"][1]
    assert mirror_to_ecr_api(aws_cloud, aws_path, split_uri(str(records["aws"]["image_uri"]))[2]) == records["aws"]["digest"]

    # stdout (--json), stderr (Prefect's logs), the catalog, Prefect's database (logs, artifacts,
    # results): not one credential, in clear or in base64
    secrets.assert_absent(run.stdout, run.stderr)
    uris = [str(r["image_uri"]) for r in records.values()]  # in the catalog, the artifacts and the logs
    assert assert_tree_clean(secrets, run.prefect_home, run.faasforge_home, readable=uris) > 100_000
    assert (run.prefect_home / "prefect.db").exists()


def test_a_missing_registries_config_is_one_clear_line(cloud_systems: Path, tmp_path: Path) -> None:
    run = run_cli(
        ["build", "--platform", "aws", "--benchmark", "010.sleep", "--language", "python",
         "--systems-config", str(cloud_systems), "--registries-config", str(tmp_path / "nope.toml")],
        {}, tmp_path,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"faasforge: error: registries config {str((tmp_path / 'nope.toml').resolve())!r} does not exist "
        "(--registries-config / FAASFORGE_REGISTRIES_CONFIG)"
    ]
