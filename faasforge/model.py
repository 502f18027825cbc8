"""The values that flow through the pipeline, typed end to end."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ARCHITECTURES: tuple[str, ...] = ("x64", "arm64")
DOCKER_PLATFORM = {"x64": "linux/amd64", "arm64": "linux/arm64"}
ENGINE_ARCHITECTURE = {"x64": "amd64", "arm64": "arm64"}


@dataclass(frozen=True, order=True)
class ImageRequest:
    """One cell of the matrix: which image to build."""

    platform: str
    benchmark: str
    language: str
    version: str
    architecture: str

    @property
    def short_label(self) -> str:
        """``110.dynamic-html python-3.11 arm64``: what run names and progress bars show."""
        return f"{self.benchmark} {self.language}-{self.version} {self.architecture}"

    @property
    def label(self) -> str:
        """Human name, e.g. ``110.dynamic-html python-3.11 arm64 (local)``."""
        return f"{self.short_label} ({self.platform})"

    def as_params(self) -> dict[str, str]:
        """The five fields as flow parameters (``build_image``, ``build_images`` images)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ImageName:
    """Where an image lives: ``image_uri == f"{registry}/{repository}:{tag}"``."""

    registry: str
    repository: str
    tag: str

    @property
    def repository_uri(self) -> str:
        return f"{self.registry}/{self.repository}"

    @property
    def image_uri(self) -> str:
        return f"{self.repository_uri}:{self.tag}"


@dataclass(frozen=True)
class RemoteImage:
    """What a registry says about a tag it holds."""

    digest: str
    compressed_bytes: int | None = None
    media_type: str | None = None


@dataclass(frozen=True)
class ContextEntry:
    """One file of a build context: copied from ``source`` or written from ``data``."""

    relpath: str
    source: Path | None = None
    data: bytes | None = None
    executable: bool = False


@dataclass(frozen=True)
class ContextPlan:
    """Everything a build context will hold, before anything is copied."""

    entries: tuple[ContextEntry, ...]
    build_args: dict[str, str]
    base_image: str
    dockerfile_source: str
    content_hash: str
    # SeBS's init.sh scripts (relative to the benchmark dir), run on the staged copy in order, and
    # the benchmark files they run next to (hashed; never part of the image themselves).
    init_scripts: tuple[str, ...] = ()
    init_inputs: tuple[ContextEntry, ...] = ()

    @property
    def hash12(self) -> str:
        return self.content_hash[:12]


@dataclass(frozen=True)
class ResolvedImage:
    """A request with its content hash and registry name decided."""

    request: ImageRequest
    plan: ContextPlan
    name: ImageName

    @property
    def image_uri(self) -> str:
        return self.name.image_uri


@dataclass(frozen=True)
class RegistryDecision:
    """Whether to build, and why."""

    build: bool
    reason: str
    remote: RemoteImage | None = None


@dataclass(frozen=True)
class MatrixTriage:
    """A matrix split by one registry request per image, before any image work starts.

    ``skipped``: images the registry already holds, with the decision that says so.
    ``to_build``: everything else, including images whose check could not be made (their own
    pipeline checks again, under the image's lock, and reports any error for that image).
    """

    skipped: tuple[tuple[ResolvedImage, RegistryDecision], ...]
    to_build: tuple[ImageRequest, ...]


@dataclass(frozen=True)
class BuildResult:
    image_uri: str
    image_id: str
    size_bytes: int
    architecture: str
    seconds: float
    content_hash: str


@dataclass(frozen=True)
class PushResult:
    digest: str
    compressed_bytes: int | None
    seconds: float


@dataclass(frozen=True)
class Rebuilt:
    """What rebuilding an image produced: its build, the push of it and, with ``build --smoke``,
    the smoke test's outcome ("ok", "failed: <why>", "not-invocable: <why>")."""

    build: BuildResult
    push: PushResult
    smoke: str | None = None


@dataclass(frozen=True)
class ImageRecord:
    """What was published and how big it is: one catalog row."""

    platform: str
    benchmark: str
    language: str
    version: str
    architecture: str
    image_uri: str
    digest: str | None
    content_hash: str
    size_mb: float | None
    compressed_mb: float | None
    build_seconds: float | None
    push_seconds: float | None
    rebuilt: bool
    reason: str
    recorded_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # `build --smoke`: "ok", "failed: <why>" or "not-invocable: <why>"; None when not tried
    smoke: str | None = None

    JSON_KEYS = (
        "benchmark",
        "platform",
        "language",
        "version",
        "architecture",
        "image_uri",
        "digest",
        "size_mb",
        "compressed_mb",
        "rebuilt",
        "reason",
    )

    @property
    def request(self) -> ImageRequest:
        return ImageRequest(
            self.platform, self.benchmark, self.language, self.version, self.architecture
        )

    @property
    def digest_uri(self) -> str | None:
        """``{registry}/{repository}@{digest}``: the immutable reference to deploy (a reused tag
        may not roll a service forward; SeBS deploys Cloud Run by digest for that reason)."""
        return digest_reference(self.image_uri, self.digest)

    @property
    def index_uri(self) -> str | None:
        """The multi-architecture index over this image and its siblings (``--index``), if any."""
        value = self.extra.get("index_uri")
        return str(value) if value else None

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape (``--json``), with build and push seconds, the digest reference
        and the index reference added."""
        data = {k: getattr(self, k) for k in self.JSON_KEYS}
        data["digest_uri"] = self.digest_uri
        data["index_uri"] = self.index_uri
        data["build_seconds"] = self.build_seconds
        data["push_seconds"] = self.push_seconds
        if self.smoke is not None:
            data["smoke"] = self.smoke
        return data

    @property
    def smoke_failed(self) -> bool:
        return bool(self.smoke and self.smoke.startswith("failed"))

    def replace(self, **changes: Any) -> ImageRecord:
        return dataclasses.replace(self, **changes)


def repository_of(image_uri: str) -> str:
    """``host[:port]/repo/name`` of ``host[:port]/repo/name:tag`` (a port's colon is kept)."""
    head, slash, last = image_uri.rpartition("/")
    name = last.split("@", 1)[0].split(":", 1)[0]
    return f"{head}{slash}{name}"


def digest_reference(image_uri: str, digest: str | None) -> str | None:
    """``repository@digest`` for a tagged URI, or None without a digest."""
    if not digest:
        return None
    return f"{repository_of(image_uri)}@{digest}"


def megabytes(size_bytes: int | None) -> float | None:
    """Bytes → MB (10^6), rounded to 0.01; None stays None."""
    if size_bytes is None:
        return None
    return round(size_bytes / 1_000_000, 2)
