"""Streamed pushes with per-layer progress; credentials go per call, never to a config file."""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from faasforge.errors import PushFailed, RegistryAuthError
from faasforge.model import ImageName, PushResult
from faasforge.retry import RetryPolicy, call_with_retries

if TYPE_CHECKING:
    import docker

    from faasforge.registry import PushCredentials

log = logging.getLogger("faasforge.push")
AUTH_MARKERS = ("unauthorized", "authentication required", "no basic auth credentials", "denied")
NETWORK_MARKERS = (
    "connection refused", "connection reset", "i/o timeout", "eof", "no such host",
    "timeout", "502 bad gateway", "503 service unavailable", "500 internal server error",
    "504 gateway timeout", "429 too many requests", "toomanyrequests", "no route to host",
    "use of closed network connection", "broken pipe", "tls handshake", "server gave http response",
)


class PushProgress(Protocol):
    def layer(self, layer_id: str, status: str, current: int | None, total: int | None) -> None: ...


class QuietProgress:
    """No terminal: one log line per finished layer."""

    def layer(self, layer_id: str, status: str, current: int | None, total: int | None) -> None:
        if status in ("Pushed", "Layer already exists", "Mounted from"):
            log.debug("layer %s: %s", layer_id, status)


class RichPushProgress:
    """Rich progress bars, one per layer, shared by every push of a terminal session.

    Start one around a run (``with RichPushProgress() as p, showing_pushes(p):``); the pushes of
    that run, in any thread, add their layers to it.
    """

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.fields[image]}"),
            TextColumn("[bold]{task.fields[layer]}"),
            TextColumn("{task.description:<20}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
        )
        self._lock = threading.Lock()
        self._tasks: dict[tuple[str, str], Any] = {}

    def __enter__(self) -> RichPushProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def for_image(self, image: str) -> PushProgress:
        return _ImageLayers(self, image)

    def update(self, image: str, layer_id: str, status: str, current: int | None, total: int | None) -> None:
        with self._lock:
            key = (image, layer_id)
            if key not in self._tasks:
                self._tasks[key] = self.progress.add_task(status, image=image, layer=layer_id, total=total)
            task = self._tasks[key]
            done = status in ("Pushed", "Layer already exists") or status.startswith("Mounted")
            if done:
                final = self.progress.tasks[task].total or total or 1
                self.progress.update(task, description=status, completed=final, total=final)
            else:
                self.progress.update(task, description=status, completed=current, total=total)


class _ImageLayers:
    def __init__(self, shared: RichPushProgress, image: str) -> None:
        self.shared = shared
        self.image = image

    def layer(self, layer_id: str, status: str, current: int | None, total: int | None) -> None:
        self.shared.update(self.image, layer_id, status, current, total)


class PushDisplay(Protocol):
    """Where the pushes of a run show their layers (``RichPushProgress`` on a terminal)."""

    def for_image(self, image: str) -> PushProgress: ...


_display: contextvars.ContextVar[PushDisplay | None] = contextvars.ContextVar("faasforge_push_display", default=None)


@contextmanager
def showing_pushes(display: PushDisplay | None) -> Iterator[None]:
    """Make ``display`` the push display of the runs started in this block (this context and the
    threads that copy it); a flow reads it once (``push_display()``) and hands it to its steps."""
    token = _display.set(display)
    try:
        yield
    finally:
        _display.reset(token)


def push_display() -> PushDisplay | None:
    """The display set by the enclosing ``showing_pushes`` block, if any."""
    return _display.get()


def terminal_progress_wanted() -> bool:
    return sys.stderr.isatty()


def push_image(
    client: docker.DockerClient,
    name: ImageName,
    credentials: Callable[[], PushCredentials | None],
    invalidate_credentials: Callable[[], None],
    progress: PushProgress | None = None,
    retry: RetryPolicy | None = None,
) -> PushResult:
    """Push ``name``; network failures are retried by the one policy (faasforge.retry), and
    credentials are refreshed once on a 401."""
    started = time.monotonic()
    policy = retry or RetryPolicy()

    def once() -> str:
        creds = credentials()
        try:
            return _push_once(client, name, creds, progress or QuietProgress())
        except _StreamError as exc:
            raise _PushRefused(_scrub(exc.message, creds.password if creds else None)) from None

    for refreshed in (False, True):
        try:
            digest = call_with_retries(
                once, what=f"push of {name.image_uri}", transient=_network_reason, policy=policy,
                exhausted=lambda n, reason: f"push of {name.image_uri} failed after {n} attempts: {reason}",
            )
            return PushResult(digest=digest, compressed_bytes=None, seconds=round(time.monotonic() - started, 3))
        except _PushRefused as exc:
            if not _is_auth(exc.message):
                raise PushFailed(f"push of {name.image_uri} failed: {exc.message}") from None
            if refreshed:
                raise RegistryAuthError(
                    f"registry {name.registry} rejected the push of {name.repository}:{name.tag}: {exc.message}"
                ) from None
            invalidate_credentials()
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


class _StreamError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _PushRefused(_StreamError):
    """The push stream's error, with any credential scrubbed from its message."""


def _is_auth(message: str) -> bool:
    lowered = message.lower()
    return any(m in lowered for m in AUTH_MARKERS)


def _network_reason(exc: Exception) -> str | None:
    """A push failure worth another try: the engine's (scrubbed) message on a network error."""
    if isinstance(exc, _PushRefused) and not _is_auth(exc.message):
        lowered = exc.message.lower()
        if any(m in lowered for m in NETWORK_MARKERS):
            return exc.message
    return None


def _scrub(message: str, secret: str | None) -> str:
    if secret and secret in message:
        message = message.replace(secret, "***")
    return message[:500]


def _push_once(
    client: docker.DockerClient,
    name: ImageName,
    creds: PushCredentials | None,
    progress: PushProgress,
) -> str:
    from docker.errors import APIError

    kwargs: dict[str, Any] = {"stream": True, "decode": True}
    if creds is not None:
        kwargs["auth_config"] = creds.auth_config()
    repository = name.repository_uri
    digest = ""
    try:
        for chunk in client.api.push(repository, tag=name.tag, **kwargs):
            if "error" in chunk or "errorDetail" in chunk:
                detail = chunk.get("errorDetail") or {}
                raise _StreamError(str(detail.get("message") or chunk.get("error")).strip())
            aux = chunk.get("aux")
            if isinstance(aux, dict) and aux.get("Digest"):
                digest = str(aux["Digest"])
            layer_id = chunk.get("id")
            status = str(chunk.get("status", ""))
            if layer_id and status and layer_id != name.tag:
                detail = chunk.get("progressDetail") or {}
                progress.layer(layer_id, status, detail.get("current"), detail.get("total"))
    except APIError as exc:
        raise _StreamError(str(getattr(exc, "explanation", None) or exc)) from None
    except OSError as exc:
        raise _StreamError(f"connection to the Docker engine failed: {exc}") from None
    if not digest:
        raise _StreamError("the push stream ended without a digest")
    return digest
