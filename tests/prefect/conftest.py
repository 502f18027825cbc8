"""A real Prefect stack for the tests in this folder, started once per session by
scripts/prefect-stack.sh: PostgreSQL and `prefect server start` on free loopback ports, the
`faasforge` process pool with x64/arm64 queues, the global build limit, the results block and two
process workers (x64 and arm64, each with its own DOCKER_HOST; both the local engine here).
Everything is stopped and deleted at the end of the session, also when tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
STACK_SCRIPT = ROOT / "scripts" / "prefect-stack.sh"
ARTIFACTS = ROOT / "test-artifacts"
TIMINGS: dict[str, float] = {}


@dataclass
class Stack:
    dir: Path
    settings: dict[str, str]
    script_env: dict[str, str] = field(repr=False)

    @property
    def api_url(self) -> str:
        return self.settings["PREFECT_API_URL"]

    @property
    def ui_url(self) -> str:
        return self.settings["FAASFORGE_PREFECT_UI"]

    def client_env(self, **extra: str) -> dict[str, str]:
        """Environment for a client process (an example, the CLI) that talks to this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_DATABASE")}
        env.update(PREFECT_API_URL=self.api_url, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        env.update(extra)
        return env

    def script(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(STACK_SCRIPT), *args], env=self.script_env, text=True, capture_output=True, timeout=timeout
        )
        if result.returncode != 0:
            raise AssertionError(
                f"prefect-stack.sh {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result


def _parse_env(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


@pytest.fixture(scope="session")
def prefect_stack(local_registry: str) -> Iterator[Stack]:
    # Not under pytest's 0700 temp dirs: the postgres user must reach its data directory.
    stack_dir = Path(tempfile.mkdtemp(prefix="faasforge-test-stack-", dir="/var/tmp"))
    stack_dir.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_HOME")}
    env.update(
        FAASFORGE_STACK_DIR=str(stack_dir),
        FAASFORGE_PYTHON=sys.executable,
        FAASFORGE_WORKERS="x64 arm64",
        FAASFORGE_GLOBAL_BUILD_SLOTS="2",
        # No nightly runs fire during tests; workers poll every second.
        PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
    )
    stack = Stack(dir=stack_dir, settings={}, script_env=env)
    try:
        started = time.monotonic()
        stack.script("up")
        TIMINGS["stack up: postgres + server + set-up + 2 workers (s)"] = round(time.monotonic() - started, 1)
        server_seconds = stack_dir / "server.start-seconds"
        if server_seconds.exists():
            TIMINGS["server start to /api/health (s)"] = float(server_seconds.read_text())
        stack.settings = _parse_env(stack_dir / "stack.env")
        yield stack
    finally:
        _keep_logs(stack_dir)
        subprocess.run([str(STACK_SCRIPT), "down", "--purge"], env=env, timeout=180, check=False)


def _keep_logs(stack_dir: Path) -> None:
    """Copy server and worker logs to test-artifacts/ for a look after a failure."""
    target = ARTIFACTS / "prefect-stack-logs"
    shutil.rmtree(target, ignore_errors=True)
    for log in [stack_dir / "server.log", *stack_dir.glob("worker-*/worker.log"), stack_dir / "postgres" / "postgres.log"]:
        if log.exists():
            target.mkdir(parents=True, exist_ok=True)
            name = log.parent.name + "-" + log.name if log.parent != stack_dir else log.name
            shutil.copy(log, target / name)


@pytest.fixture(scope="session")
def deployed(prefect_stack: Stack) -> dict[str, Any]:
    """`prefect deploy --all` (prefect.yaml) against the fresh server, once."""
    started = time.monotonic()
    result = prefect_stack.script("deploy")
    TIMINGS["prefect deploy --all (s)"] = round(time.monotonic() - started, 1)
    return {"output": result.stdout + result.stderr}


@pytest.fixture
def prefect_api(prefect_stack: Stack) -> Iterator[Any]:
    """A sync client of the stack's server; Prefect calls in the test process go there too."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_stack.api_url}), get_client(sync_client=True) as client:
        yield client


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("faasforge Prefect stack timings")
    for name, seconds in TIMINGS.items():
        terminalreporter.write_line(f"{name}: {seconds}")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "prefect-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")
