"""The console rule of a command that runs flows (faasforge.runlog), in-process: the file gets
everything with tracebacks; the console gets warnings, one line each, and never the run
engines' failure reports."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasforge.runlog import RunLog


@pytest.fixture
def prefect_like_console() -> Iterator[logging.Handler]:
    """A root console handler and an INFO ``prefect`` logger, as Prefect's logging config sets up."""
    handler = logging.StreamHandler(sys.stderr)
    prefect = logging.getLogger("prefect")
    level = prefect.level
    prefect.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    prefect.setLevel(level)


def _emit() -> None:
    logging.getLogger("prefect.task_runs").info("Finished in state Completed()")
    logging.getLogger("EventsWorker").warning("Still processing items: 9 items remaining...")
    logging.getLogger("faasforge.push").warning("push of x failed (connection reset); attempt 1 of 3, retrying in 0.25s")
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        logging.getLogger("prefect.task_runs").error("Task run failed with exception: RuntimeError('boom')", exc_info=True)
        logging.getLogger("faasforge.other").warning("handled: %s", "boom\nmore", exc_info=True)


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_console_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str], prefect_like_console: logging.Handler,
                      verbose: bool) -> None:
    run_log = RunLog(tmp_path, "build", verbose=verbose).install()
    try:
        _emit()
    finally:
        run_log.uninstall()
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert "Traceback" not in err
    assert not any("Task run failed" in ln for ln in lines)  # the command's own last line says it
    assert sum("retrying in 0.25s" in ln for ln in lines) == 1
    assert any(ln.endswith("handled: boom") for ln in lines)  # first line of a multi-line message
    assert any("Completed()" in ln for ln in lines) is verbose
    assert any("Still processing items" in ln for ln in lines) is verbose  # Prefect housekeeping
    text = run_log.path.read_text() if run_log.path else ""
    assert text.count("Traceback") == 2 and "Task run failed" in text and "Completed()" in text
    assert prefect_like_console in logging.getLogger().handlers  # given back


def test_exception_goes_to_the_file(tmp_path: Path) -> None:
    run_log = RunLog(tmp_path, "plan")
    try:
        raise ValueError("unexpected")
    except ValueError as exc:
        path = run_log.write_exception(exc)
    run_log.uninstall()
    assert path is not None and "Traceback" in path.read_text() and "ValueError: unexpected" in path.read_text()


def test_unwritable_home_keeps_the_console(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           prefect_like_console: logging.Handler) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file where the logs directory would go")
    run_log = RunLog(blocker, "build").install()
    try:
        logging.getLogger("faasforge.push").warning("still shown")
    finally:
        run_log.uninstall()
    assert run_log.path is None and "still shown" in capsys.readouterr().err
