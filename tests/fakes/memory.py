"""An in-memory registry and a fake engine, passed to ``faasforge.runner`` in unit tests.

The registry names images as the real adapters do (``registries.base.NamedRegistry``) and holds
what was pushed in a dict; the engine "builds" by reading the staged context and "pushes" by
handing the image to that registry. Both record what they were asked, so tests can say what ran.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path

from faasforge.registries.base import NamedRegistry, NamingOptions
from faasforge.registries.config import RetryPolicy

from faasforge.errors import BuildFailed
from faasforge.model import (
    ENGINE_ARCHITECTURE,
    BuildResult,
    ImageName,
    ImageRequest,
    PushResult,
    RemoteImage,
    ResolvedImage,
)
from faasforge.push import PushProgress
from faasforge.registry import PushCredentials, PushRetry, Registry
from faasforge.settings import Settings


class MemoryRegistry(NamedRegistry):
    """A registry of one platform at ``memory.test/<repository>``; ``images`` maps URIs to digests."""

    def __init__(self, platform: str = "local", repository: str = "functions") -> None:
        super().__init__(NamingOptions())
        self.platform = platform
        self.repository = repository
        self.images: dict[str, RemoteImage] = {}
        self.repositories: set[str] = set()
        self.lookups = 0

    def registry_host(self) -> str:
        return "memory.test"

    def repository_for(self, request: ImageRequest) -> str:
        return self.repository

    def ensure_repository(self, name: ImageName) -> None:
        self.repositories.add(name.repository)

    def find_image(self, name: ImageName) -> RemoteImage | None:
        self.lookups += 1
        return self.images.get(name.image_uri)

    def describe_image(self, name: ImageName) -> RemoteImage:
        return self.images[name.image_uri]

    def push_credentials(self) -> PushCredentials | None:
        return None

    def invalidate_credentials(self) -> None:
        return None

    def publish(self, image_uri: str, size: int = 1000) -> RemoteImage:
        digest = "sha256:" + hashlib.sha256(image_uri.encode()).hexdigest()
        self.images[image_uri] = RemoteImage(digest=digest, compressed_bytes=size // 2)
        return self.images[image_uri]


@dataclass
class MemorySource:
    """A ``RegistrySource`` handing out one ``MemoryRegistry`` per platform."""

    registries: dict[str, MemoryRegistry] = field(default_factory=dict)

    def registry(self, platform: str, settings: Settings) -> Registry:
        return self.registries.setdefault(platform, MemoryRegistry(platform))

    def push_retry(self, settings: Settings) -> PushRetry:
        return RetryPolicy(attempts=1, backoff_seconds=0.0)


@dataclass
class FakeEngine:
    """Builds by listing the staged context; ``fail`` holds benchmarks whose build fails.

    ``gate``, when set, is waited on (up to 10 s) inside each build, so tests can hold builds
    open; ``running``/``peak`` count builds at once."""

    fail: set[str] = field(default_factory=set)
    gate: threading.Event | None = None
    built: list[str] = field(default_factory=list)
    pushed: list[str] = field(default_factory=list)
    contexts: list[Path] = field(default_factory=list)
    staged_files: list[set[str]] = field(default_factory=list)
    running: int = 0
    peak: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def build(self, context_dir: Path, resolved: ResolvedImage, on_line: object = None) -> BuildResult:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.contexts.append(context_dir)
            self.staged_files.append({p.relative_to(context_dir).as_posix() for p in context_dir.rglob("*")})
        try:
            if self.gate is not None:
                self.gate.wait(10)
            if resolved.request.benchmark in self.fail:
                raise BuildFailed(resolved.image_uri, "RUN pip install: returned a non-zero code: 1", ["step 3/9"])
            with self._lock:
                self.built.append(resolved.image_uri)
            return BuildResult(
                image_uri=resolved.image_uri, image_id="sha256:" + "1" * 64, size_bytes=2_000_000,
                architecture=ENGINE_ARCHITECTURE[resolved.request.architecture], seconds=0.5,
                content_hash=resolved.plan.content_hash,
            )
        finally:
            with self._lock:
                self.running -= 1

    def push(
        self, name: ImageName, registry: Registry, retry: PushRetry, progress: PushProgress | None = None
    ) -> PushResult:
        assert isinstance(registry, MemoryRegistry)
        remote = registry.publish(name.image_uri, 2_000_000)
        with self._lock:
            self.pushed.append(name.image_uri)
        return PushResult(digest=remote.digest, compressed_bytes=None, seconds=0.25)

    def has_image(self, image_uri: str) -> bool:
        return image_uri in self.built
