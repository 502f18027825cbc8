"""Build once, build boundedly: a per-image file lock and in-process build slots.

Plain core: no Prefect imports.

``image_lock``
    An exclusive ``flock`` per image under ``$FAASFORGE_HOME/locks``. Two overlapping runs on one
    host that want the same image serialise on it: the first checks the registry, builds, pushes
    and records while holding it; the second waits, then checks the registry itself, finds the tag
    and skips. The lock is released by the kernel when its holder dies, so a crashed run never
    leaves a stale lock behind. It covers the processes that share a ``$FAASFORGE_HOME`` on one
    host (docs/SCALING.md says what covers several hosts).

``BuildSlots`` / ``build_slots``
    A bound on concurrent builds, whose limit may change while slots are held without breaking
    the count. ``build_slots(concurrency)`` picks the one a run's builds hold: with
    ``$FAASFORGE_ENGINE_BUILDS`` set, the engine's slots shared by every run of this process
    (``engine_slots``: one per ``DOCKER_HOST``, created on first use, never replaced or resized);
    else slots of the run's own, as many as its ``concurrency``.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from faasforge.defaults import DEFAULT_CONCURRENCY
from faasforge.errors import ImageLockTimeout
from faasforge.settings import faasforge_home

__all__ = [
    "BuildSlots",
    "ImageLockTimeout",
    "build_slots",
    "engine_key",
    "engine_slots",
    "image_lock",
    "lock_path",
    "lock_timeout",
]

DEFAULT_LOCK_TIMEOUT = 3600.0
POLL_SECONDS = 0.2


def lock_timeout() -> float:
    """``$FAASFORGE_LOCK_TIMEOUT`` seconds (default 3600): how long to wait for another run."""
    raw = os.environ.get("FAASFORGE_LOCK_TIMEOUT", "").strip()
    if not raw:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        from faasforge.errors import InvalidValue

        raise InvalidValue("FAASFORGE_LOCK_TIMEOUT", raw, "a number of seconds") from None
    return max(0.0, value)


def lock_path(image_uri: str, content_hash: str, home: Path | None = None) -> Path:
    """``<home>/locks/<sha256(uri, content hash)>.lock``: one file per image and content."""
    key = hashlib.sha256(f"{image_uri}\0{content_hash}".encode()).hexdigest()[:32]
    return (home or faasforge_home()) / "locks" / f"{key}.lock"


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def image_lock(
    image_uri: str,
    content_hash: str,
    *,
    home: Path | None = None,
    timeout: float | None = None,
    on_wait: Callable[[dict[str, Any]], None] | None = None,
) -> Iterator[Path]:
    """Hold the image's lock for the block; waits up to ``timeout`` s for another holder.

    ``on_wait(holder)`` is called once when the lock is busy, with what the holder wrote
    (pid, host, image, since) so callers can say whom they wait for.
    """
    path = lock_path(image_uri, content_hash, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    limit = lock_timeout() if timeout is None else timeout
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + limit
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if not waited:
                waited = True
                if on_wait is not None:
                    on_wait(_holder(path))
            if time.monotonic() >= deadline:
                holder = _holder(path)
                raise ImageLockTimeout(
                    f"another run (pid {holder.get('pid', '?')} on {holder.get('host', '?')}) "
                    f"has held the lock of {image_uri} for more than {limit:.0f}s; "
                    "raise FAASFORGE_LOCK_TIMEOUT or check that run"
                )
            time.sleep(POLL_SECONDS)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "image": image_uri,
            "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class BuildSlots:
    """A counting bound for threads; ``limit`` may change while slots are held. ``name`` says
    whose slots they are in logs."""

    def __init__(self, limit: int, name: str = "build slots") -> None:
        self.name = name
        self._limit = max(1, int(limit))
        self._held = 0
        self._cond = threading.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def held(self) -> int:
        return self._held

    def set_limit(self, limit: int) -> None:
        with self._cond:
            self._limit = max(1, int(limit))
            self._cond.notify_all()

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._cond:
            while self._held >= self._limit:
                self._cond.wait()
            self._held += 1
        try:
            yield
        finally:
            with self._cond:
                self._held -= 1
                self._cond.notify_all()


_slots: dict[str, BuildSlots] = {}
_slots_lock = threading.Lock()


def engine_key() -> str:
    """The engine builds go to, as the environment names it (``DOCKER_HOST`` or the socket)."""
    return os.environ.get("DOCKER_HOST", "").strip() or "unix:///var/run/docker.sock"


def configured_engine_builds() -> int | None:
    """``$FAASFORGE_ENGINE_BUILDS``: builds at once per engine in a process, if set."""
    raw = os.environ.get("FAASFORGE_ENGINE_BUILDS", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        from faasforge.errors import InvalidValue

        raise InvalidValue("FAASFORGE_ENGINE_BUILDS", raw, "a whole number of at least 1")
    return int(raw)


def engine_slots(key: str | None = None) -> BuildSlots:
    """The process-wide slots of one engine (created on first use, never replaced)."""
    name = key or engine_key()
    with _slots_lock:
        slots = _slots.get(name)
        if slots is None:
            limit = configured_engine_builds() or DEFAULT_CONCURRENCY
            slots = _slots[name] = BuildSlots(limit, f"engine {name}")
        return slots


def build_slots(concurrency: int | None = None) -> BuildSlots:
    """The slots the builds of one run hold: the engine's process-wide ones when
    ``$FAASFORGE_ENGINE_BUILDS`` is set, else ``concurrency`` (default 2) of the run's own."""
    if configured_engine_builds() is not None:
        return engine_slots()
    return BuildSlots(concurrency or DEFAULT_CONCURRENCY, f"engine {engine_key()}")
