"""A Prefect API server for this process's flows, in a subprocess, without Prefect's server code here.

Without ``PREFECT_API_URL``, Prefect's client starts its ephemeral server itself
(``prefect.server.api.server.SubprocessASGIServer``). Importing that class pulls Prefect's whole
server application (FastAPI app, SQLAlchemy models) into the calling process only to launch a
subprocess: ~75 MB of the CLI's ~180 MB peak, and ~1.9 s of imports (BENCHMARKS.md, "6. Memory").
And when the caller is killed (SIGKILL or SIGTERM), that uvicorn subprocess is left running,
re-parented to init, for good.

``local_prefect_server()`` starts the same server the same way (``faasforge.prefect_private``):
the same uvicorn command line,
the same environment (``PREFECT_UI_ENABLED=0``, ``PREFECT__SERVER_EPHEMERAL=1``,
``PREFECT__SERVER_FINAL=1`` and the current Prefect settings as variables), hence the same
SQLite database under ``PREFECT_HOME``. But this process only needs ``prefect.settings``:

- readiness is ``GET /api/health`` with the standard library, within
  ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` (Prefect's own setting, 20 s by default);
  a server that exits or does not answer in time raises ``LocalServerError`` with the tail of its output;
- the server's stdout and stderr go to ``$FAASFORGE_HOME/logs/prefect-server-<UTC time>-<pid>.log``
  (``<pid>`` is this process's, as in the command's own log); the file is removed at the end
  when the server wrote nothing;
- on Linux the server gets ``PR_SET_PDEATHSIG`` = SIGTERM and its own session: a killed caller never
  leaves it behind, and a Ctrl-C in the terminal reaches the caller only, which then stops the
  server once its flows have reported their final states. The kernel sends that signal when the
  *thread* that started the server ends, so enter the context in a thread that outlives it (a
  ``with`` block does). Elsewhere the server shares the caller's process group, as Prefect's does;
- on exit: Prefect's log and event workers are drained while the server still answers, then the
  server gets SIGTERM, 5 s, SIGKILL, and is always reaped.

``prefect_api(url)`` then points this process's flows at it (``PREFECT_API_URL``), for the
current context and for threads started without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from faasforge.errors import LocalServerError
from faasforge.ports import free_port, port_free
from faasforge.prefect_private import server_command, server_environment, swap_global_settings

__all__ = ["LocalPrefectServer", "is_local_server", "local_prefect_server", "prefect_api"]

STOP_GRACE_SECONDS = 5.0
PORT_IN_USE_EXIT_CODE = 3  # uvicorn's exit code when it cannot bind (Prefect retries on it too)
PORT_ATTEMPTS = 5
TAIL_LINES = 10
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_RUNNING: set[str] = set()  # API URLs of the servers this process runs now


@dataclass(frozen=True)
class LocalPrefectServer:
    """A running server: its API URL (what ``PREFECT_API_URL`` takes), pid and log file."""

    api_url: str
    pid: int
    log_path: Path


@contextmanager
def local_prefect_server(
    log_dir: Path | None = None, startup_timeout: float | None = None
) -> Iterator[LocalPrefectServer]:
    """Start Prefect's API server in a subprocess on a free loopback port; stop it on exit.

    ``log_dir`` defaults to ``$FAASFORGE_HOME/logs``; ``startup_timeout`` to Prefect's
    ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS``. Raises ``LocalServerError`` when the
    server exits or does not answer ``/api/health`` in time (it is stopped first).
    """
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if startup_timeout is None:
        startup_timeout = settings.server.ephemeral.startup_timeout_seconds
    timeout = float(startup_timeout)
    env = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # unless the caller's environment says otherwise
        **os.environ,
        **server_environment(),
        **settings.to_environment_variables(exclude_unset=True),
    }
    log, log_path = _open_log(log_dir)
    with log:
        proc, api_url = _start(env, log, log_path, timeout)
    _RUNNING.add(api_url)
    try:
        yield LocalPrefectServer(api_url=api_url, pid=proc.pid, log_path=log_path)
    finally:
        _RUNNING.discard(api_url)
        _drain_prefect_workers()
        _stop(proc)
        with contextlib.suppress(OSError):
            if log_path.stat().st_size == 0:  # it had nothing to say
                log_path.unlink()


def is_local_server(api_url: str | None) -> bool:
    """Whether ``api_url`` is a server ``local_prefect_server()`` runs for this process, i.e.
    Prefect's ephemeral mode in all but name (no other process shares it)."""
    return bool(api_url) and str(api_url).rstrip("/") in _RUNNING


@contextmanager
def prefect_api(api_url: str, updates: Mapping[Any, Any] | None = None) -> Iterator[None]:
    """Point this process's Prefect client at ``api_url`` (plus any other setting ``updates``).

    ``temporary_settings`` covers the current context and every thread that copies it (Prefect's
    task runners, faasforge's matrix pool). A thread started without a context (plain
    ``threading.Thread``) reads Prefect's process-global settings instead, and with no API URL
    there, Prefect would start its own ephemeral server after all; so the global settings are
    swapped for the same duration too (``faasforge.prefect_private.swap_global_settings``).
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={**(updates or {}), PREFECT_API_URL: api_url}) as settings, \
            swap_global_settings(settings):
        yield


# --------------------------------------------------------------------------------------- start
def _open_log(log_dir: Path | None) -> tuple[BinaryIO, Path]:
    """The server's log file; in the temp directory when the logs directory is not writable (as
    the command's own log, an unwritable home must not stop the run)."""
    if log_dir is None:
        from faasforge.settings import faasforge_home

        log_dir = faasforge_home() / "logs"
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"prefect-server-{stamp}-{os.getpid()}"
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / f"{name}.log"
        return path.open("ab"), path
    except OSError:
        fd, temp = tempfile.mkstemp(prefix=f"faasforge-{name}-", suffix=".log")
        return os.fdopen(fd, "ab"), Path(temp)


def _start(
    env: dict[str, str], log: BinaryIO, log_path: Path, timeout: float
) -> tuple[subprocess.Popen[bytes], str]:
    deadline = time.monotonic() + timeout
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = free_port()
        proc = _spawn(server_command(port), env, log)
        api_url = f"http://127.0.0.1:{port}/api"
        try:
            healthy = _wait_healthy(proc, api_url, deadline)
        except BaseException:  # Ctrl-C while waiting: never leave the server behind
            _stop(proc)
            raise
        if healthy:
            return proc, api_url
        timed_out = proc.poll() is None
        code = _stop(proc)
        # Another process took the port between the probe and uvicorn's bind: try another one.
        # (uvicorn exits 3 on any start-up failure, so ask the port, not the exit code alone.)
        if timed_out or code != PORT_IN_USE_EXIT_CODE or port_free(port) or attempt == PORT_ATTEMPTS:
            raise LocalServerError(_failure(None if timed_out else code, timeout, log_path))
    raise AssertionError("unreachable")


def _spawn(cmd: list[str], env: dict[str, str], log: BinaryIO) -> subprocess.Popen[bytes]:
    options: dict[str, Any] = {}
    death_signal = _death_signal_setter()
    if death_signal is not None:
        options.update(preexec_fn=death_signal, start_new_session=True)
    return subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, close_fds=True, **options
    )


def _death_signal_setter() -> Callable[[], None] | None:
    """On Linux, a ``preexec_fn`` that has the kernel SIGTERM the child when this thread ends.

    libc and ``prctl`` are looked up here, before the fork: the child only calls them.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.restype = ctypes.c_int
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    parent = os.getpid()
    term = int(signal.SIGTERM)

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, term, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os._exit(1)

    return set_death_signal


def _wait_healthy(proc: subprocess.Popen[bytes], api_url: str, deadline: float) -> bool:
    """True once ``/api/health`` answers 200; False if the process exits or the deadline passes."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    while proc.poll() is None:
        try:
            with opener.open(f"{api_url}/health", timeout=2) as reply:
                if reply.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return False


def _failure(code: int | None, timeout: float, log_path: Path) -> str:
    """The error's first line says what to do; then the tail of the server's output. ``code`` is
    None when the server was still running at the deadline."""
    if code is None:
        what = (
            f"the local Prefect server did not answer /api/health within {timeout:g} s; raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
        )
    else:
        what = f"the local Prefect server exited with code {code} before it answered /api/health; fix the cause below"
    line = f"{what}, or set PREFECT_API_URL to a running Prefect server (server log: {log_path})"
    tail = _tail(log_path)
    if not tail:
        return line + " (it wrote no output)"
    return line + "\n  last lines of its output:\n" + "\n".join(f"    {t}" for t in tail)


def _tail(path: Path, lines: int = TAIL_LINES) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [t.rstrip() for t in text.splitlines() if t.strip()][-lines:]


# ---------------------------------------------------------------------------------------- stop
def _drain_prefect_workers(timeout: float = 10.0) -> None:
    """Send what Prefect's log and event workers still hold while the server answers.

    They would drain at interpreter exit anyway, after the server is gone. Only modules already
    imported are touched: nothing to drain otherwise. Inside a running event loop ``drain_all``
    would hand back a coroutine instead of waiting, so there they are left to Prefect's exit hook.
    """
    try:
        asyncio.get_running_loop()
        return
    except RuntimeError:
        pass
    for module, name in (("prefect.logging.handlers", "APILogWorker"), ("prefect.events.worker", "EventsWorker")):
        worker = getattr(sys.modules.get(module), name, None)
        if worker is not None:
            with contextlib.suppress(Exception):
                worker.drain_all(timeout=timeout)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, up to ``STOP_GRACE_SECONDS``, then SIGKILL; always reaped. Returns the exit code."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
    return proc.wait()
