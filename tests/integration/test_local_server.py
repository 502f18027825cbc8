"""faasforge.localserver: Prefect's API server in a subprocess, with no Prefect server code in the
caller, never outliving it. Real processes and a real server; the PREFECT_HOME of tests/conftest.py
(one SQLite database for the session, so only the first start migrates it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from faasforge.errors import LocalServerError
from faasforge.localserver import local_prefect_server
from tests.helpers import run_cli

pytestmark = pytest.mark.prefect

ROOT = Path(__file__).resolve().parents[2]

FLOW_SCRIPT = textwrap.dedent("""
    import atexit, json, sys, threading

    # Registered before Prefect is imported, so it runs after every handler Prefect registers.
    atexit.register(lambda: print(json.dumps({"at_exit": sorted(m for m in sys.modules if m.startswith("prefect.server"))}), flush=True))

    from prefect import flow, get_run_logger, task
    from prefect.client.orchestration import get_client

    from faasforge.flows.session import flow_session
    from faasforge.localserver import is_local_server
    from prefect.settings import PREFECT_API_URL

    @task
    def add(a: int, b: int) -> int:
        get_run_logger().info("adding")
        return a + b

    @flow
    def trivial() -> int:
        get_run_logger().info("hello")
        return add.submit(1, 2).result()

    with flow_session() as server:
        state = trivial(return_state=True)
        with get_client(sync_client=True) as client:
            recorded = client.read_flow_run(state.state_details.flow_run_id).state.type.value
        seen = {}

        def bare_thread() -> None:  # no copied context: Prefect's process-global settings
            with get_client(sync_client=True) as c:
                seen["api_url"] = str(c.api_url)

        thread = threading.Thread(target=bare_thread)
        thread.start()
        thread.join()
        print(json.dumps({
            "pid": server.pid, "api_url": server.api_url, "log": str(server.log_path),
            "result": state.result(), "state": state.type.value, "recorded": recorded,
            "bare_thread_api_url": seen["api_url"], "is_local": is_local_server(PREFECT_API_URL.value()),
        }), flush=True)
    assert not is_local_server(server.api_url)
    print(json.dumps({"after": sorted(m for m in sys.modules if m.startswith("prefect.server"))}), flush=True)
""")

HOLD_SCRIPT = textwrap.dedent("""
    import json, sys, time
    from faasforge.localserver import local_prefect_server

    with local_prefect_server() as server:
        print(json.dumps({"pid": server.pid, "api_url": server.api_url, "log": str(server.log_path)}), flush=True)
        if sys.argv[1] == "hold":
            time.sleep(600)
""")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _is_uvicorn(pid: int) -> bool:
    try:
        return b"uvicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _kill_if_left(pid: int) -> None:
    if _alive(pid) and _is_uvicorn(pid):  # a failed test must not leave its server running
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def new_uvicorn_children() -> Callable[[], list[int]]:
    """uvicorn children of this pytest process started during the test: a flow called in-process
    by an earlier test leaves Prefect's own ephemeral server running, and that one is not ours."""
    earlier = set(_uvicorn_children())
    return lambda: [pid for pid in _uvicorn_children() if pid not in earlier]


def _uvicorn_children() -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[-1].split()[1]) == os.getpid() and _alive(int(entry)) and _is_uvicorn(int(entry)):
            children.append(int(entry))
    return children


def test_flows_run_on_the_local_server_and_prefect_server_code_stays_out(faasforge_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FLOW_SCRIPT], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    run, after, at_exit = lines[0], lines[1], lines[2]
    assert run["result"] == 3 and run["state"] == "COMPLETED" and run["recorded"] == "COMPLETED"
    assert run["api_url"].startswith("http://127.0.0.1:") and run["api_url"].endswith("/api")
    assert run["bare_thread_api_url"].rstrip("/") == run["api_url"]  # not a second, Prefect-started server
    assert run["is_local"]
    assert after["after"] == [] and at_exit["at_exit"] == []  # prefect.server.* never imported
    assert not _alive(run["pid"])  # stopped with the block
    log = Path(run["log"])
    assert log.parent == faasforge_home / "logs" and log.name.startswith("prefect-server-")
    assert not log.exists()  # a quiet, clean stop leaves no empty log behind


def test_a_sigkilled_holder_leaves_no_server_behind() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, "hold"], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    server_pid = 0
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else ""
        server_pid = json.loads(line)["pid"]
        assert _alive(server_pid) and _is_uvicorn(server_pid)
        proc.kill()  # SIGKILL: no finally, no atexit in the holder
        proc.wait(10)
        assert _wait_gone(server_pid, 10), "the server outlived the SIGKILLed process that started it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if server_pid:
            _kill_if_left(server_pid)


def test_a_normal_exit_stops_and_reaps_the_server() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HOLD_SCRIPT, "exit"], cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    server_pid = json.loads(done.stdout.splitlines()[0])["pid"]
    try:
        assert not _alive(server_pid)  # gone by the time its parent exited: stopped, not orphaned
    finally:
        _kill_if_left(server_pid)


def test_a_server_that_cannot_start_is_one_actionable_error_with_its_output(
    tmp_path: Path, new_uvicorn_children: Callable[[], list[int]]
) -> None:
    from prefect.settings import temporary_settings

    unopenable = f"sqlite+aiosqlite:///{tmp_path}/not-a-dir/prefect.db"
    (tmp_path / "not-a-dir").write_text("a file where the database's directory should be")
    with temporary_settings(updates={"server.database.connection_url": unopenable}), \
            pytest.raises(LocalServerError) as info, local_prefect_server(log_dir=tmp_path / "logs"):
        pass
    first, *rest = str(info.value).splitlines()
    assert first.startswith("the local Prefect server exited with code ")
    assert "set PREFECT_API_URL to a running Prefect server" in first and str(tmp_path / "logs") in first
    assert rest[0].strip() == "last lines of its output:"
    assert any("unable to open database file" in line for line in rest)
    assert new_uvicorn_children() == []


def test_a_server_that_does_not_answer_in_time_is_stopped(
    tmp_path: Path, new_uvicorn_children: Callable[[], list[int]]
) -> None:
    expected = r"did not answer /api/health within 0.2 s; raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
    with pytest.raises(LocalServerError, match=expected), local_prefect_server(log_dir=tmp_path, startup_timeout=0.2):
        pass
    assert new_uvicorn_children() == []


def test_a_configured_server_is_used_as_it_is(new_uvicorn_children: Callable[[], list[int]]) -> None:
    from faasforge.flows.session import flow_session
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}), flow_session() as server:
        assert server is None and PREFECT_API_URL.value() == "http://127.0.0.1:9/api"
        assert new_uvicorn_children() == []


def test_an_unwritable_logs_directory_does_not_stop_the_server(tmp_path: Path) -> None:
    import tempfile
    import urllib.request

    blocker = tmp_path / "home"
    blocker.write_text("a file where the logs directory would go")
    with local_prefect_server(log_dir=blocker / "logs") as server:
        assert server.log_path.parent == Path(tempfile.gettempdir())
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"{server.api_url}/health", timeout=5) as reply:
            assert reply.status == 200
    assert not _alive(server.pid) and not server.log_path.exists()


@pytest.mark.docker
def test_a_global_build_limit_still_needs_a_real_server(
    local_registry: str, repository: str, faasforge_home: Path
) -> None:
    """The CLI's own server is ephemeral mode in all but name: no global limits across processes."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(FAASFORGE_HOME=str(faasforge_home), FAASFORGE_GLOBAL_BUILD_LIMIT="faasforge-docker-builds")
    result = run_cli(
        ["build", "--benchmark", "010.sleep", "--language", "python", "--version", "3.11",
         "--registry", local_registry, "--repository", repository],
        env, cwd=ROOT, timeout=180,
    )
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "FAASFORGE_GLOBAL_BUILD_LIMIT=faasforge-docker-builds needs a Prefect server" in line
    assert result.stdout == ""
