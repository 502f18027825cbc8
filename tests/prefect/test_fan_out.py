"""A matrix fanned out to the x64 and arm64 workers through the nightly-matrix deployment."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from faasforge.model import ImageRecord
from tests.helpers import ACCEPT, registry_digest
from tests.prefect.conftest import TIMINGS, Stack

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.docker]

LIMIT = "faasforge-docker-builds"


def image_architecture(image_uri: str) -> str:
    """The architecture in the pushed image's config blob (what a puller would get)."""
    host, _, rest = image_uri.partition("/")
    repo, _, tag = rest.rpartition(":")
    manifest = requests.get(f"http://{host}/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10)
    manifest.raise_for_status()
    digest = manifest.json()["config"]["digest"]
    config = requests.get(f"http://{host}/v2/{repo}/blobs/{digest}", timeout=10)
    config.raise_for_status()
    return str(config.json()["architecture"])


def flow_run_logs(client: Any, flow_run_id: Any) -> str:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])), limit=200)
    return "\n".join(log.message for log in logs)


def test_matrix_fans_out_per_architecture_to_both_workers_and_collects_one_table(
    deployed: dict[str, Any], prefect_stack: Stack, prefect_api: Any, repository: str, tmp_path: Path
) -> None:
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
        TaskRunFilter,
        TaskRunFilterName,
    )
    from prefect.deployments import run_deployment

    matrix = tmp_path / "matrix.toml"
    matrix.write_text(
        'benchmarks = ["010.sleep"]\nplatforms = ["local"]\narchitectures = ["x64", "arm64"]\n'
        '[languages]\npython = ["3.11"]\n'
    )
    # One global build slot for this run: the two hosts' builds must not overlap.
    prefect_api.update_global_concurrency_limit(LIMIT, GlobalConcurrencyLimitUpdate(limit=1))
    try:
        started = time.monotonic()
        run = run_deployment(
            "nightly-matrix/nightly-matrix",
            parameters={"matrix_file": str(matrix), "repository": repository, "fan_out": True},
            timeout=420,
            poll_interval=1,
            as_subflow=False,
        )
        TIMINGS["fanned-out matrix of 2 images, x64 + arm64 workers (s)"] = round(time.monotonic() - started, 1)
    finally:
        prefect_api.update_global_concurrency_limit(LIMIT, GlobalConcurrencyLimitUpdate(limit=2))
    assert run.state is not None and run.state.is_completed(), (run.state, flow_run_logs(prefect_api, run.id))
    assert run.name == f"nightly matrix {matrix} fanned out"

    records: list[ImageRecord] = run.state.result()
    assert [(r.architecture, r.extra["work_queue"]) for r in records] == [("x64", "x64"), ("arm64", "arm64")]
    for record in records:
        assert record.rebuilt and record.reason == "content not in registry"
        assert record.digest == registry_digest(record.image_uri)
        expected = {"x64": "amd64", "arm64": "arm64"}[record.architecture]
        assert image_architecture(record.image_uri) == expected

    # Each image ran as a build-image subflow of the matrix run, on its architecture's queue,
    # picked up by that queue's worker.
    children = prefect_api.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id]))
    )
    by_queue = {c.work_queue_name: c for c in children}
    assert set(by_queue) == {"x64", "arm64"}
    for queue, child in by_queue.items():
        assert child.name == f"build 010.sleep python-3.11 {queue}"
        assert child.state is not None and child.state.is_completed()
        logs = flow_run_logs(prefect_api, child.id)
        assert f"Worker 'faasforge-{queue}-" in logs
        assert f"global limit '{LIMIT}'" in logs  # the build waited on the server's limit

    # The two builds (on two workers) did not overlap: the global limit had one slot.
    builds = prefect_api.read_task_runs(
        flow_run_filter=FlowRunFilter(id={"any_": [c.id for c in children]}),
        task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="build 010.sleep")),
    )
    assert len(builds) == 2
    first, second = sorted(builds, key=lambda t: t.start_time)
    assert first.end_time is not None and second.start_time is not None
    assert second.start_time >= first.end_time

    # The matrix run's table lists both workers' images; its progress reached 100 %.
    artifacts = prefect_api.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
    )
    [table] = [a for a in artifacts if a.key == "faasforge-images"]
    rows = table.data if isinstance(table.data, list) else json.loads(table.data)
    assert [(r["image"], r["work queue"], r["rebuilt"]) for r in rows] == [
        (records[0].image_uri, "x64", "rebuilt"), (records[1].image_uri, "arm64", "rebuilt")
    ]
    assert all(r["uncompressed MB"] and r["compressed MB"] and r["build s"] is not None for r in rows)
    [progress] = [a for a in artifacts if a.key == "faasforge-matrix-progress"]
    assert float(progress.data) == 100.0
    # the global limit's slots were all given back
    assert prefect_api.read_global_concurrency_limit_by_name(LIMIT).active_slots == 0
