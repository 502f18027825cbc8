"""The one small interface every registry adapter implements."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from faasforge.model import ImageName, ImageRequest, RemoteImage
from faasforge.naming import make_tag, validate_repository


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


@dataclass(frozen=True)
class NamingOptions:
    """How tags are made (shared by every adapter)."""

    tag_style: str = "hash"
    prefix: str | None = None
    sebs_version: str = "unknown"  # general.SeBS_version of the systems config in use


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


class NamedRegistry:
    """Shared naming: a registry host, a repository per platform's convention, a tag."""

    platform = "local"

    def __init__(self, naming: NamingOptions | None = None) -> None:
        self.naming = naming or NamingOptions()

    def registry_host(self) -> str:
        raise NotImplementedError

    def repository_for(self, request: ImageRequest) -> str:
        raise NotImplementedError

    def registry_name(self, request: ImageRequest, content_hash: str) -> ImageName:
        tag = make_tag(
            request,
            content_hash,
            style=self.naming.tag_style,
            prefix=self.naming.prefix,
            sebs_version=self.naming.sebs_version,
        )
        return ImageName(
            registry=self.registry_host(),
            repository=validate_repository(self.repository_for(request)),
            tag=tag,
        )

    def check_architecture(self, architecture: str) -> None:
        return None
