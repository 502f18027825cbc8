"""A matrix fanned out to the x64 and arm64 workers through the nightly-matrix deployment."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from faasforge.model import ImageRecord
from tests.helpers import registry_digest
from tests.prefect.conftest import TIMINGS, Stack
from tests.prefect.support import flow_run_logs, image_architecture

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.docker]

LIMIT = "faasforge-docker-builds"


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


def test_a_failing_image_shows_in_the_matrix_table_and_its_log_tail_in_a_markdown_artifact(
    deployed: dict[str, Any], prefect_api: Any, repository: str, benchmarks_dir: Path
) -> None:
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )
    from prefect.deployments import run_deployment

    # The benchmark's own Dockerfile wins over the template: make the python image fail to build.
    (benchmarks_dir / "000.microbenchmarks" / "010.sleep" / "python" / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo 'faasforge-test: the build breaks here' && exit 3\n"
    )
    images = [
        {"benchmark": "010.sleep", "language": lang, "version": version, "architecture": "x64", "platform": "local"}
        for lang, version in (("python", "3.11"), ("nodejs", "18"))
    ]
    run = run_deployment(
        "nightly-matrix/nightly-matrix",
        parameters={"images": images, "repository": repository, "fan_out": True, "benchmarks_dir": str(benchmarks_dir)},
        timeout=420,
        poll_interval=1,
        as_subflow=False,
    )
    assert run.state is not None and run.state.is_failed(), run.state
    assert "1 of 2 images failed" in (run.state.message or "")

    artifacts = prefect_api.read_artifacts(
        artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]))
    )
    [table] = [a for a in artifacts if a.key == "faasforge-images"]
    rows = table.data if isinstance(table.data, list) else json.loads(table.data)
    assert [r["rebuilt"] for r in rows] == ["rebuilt", "FAILED"]
    assert rows[1]["image"] == "010.sleep python-3.11 x64 (local)"
    assert "ended Failed" in rows[1]["reason"] and "exit" not in rows[0]["reason"]
    assert table.description == "1 images: 1 rebuilt, 0 skipped, 1 failed"

    children = prefect_api.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id]))
    )
    [failed] = [c for c in children if c.state is not None and c.state.is_failed()]
    assert failed.name == "build 010.sleep python-3.11 x64"
    markdown = [
        a for a in prefect_api.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[failed.id]))
        ) if a.type == "markdown"
    ]
    [tail] = markdown
    assert tail.key == "build-failure-010-sleep-python-3-11-x64"
    assert "# Build failed: 010.sleep python-3.11 x64 (local)" in tail.data
    assert "faasforge-test: the build breaks here" in tail.data
