"""Multi-architecture image indexes (``--index``): after every architecture of a benchmark,
platform, language and version is pushed, one OCI image index over them, with one manifest PUT.

The index tag is content-addressed like the images' own: ``function.{platform}.{benchmark}.
{language}-{version}-index-{hash12}``, the hash over the architectures and their content hashes
(SeBS tag style: the images' tag without the architecture). Only registries that serve indexes to
the platform's runtime take one: local (any OCI registry) and openwhisk. Lambda takes
single-architecture manifests only; Cloud Run and Azure run x64 only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from faasforge.errors import UsageError
from faasforge.model import ENGINE_ARCHITECTURE, ImageName, ImageRecord, ImageRequest, RemoteImage

if TYPE_CHECKING:
    from faasforge.pipeline import Workspace

__all__ = [
    "INDEX_PLATFORMS", "IndexPublisher", "check_index_platforms", "image_index", "index_name", "publish_indexes",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_PLATFORMS = ("local", "openwhisk")
REFUSED = {
    "aws": "Lambda takes single-architecture images only",
    "gcp": "Cloud Run runs x64 images only",
    "azure": "Azure Functions runs x64 images only",
}


@runtime_checkable
class IndexPublisher(Protocol):
    """A registry adapter that can publish an image index (registries.oci.OciRegistry)."""

    def publish_index(self, name: ImageName, children: Sequence[tuple[str, ImageName]]) -> RemoteImage: ...


def check_index_platforms(platforms: Sequence[str]) -> None:
    """``--index`` for a platform that takes no index: one line, exit 2, before anything runs."""
    for platform in dict.fromkeys(platforms):
        if platform not in INDEX_PLATFORMS:
            why = REFUSED.get(platform, "it takes no multi-architecture index")
            raise UsageError(
                f"--index publishes a multi-architecture image index, which platform {platform!r} "
                f"does not take ({why}); allowed: {', '.join(INDEX_PLATFORMS)}"
            )


def image_index(descriptors: Sequence[tuple[str, dict[str, Any]]]) -> tuple[bytes, str]:
    """The OCI image index over (architecture, ``{mediaType, digest, size}``) pairs: its bytes
    (canonical JSON, so the same children give the same digest) and media type."""
    manifests = [
        {
            "mediaType": d["mediaType"], "digest": d["digest"], "size": int(d["size"]),
            "platform": {"architecture": ENGINE_ARCHITECTURE[arch], "os": "linux"},
        }
        for arch, d in sorted(descriptors, key=lambda pair: pair[0])
    ]
    body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode(), OCI_INDEX


def split_uri(image_uri: str) -> ImageName:
    """``host[:port]/repository:tag`` → ImageName."""
    registry, _, rest = image_uri.partition("/")
    repository, _, tag = rest.rpartition(":")
    return ImageName(registry=registry, repository=repository, tag=tag)


def index_name(records: Sequence[ImageRecord], tag_style: str) -> ImageName:
    """Where the index over ``records`` (one benchmark/platform/language/version) lives."""
    first = records[0]
    child = split_uri(first.image_uri)
    base = f"function.{first.platform}.{first.benchmark}.{first.language}-{first.version}"
    if tag_style == "hash":
        lines = sorted(f"{r.architecture} {r.content_hash}" for r in records)
        tag = f"{base}-index-{hashlib.sha256(chr(10).join(lines).encode()).hexdigest()[:12]}"
    else:
        tag = base + child.tag[len(f"{base}-{first.architecture}"):]
    return ImageName(registry=child.registry, repository=child.repository, tag=tag)


def _group(request: ImageRequest | ImageRecord) -> tuple[str, str, str, str]:
    return (request.platform, request.benchmark, request.language, request.version)


def publish_indexes(
    records: Sequence[ImageRecord], requests: Sequence[ImageRequest], ws: Workspace
) -> list[ImageRecord]:
    """For every benchmark/platform/language/version whose requested architectures all have a
    published record, publish one index and record its URI on each of them (``index_uri``).
    Groups with a failed architecture get none. Returns ``records`` in their order, updated."""
    wanted: dict[tuple[str, str, str, str], set[str]] = {}
    for request in requests:
        wanted.setdefault(_group(request), set()).add(request.architecture)
    by_group: dict[tuple[str, str, str, str], list[ImageRecord]] = {}
    for record in records:
        by_group.setdefault(_group(record), []).append(record)
    updated: dict[int, ImageRecord] = {}
    for key, members in by_group.items():
        if {r.architecture for r in members} != wanted.get(key, set()) or not all(r.digest for r in members):
            continue
        registry = ws.registry(key[0])
        if not isinstance(registry, IndexPublisher):
            check_index_platforms([key[0]])
            continue
        name = index_name(members, ws.settings.tag_style)
        remote = registry.publish_index(name, [(r.architecture, split_uri(r.image_uri)) for r in members])
        for record in members:
            extra = {**record.extra, "index_uri": name.image_uri, "index_digest": remote.digest}
            updated[id(record)] = ws.catalog.record(record.replace(extra=extra))
    return [updated.get(id(r), r) for r in records]
