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

from faasforge.errors import PushFailed, RegistryAuthError, RegistryUnreachable
from faasforge.model import ImageName, PushResult

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
    attempts: int = 4,
    backoff_seconds: float = 1.0,
) -> PushResult:
    """Push ``name``; retry network failures with back-off, refresh credentials once on a 401."""
    started = time.monotonic()
    delay = backoff_seconds
    refreshed = False
    attempt = 0
    while True:
        attempt += 1
        creds = credentials()
        secret = creds.password if creds else None
        try:
            digest = _push_once(client, name, creds, progress or QuietProgress())
            return PushResult(digest=digest, compressed_bytes=None, seconds=round(time.monotonic() - started, 3))
        except _StreamError as exc:
            message = _scrub(exc.message, secret)
            lowered = message.lower()
            if any(m in lowered for m in AUTH_MARKERS):
                if not refreshed:
                    refreshed = True
                    invalidate_credentials()
                    continue
                raise RegistryAuthError(
                    f"registry {name.registry} rejected the push of {name.repository}:{name.tag}: {message}"
                ) from None
            if any(m in lowered for m in NETWORK_MARKERS) and attempt < attempts:
                log.warning(
                    "push of %s failed (%s); attempt %d of %d, retrying in %.2fs",
                    name.image_uri, message, attempt, attempts, delay,
                )
                time.sleep(delay)
                delay *= 2
                continue
            if any(m in lowered for m in NETWORK_MARKERS):
                raise RegistryUnreachable(
                    f"push of {name.image_uri} failed after {attempt} attempts: {message}"
                ) from None
            raise PushFailed(f"push of {name.image_uri} failed: {message}") from None


class _StreamError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
