"""What the adapters share: tag naming (``NamedRegistry``); the interface they implement,
``Registry``, and ``PushCredentials`` live in the core (``faasforge.registry``)."""

from __future__ import annotations

from dataclasses import dataclass

from faasforge.model import ImageName, ImageRequest
from faasforge.naming import make_tag, validate_repository
from faasforge.registry import PushCredentials, Registry

__all__ = ["NamedRegistry", "NamingOptions", "PushCredentials", "Registry"]


@dataclass(frozen=True)
class NamingOptions:
    """How tags are made (shared by every adapter)."""

    tag_style: str = "hash"
    prefix: str | None = None
    sebs_version: str = "unknown"  # general.SeBS_version of the systems config in use


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
