"""Two overlapping runs that want the same image build it once (faasforge.locks.image_lock).

Two real `faasforge build` processes, sharing one FAASFORGE_HOME like two users' runs on one
build host, reporting to the test server. The test holds the image's lock first, so both are
certain to overlap (each logs that it waits), then lets go: one builds and pushes; the other
waits on, then finds the tag in the registry and skips.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from faasforge.registries import open_workspace

from faasforge.locks import image_lock
from faasforge.model import ImageRequest
from faasforge.pipeline import resolve_image
from faasforge.settings import Settings
from tests.helpers import registry_digest
from tests.prefect.conftest import Stack

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.docker]

WAITING = "waiting for another run building"


def runs_waiting(client: Any, repository: str) -> int:
    """How many of this test's flow runs have logged that they wait for the image's lock."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName, LogFilter, LogFilterFlowRunId

    runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=["build 010.sleep nodejs-18 arm64"]))
    )
    ids = [r.id for r in runs if r.parameters.get("repository") == repository]
    if not ids:
        return 0
    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)), limit=200)
    return len({log.flow_run_id for log in logs if WAITING in log.message})


def test_the_same_image_from_two_overlapping_runs_is_built_once(
    prefect_stack: Stack, prefect_api: Any, local_registry: str, repository: str, faasforge_home: Path, tmp_path: Path
) -> None:
    request = ImageRequest("local", "010.sleep", "nodejs", "18", "arm64")
    ws = open_workspace(Settings(registry=local_registry, repository=repository, home=faasforge_home))
    resolved = resolve_image(request, ws)
    command = [
        sys.executable, "-m", "faasforge", "build", "--benchmark", "010.sleep", "--language", "nodejs",
        "--version", "18", "--arch", "arm64", "--registry", local_registry, "--repository", repository, "--json",
    ]
    procs: list[tuple[subprocess.Popen[str], Path, Path]] = []
    with image_lock(resolved.image_uri, resolved.plan.content_hash, home=faasforge_home):
        for i in range(2):
            out, err = tmp_path / f"run{i}.out", tmp_path / f"run{i}.err"
            env = prefect_stack.client_env(
                FAASFORGE_HOME=str(faasforge_home), PREFECT_HOME=str(tmp_path / f"prefect-home-{i}")
            )
            with out.open("w") as stdout, err.open("w") as stderr:
                procs.append((subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr, text=True), out, err))
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                waiting = runs_waiting(prefect_api, repository)
                if waiting == 2 or any(p.poll() is not None for p, _, _ in procs):
                    break
                time.sleep(1)
            assert waiting == 2, [e.read_text()[-2000:] for _, _, e in procs]
        except BaseException:
            for p, _, _ in procs:
                p.kill()
            raise
    # lock released: one of them builds while the other keeps waiting
    records: list[dict[str, Any]] = []
    for proc, out, err in procs:
        assert proc.wait(timeout=300) == 0, err.read_text()[-3000:]
        [record] = json.loads(out.read_text())
        records.append(record)
    built = [r for r in records if r["rebuilt"]]
    skipped = [r for r in records if not r["rebuilt"]]
    assert len(built) == 1 and len(skipped) == 1, records
    assert built[0]["reason"] == "content not in registry"
    assert "built by another run while this one waited" in skipped[0]["reason"]
    assert built[0]["image_uri"] == skipped[0]["image_uri"] == resolved.image_uri
    assert built[0]["digest"] == skipped[0]["digest"] == registry_digest(resolved.image_uri)
