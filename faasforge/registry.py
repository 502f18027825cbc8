"""What the core asks of a registry, and where a run gets its registries from.

The adapters (``faasforge.registries``: OCI, ECR, Artifact Registry, ACR) implement
:class:`Registry`; the core never imports them. A :class:`Workspace <faasforge.pipeline.Workspace>`
is handed a :class:`RegistrySource` instead: ``faasforge.registries.ADAPTERS_SOURCE`` in the
product, an in-memory one in unit tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from faasforge.model import ImageName, ImageRequest, RemoteImage

if TYPE_CHECKING:
    from faasforge.settings import Settings

__all__ = ["PushCredentials", "PushRetry", "Registry", "RegistrySource"]


@dataclass(frozen=True)
class PushCredentials:
    """Credentials for one registry, handed to Docker per call and never written or logged."""

    registry: str
    username: str
    password: str = field(repr=False)
    expires_at: float | None = None  # epoch seconds

    def __repr__(self) -> str:
        return f"PushCredentials(registry={self.registry!r}, username={self.username!r}, password=***)"

    __str__ = __repr__

    def expired(self, margin_seconds: float = 60.0) -> bool:
        return self.expires_at is not None and time.time() + margin_seconds >= self.expires_at

    def auth_config(self) -> dict[str, str]:
        """The per-call ``auth_config`` for docker-py's push."""
        return {"username": self.username, "password": self.password, "serveraddress": self.registry}


@runtime_checkable
class Registry(Protocol):
    """A place images are published to.

    - ``registry_name`` decides where an image lives (no network).
    - ``ensure_repository`` creates the repository when the registry needs that (idempotent).
    - ``find_image`` answers "is this tag there?" with ONE request, never a pull.
    - ``describe_image`` returns digest and compressed size of a pushed tag.
    - ``push_credentials`` gives credentials for a push (None: anonymous);
      ``invalidate_credentials`` drops cached ones after a 401 so the next call refreshes.
    """

    platform: str

    def registry_name(self, request: ImageRequest, content_hash: str) -> ImageName: ...

    def check_architecture(self, architecture: str) -> None: ...

    def ensure_repository(self, name: ImageName) -> None: ...

    def find_image(self, name: ImageName) -> RemoteImage | None: ...

    def describe_image(self, name: ImageName) -> RemoteImage: ...

    def push_credentials(self) -> PushCredentials | None: ...

    def invalidate_credentials(self) -> None: ...


class PushRetry(Protocol):
    """Attempts and back-off for pushes (``faasforge.registries.config.RetryPolicy``)."""

    @property
    def attempts(self) -> int: ...

    @property
    def backoff_seconds(self) -> float: ...


class RegistrySource(Protocol):
    """Makes the registry of a platform, and says how pushes retry, for one run's settings."""

    def registry(self, platform: str, settings: Settings) -> Registry: ...

    def push_retry(self, settings: Settings) -> PushRetry: ...
