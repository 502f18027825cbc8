"""One exception tree for faasforge.

    FaasforgeError
    ├── UsageError                 bad input from the user; the CLI exits 2
    │   ├── InvalidValue           a value outside the allowed ones (names the value and the allowed)
    │   ├── ConfigError            a malformed or missing configuration file
    │   ├── InitScriptTimeout      a benchmark's init.sh ran longer than FAASFORGE_INIT_TIMEOUT_SECONDS
    │   └── BaseImageMissing       a base image neither in the engine nor in its registry
    ├── EngineError                the Docker engine is unreachable or misconfigured
    │   └── EmulationUnavailable   a foreign-architecture build without QEMU registered
    ├── StagingError               the build context could not be staged (disk full, bad symlink)
    │   └── InitScriptFailed       a benchmark's init.sh exited non-zero; carries its last lines
    ├── BuildFailed                `docker build` failed; carries the tail of the build log
    ├── RegistryError              a registry call failed
    │   ├── RegistryAuthError      credentials were rejected
    │   ├── RegistryUnreachable    the registry did not answer (after retries)
    │   └── PushFailed             the push stream reported an error
    ├── CatalogError               the catalog could not be read or written
    ├── ImageLockTimeout           another run held an image's lock for longer than the timeout
    ├── InvokeFailed               `faasforge invoke`: the image did not answer; carries its log tail
    ├── LocalServerError           the local Prefect API server (no PREFECT_API_URL) did not start
    ├── FanOutFailed               a fanned-out image run failed, was cancelled or timed out
    └── MatrixFailed               some images of a matrix failed (carries the records that succeeded)

The CLI turns any of these into one line on stderr and an exit code (`exit_code`).
Error messages never contain credentials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from faasforge.redaction import mask_secrets


class FaasforgeError(Exception):
    """Base of every error faasforge raises on purpose. Its message passes through
    ``faasforge.redaction.mask_secrets``: a quoted value never echoes a credential."""

    exit_code = 1

    def __init__(self, *args: object) -> None:
        if args and isinstance(args[0], str):
            args = (mask_secrets(args[0]), *args[1:])
        super().__init__(*args)


class UsageError(FaasforgeError):
    """The user asked for something that cannot be done; nothing was built or recorded."""

    exit_code = 2


class InvalidValue(UsageError):
    """A value outside the allowed set; the message names the value and the allowed ones."""

    def __init__(self, what: str, value: object, allowed: Iterable[object] | str) -> None:
        self.what = what
        self.value = mask_secrets(value) if isinstance(value, str) else value
        if isinstance(allowed, str):
            allowed_text = allowed
        else:
            items = sorted({str(a) for a in allowed})
            allowed_text = ", ".join(items) if items else "(none)"
        self.allowed = allowed_text
        super().__init__(f"unknown {what} {value!r}; allowed: {allowed_text}")


class ConfigError(UsageError):
    """A configuration file is missing or malformed."""


class BaseImageMissing(UsageError):
    """A base image is neither in the engine nor pullable."""


class EngineError(FaasforgeError):
    """The Docker engine cannot be used."""


class EmulationUnavailable(EngineError):
    """A foreign-architecture build was requested but QEMU is not registered in binfmt_misc."""

    exit_code = 2


class StagingError(FaasforgeError):
    """The build context could not be staged."""


class InitScriptTimeout(UsageError):
    """A benchmark's init.sh did not finish within the time limit (a setting); nothing was built."""


class InitScriptFailed(StagingError):
    """A benchmark's init.sh exited non-zero; ``log_tail`` holds its last output lines."""

    def __init__(self, script: str, reason: str, log_tail: list[str]) -> None:
        self.script = script
        self.reason = reason
        self.log_tail = log_tail
        last = " | ".join(line.strip() for line in log_tail if line.strip())[-400:]
        super().__init__(
            f"init script {script!r} failed ({reason}); nothing was built"
            + (f"; last lines: {last}" if last else "; it printed nothing")
        )


class BuildFailed(FaasforgeError):
    """`docker build` failed; `log_tail` holds the last lines of its log."""

    def __init__(self, image: str, reason: str, log_tail: list[str]) -> None:
        self.image = image
        self.reason = mask_secrets(reason)
        self.log_tail = [mask_secrets(line) for line in log_tail]
        tail = "\n".join(f"    {line}" for line in self.log_tail)
        super().__init__(f"build of {image} failed: {self.reason}\n  last lines of the build log:\n{tail}")


class RegistryError(FaasforgeError):
    """A registry call failed."""


class RegistryAuthError(RegistryError):
    """The registry rejected the credentials."""


class RegistryUnreachable(RegistryError):
    """The registry did not answer, even after retries."""


class PushFailed(RegistryError):
    """The push stream reported an error."""


class CatalogError(FaasforgeError):
    """The catalog could not be read or written."""


class ImageLockTimeout(FaasforgeError):
    """Another run held the image's lock for longer than the timeout."""


class InvokeFailed(FaasforgeError):
    """An image run under its platform's contract did not answer; ``log_tail`` holds the last lines
    of the container's log."""

    def __init__(self, image: str, reason: str, log_tail: list[str]) -> None:
        self.image = image
        self.reason = reason
        self.log_tail = log_tail
        tail = "\n".join(f"    {line}" for line in log_tail) or "    (the container logged nothing)"
        super().__init__(f"image {image} did not answer: {reason}\n  last lines of the container's log:\n{tail}")


class LocalServerError(FaasforgeError):
    """The local Prefect API server exited or did not answer in time; the message carries the tail
    of its output and names its log file."""


class FanOutFailed(FaasforgeError):
    """A fanned-out image run failed, was cancelled, or no worker finished it in time."""


class MatrixFailed(FaasforgeError):
    """Some images of a matrix failed; ``records`` holds the ones that succeeded, ``failures``
    (request, exception) pairs. Exit code 2 when every failure was bad input, else 1."""

    def __init__(self, message: str, records: Sequence[Any], failures: Sequence[tuple[Any, BaseException]]) -> None:
        super().__init__(message)
        self.records = list(records)
        self.failures = list(failures)
        codes = {getattr(e, "exit_code", 1) for _, e in failures}
        self.exit_code = 2 if codes == {2} else 1


def first_line(error: BaseException | str | None, limit: int | None = None) -> str:
    """The first line of an error's message (its type's name when it has none), for one-line reports."""
    text = str(error).strip() if error is not None else ""
    line = text.splitlines()[0] if text else (type(error).__name__ if isinstance(error, BaseException) else "")
    return line[:limit] if limit is not None else line
