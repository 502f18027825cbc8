"""examples/: calling faasforge from another pipeline, in-process and through run_deployment."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import registry_digest
from tests.prefect.conftest import ROOT, TIMINGS, Stack

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.docker]


def run_example(stack: Stack, tmp_path: Path, script: str, *args: str) -> list[dict[str, Any]]:
    env = stack.client_env(
        PREFECT_HOME=str(tmp_path / "prefect-home"), FAASFORGE_HOME=str(tmp_path / "faasforge-home")
    )
    started = time.monotonic()
    # from another directory, as another project's pipeline would run
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), *args],
        cwd=tmp_path, env=env, text=True, capture_output=True, timeout=600,
    )
    TIMINGS[f"examples/{script} (s)"] = round(time.monotonic() - started, 1)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(result.stdout)
    return data if isinstance(data, list) else [data]


def test_in_process_example_builds_here_and_reports_to_the_server(
    prefect_stack: Stack, prefect_api: Any, repository: str, tmp_path: Path
) -> None:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    [record] = run_example(
        prefect_stack, tmp_path, "build_in_process.py",
        "--benchmark", "110.dynamic-html", "--language", "nodejs", "--version", "18", "--arch", "x64",
        "--repository", repository,
    )
    assert record["rebuilt"] and record["digest"] == registry_digest(record["image_uri"])
    assert f"/{repository}:function.local.110.dynamic-html.nodejs-18-x64-" in record["image_uri"]
    runs = prefect_api.read_flow_runs(
        flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["build 110.dynamic-html nodejs-18 x64"]))
    )
    mine = [r for r in runs if r.parameters.get("repository") == repository]
    assert len(mine) == 1 and mine[0].deployment_id is None  # ran in-process, reported to the server
    assert mine[0].state is not None and mine[0].state.is_completed()


def test_run_deployment_example_hands_builds_to_the_workers_and_reads_back_records(
    deployed: dict[str, Any], prefect_stack: Stack, repository: str, tmp_path: Path
) -> None:
    records = run_example(
        prefect_stack, tmp_path, "build_via_deployment.py",
        "--benchmark", "010.sleep", "--language", "nodejs", "--version", "18",
        "--arch", "x64", "--arch", "arm64", "--repository", repository, "--timeout", "400",
    )
    assert [(r["architecture"], r["work_queue"]) for r in records] == [("x64", "x64"), ("arm64", "arm64")]
    for record in records:
        assert record["rebuilt"] and record["digest"] == registry_digest(record["image_uri"])
        assert record["flow_run"] == f"build 010.sleep nodejs-18 {record['architecture']}"
        assert record["size_mb"] > 10 and 0 < record["compressed_mb"] < record["size_mb"]

    # the same images again, as one fanned-out matrix run: both skipped, same digests
    again = run_example(
        prefect_stack, tmp_path, "build_via_deployment.py",
        "--benchmark", "010.sleep", "--language", "nodejs", "--version", "18",
        "--arch", "x64", "--arch", "arm64", "--repository", repository, "--matrix", "--timeout", "400",
    )
    assert [r["rebuilt"] for r in again] == [False, False]
    assert all("already in registry" in r["reason"] for r in again)
    assert [r["digest"] for r in again] == [r["digest"] for r in records]
