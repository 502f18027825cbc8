"""A matrix is checked against the registry up front; only what needs work gets image steps."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from faasforge.flows.build import build_images
from faasforge.registries import open_workspace

from faasforge.model import ImageRequest
from faasforge.pipeline import Workspace, triage_images
from faasforge.settings import Settings

pytestmark = [pytest.mark.docker, pytest.mark.prefect]

SLEEP_PY = ImageRequest("local", "010.sleep", "python", "3.11", "x64")
SLEEP_NODE = ImageRequest("local", "010.sleep", "nodejs", "18", "x64")
HTML_PY = ImageRequest("local", "110.dynamic-html", "python", "3.11", "x64")


def workspace(registry: str, repository: str, benchmarks_dir: Path, home: Path) -> Workspace:
    return open_workspace(
        Settings(registry=registry, repository=repository, benchmarks_dir=benchmarks_dir, home=home)
    )


def task_run_names(flow_run_id: Any) -> list[str]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return sorted(r.name for r in runs)


def run_matrix(registry: str, repository: str, benchmarks_dir: Path, *requests: ImageRequest, **kw: Any) -> Any:
    return build_images(
        images=[r.as_params() for r in requests], registry=registry, repository=repository,
        benchmarks_dir=str(benchmarks_dir), return_state=True, **kw,
    )


def test_triage_splits_published_images_from_the_rest_with_one_request_each(
    local_registry: str, benchmarks_dir: Path, repository: str, faasforge_home: Path
) -> None:
    state = run_matrix(local_registry, repository, benchmarks_dir, SLEEP_PY)
    assert state.is_completed()
    ws = workspace(local_registry, repository, benchmarks_dir, faasforge_home)
    unknown = ImageRequest("local", "999.not-there", "python", "3.11", "x64")

    triage = triage_images([SLEEP_PY, HTML_PY, unknown], ws)
    assert [resolved.request for resolved, _ in triage.skipped] == [SLEEP_PY]
    assert "already in registry" in triage.skipped[0][1].reason
    assert triage.to_build == (HTML_PY, unknown)  # the bad one is left to its own pipeline to report

    forced = triage_images([SLEEP_PY, HTML_PY], ws, force=True)
    assert forced.skipped == () and forced.to_build == (SLEEP_PY, HTML_PY)


def test_an_unreachable_registry_is_asked_once_per_platform(
    benchmarks_dir: Path, repository: str, faasforge_home: Path
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ws = workspace(f"127.0.0.1:{port}", repository, benchmarks_dir, faasforge_home)
    started = time.monotonic()
    triage = triage_images([SLEEP_PY, SLEEP_NODE, HTML_PY], ws)
    elapsed = time.monotonic() - started
    assert triage.skipped == () and triage.to_build == (SLEEP_PY, SLEEP_NODE, HTML_PY)
    one_image = ws.retry.backoff_seconds * (2 ** (ws.retry.attempts - 1) - 1) + 1.0  # its back-off, + slack
    assert elapsed < one_image, f"{elapsed:.2f}s: the registry was retried for more than the first image"


def test_a_matrix_the_registry_already_holds_runs_no_image_steps(
    local_registry: str, benchmarks_dir: Path, repository: str
) -> None:
    first = run_matrix(local_registry, repository, benchmarks_dir, SLEEP_PY, HTML_PY)
    assert [r.rebuilt for r in first.result()] == [True, True]
    built_steps = task_run_names(first.state_details.flow_run_id)
    for verb in ("resolve", "check", "stage", "build", "push", "record"):
        assert f"{verb} 010.sleep python-3.11 x64" in built_steps, built_steps

    again = run_matrix(local_registry, repository, benchmarks_dir, SLEEP_PY, HTML_PY)
    records = again.result()
    assert [r.rebuilt for r in records] == [False, False]
    assert [r.digest for r in records] == [r.digest for r in first.result()]
    assert task_run_names(again.state_details.flow_run_id) == ["check 2 images", "record 2 images"]
