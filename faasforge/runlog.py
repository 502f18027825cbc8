"""Where a command's logs go while its flows run: all of it to a file, little to the console.

The rule (RELIABILITY.md, "What the console shows"):

- every record any logger emits during the run, with tracebacks, goes to
  ``$FAASFORGE_HOME/logs/<command>-<UTC time>-<pid>.log`` (the 50 newest files are kept);
- the console (stderr) shows faasforge's warnings (its own loggers and its flows' and tasks' run
  loggers), e.g. a push retried with back-off, one line each and never a traceback; Prefect's
  housekeeping (its event and log workers draining at exit, say) stays in the file;
  ``--verbose`` shows INFO and up from every logger, still one line each;
- failures reported by the flow and task run engines (ERROR from ``prefect.flow_runs`` and
  ``prefect.task_runs``) stay in the file: the command sums the failure up in its own last line,
  ``faasforge: error: ...``, which names the log file.

Plain ``logging``: no Prefect import. Install it after Prefect configured logging (importing
Prefect does that), so the console handlers it set up are the ones replaced.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from pathlib import Path

__all__ = ["RunLog"]

KEEP_FILES = 50
RUN_ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
OWN_LOGGERS = ("faasforge", "registries", "flows", "tasks", *RUN_ENGINE_LOGGERS)
FORMAT = "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(where)s - %(message)s"
DATE_FORMAT = "%H:%M:%S"


def _where(record: logging.LogRecord) -> str:
    task = getattr(record, "task_run_name", None)
    if task:
        return f"Task run {task!r}"
    flow = getattr(record, "flow_run_name", None)
    if flow:
        return f"Flow run {flow!r}"
    return record.name


class _FileFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.where = _where(record)
        return super().format(record)


class _ConsoleFormatter(logging.Formatter):
    """One line per record: the message's first line, no exception text or stack."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            record.where = _where(record)
            text = super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved
        return text.splitlines()[0] if text else text


class _ConsoleFilter(logging.Filter):
    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.name.startswith(RUN_ENGINE_LOGGERS):
            return False  # the command's own last line reports the failure
        return self.verbose or record.name.startswith(OWN_LOGGERS)


def _is_console(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    return isinstance(handler, logging.StreamHandler) and stream in (sys.stderr, sys.stdout, sys.__stderr__)


class RunLog:
    """A per-run log file plus a quiet console, installed over the logging tree."""

    def __init__(self, home: Path, command: str, verbose: bool = False) -> None:
        self.verbose = verbose
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        self.directory = home / "logs"
        self.path: Path | None = self.directory / f"{command}-{stamp}-{os.getpid()}.log"
        self._file: logging.Handler | None = None
        self._console: logging.Handler | None = None
        self._replaced: list[tuple[logging.Logger, logging.Handler]] = []

    def install(self) -> RunLog:
        """Route every console handler of the logging tree to the file and a quiet console."""
        logging.raiseExceptions = False  # a failing handler must never print a traceback
        self._file = self._open_file()
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.INFO if self.verbose else logging.WARNING)
        console.setFormatter(_ConsoleFormatter(FORMAT, DATE_FORMAT))
        console.addFilter(_ConsoleFilter(self.verbose))
        self._console = console
        loggers = [logging.getLogger()] + [
            lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
        ]
        root = logging.getLogger()
        for logger in loggers:
            consoles = [h for h in logger.handlers if _is_console(h)]
            if not consoles and logger is not root:
                continue
            for handler in consoles:
                logger.removeHandler(handler)
                self._replaced.append((logger, handler))
            if logger is not root and logger.propagate:
                continue  # its records reach the root's handlers anyway
            for added in (self._file, console):
                if added is not None and added not in logger.handlers:
                    logger.addHandler(added)
        return self

    def _open_file(self) -> logging.Handler | None:
        assert self.path is not None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handler = logging.FileHandler(self.path, encoding="utf-8")
        except OSError:
            self.path = None  # an unwritable home must not stop the build; the console still works
            return None
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(_FileFormatter(FORMAT, DATE_FORMAT))
        self._prune()
        return handler

    def _prune(self) -> None:
        try:
            files = sorted(self.directory.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
            for old in files[KEEP_FILES:]:
                old.unlink(missing_ok=True)
        except OSError:
            pass

    def write_exception(self, exc: BaseException) -> Path | None:
        """Append ``exc`` with its traceback to the file (opened now if the run had not yet)."""
        if self._file is None and self.path is not None:
            self._file = self._open_file()
        if self._file is None or self.path is None:
            return None
        from faasforge.redaction import mask_secrets

        text = mask_secrets("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        try:
            self._file.acquire()
            try:
                stream = getattr(self._file, "stream", None)
                if stream is not None:
                    stream.write(f"faasforge: the command failed:\n{text}")
                    stream.flush()
            finally:
                self._file.release()
        except (OSError, ValueError):
            return None
        return self.path

    @property
    def written(self) -> bool:
        return self._file is not None and self.path is not None

    def uninstall(self) -> None:
        """Put the console handlers back (tests and library callers run more than one command)."""
        touched = {id(lg): lg for lg, _ in self._replaced} | {id(logging.getLogger()): logging.getLogger()}
        for logger in touched.values():
            for handler in (self._file, self._console):
                if handler is not None and handler in logger.handlers:
                    logger.removeHandler(handler)
        for logger, handler in self._replaced:
            logger.addHandler(handler)
        self._replaced.clear()
        if self._file is not None:
            self._file.close()
