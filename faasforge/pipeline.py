"""The per-image steps as plain functions: resolve → check → stage → build → push → record.

Prefect tasks in ``tasks/`` wrap these one to one; ``faasforge plan`` calls the first two
directly, with no Prefect and no side effects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from faasforge import staging
from faasforge.benchmarks import find_benchmark
from faasforge.catalog import Catalog
from faasforge.engine import build_image, check_base_images, check_emulation, expected_engine_arch
from faasforge.errors import BuildFailed, FaasforgeError, RegistryUnreachable
from faasforge.model import (
    BuildResult,
    ImageRecord,
    ImageRequest,
    MatrixTriage,
    PushResult,
    RegistryDecision,
    ResolvedImage,
    megabytes,
)
from faasforge.push import PushProgress, push_image
from faasforge.settings import Settings
from faasforge.systems import Systems

if TYPE_CHECKING:
    import docker

    from faasforge.registries.base import Registry
    from faasforge.retry import RetryPolicy

log = logging.getLogger("faasforge.pipeline")


@dataclass
class Workspace:
    """Settings plus what is loaded once per run: systems config, registries, catalog."""

    settings: Settings
    systems: Systems
    _registries: dict[str, Registry] = field(default_factory=dict)
    _catalog: Catalog | None = None
    _retry: RetryPolicy | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Workspace:
        return cls(settings=settings, systems=Systems.load(settings.systems_config, settings.systems_overlay))

    def registry(self, platform: str) -> Registry:
        if platform not in self._registries:
            from faasforge.registries import make_registry

            self._registries[platform] = make_registry(platform, self.settings)
        return self._registries[platform]

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = Catalog(self.settings.catalog_path)
        return self._catalog

    @property
    def retry(self) -> RetryPolicy:
        """Attempts and back-off for pushes, the same as for registry calls: the registries
        config's ``[retry]`` table, overridden by ``FAASFORGE_RETRY_ATTEMPTS`` and
        ``FAASFORGE_RETRY_BACKOFF_SECONDS``."""
        if self._retry is None:
            from faasforge.registries.config import RegistriesConfig

            self._retry = RegistriesConfig.load(self.settings.registries_config).retry
        return self._retry


def resolve_image(request: ImageRequest, ws: Workspace) -> ResolvedImage:
    """Validate the request, plan its context, hash it and name it. Reads files; writes nothing."""
    base_image = ws.systems.base_image(request)  # validates platform/language/version/arch
    registry = ws.registry(request.platform)
    registry.check_architecture(request.architecture)
    benchmark = find_benchmark(ws.settings.benchmarks_dir, request.benchmark)
    benchmark.language_dir(request.language)
    plan = staging.plan_context(
        request,
        benchmark,
        ws.settings,
        base_image=base_image,
        builder_image=ws.systems.builder_image(request),
        base_repository=ws.systems.base_repository(),
    )
    return ResolvedImage(request=request, plan=plan, name=registry.registry_name(request, plan.content_hash))


def check_registry(resolved: ResolvedImage, ws: Workspace, force: bool = False) -> RegistryDecision:
    """One request to the registry: is this exact tag published already?"""
    remote = ws.registry(resolved.request.platform).find_image(resolved.name)
    if force:
        return RegistryDecision(True, "forced rebuild (--force)", remote)
    if remote is not None:
        reason = "tag already in registry"
        if ws.settings.tag_style == "hash":
            reason += " (same content hash)"
        return RegistryDecision(False, reason, remote)
    if ws.settings.tag_style == "hash":
        return RegistryDecision(True, "content not in registry", None)
    return RegistryDecision(True, "tag not in registry", None)


def triage_images(requests: Sequence[ImageRequest], ws: Workspace, force: bool = False) -> MatrixTriage:
    """Resolve and check every image of a matrix up front: one registry request each.

    A nightly matrix is mostly unchanged images; this decides them all in a few milliseconds
    each, so only the images that need work get a pipeline of their own. With ``force``
    nothing is asked. An image that fails to resolve or check goes to ``to_build``, where its
    own pipeline reports the error; after one unreachable registry the rest of that platform's
    images go there too, without waiting on the same registry again.
    """
    if force:
        return MatrixTriage(skipped=(), to_build=tuple(requests))
    skipped: list[tuple[ResolvedImage, RegistryDecision]] = []
    to_build: list[ImageRequest] = []
    unreachable: set[str] = set()
    for request in requests:
        if request.platform in unreachable:
            to_build.append(request)
            continue
        try:
            resolved = resolve_image(request, ws)
            decision = check_registry(resolved, ws)
        except RegistryUnreachable as exc:
            log.warning("registry for %s unreachable while triaging: %s", request.platform, exc)
            unreachable.add(request.platform)
            to_build.append(request)
            continue
        except FaasforgeError:
            to_build.append(request)
            continue
        if decision.build:
            to_build.append(request)
        else:
            skipped.append((resolved, decision))
    return MatrixTriage(skipped=tuple(skipped), to_build=tuple(to_build))


def stage_context(resolved: ResolvedImage) -> Path:
    """Copy the planned context into a fresh staging directory."""
    return staging.materialize(resolved.plan)


def build_staged(
    client: docker.DockerClient,
    context_dir: Path,
    resolved: ResolvedImage,
    on_line: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the staged context; verifies the image reports the requested architecture."""
    arch = resolved.request.architecture
    check_emulation(client, arch)
    args = resolved.plan.build_args
    r = resolved.request
    check_base_images(
        client, [args["BASE_IMAGE_BUILDER"], args["BASE_IMAGE"]],
        for_what=f"{r.language} {r.version} ({r.platform} {r.architecture})",
    )
    result = build_image(
        client,
        context_dir,
        resolved.image_uri,
        arch,
        resolved.plan.build_args,
        resolved.plan.content_hash,
        on_line=on_line,
    )
    if result.architecture and result.architecture != expected_engine_arch(arch):
        raise BuildFailed(
            resolved.image_uri,
            f"image reports architecture {result.architecture!r}, expected "
            f"{expected_engine_arch(arch)!r} (check the base image for {arch})",
            [],
        )
    return result


def push_built(
    client: docker.DockerClient,
    resolved: ResolvedImage,
    ws: Workspace,
    progress: PushProgress | None = None,
) -> PushResult:
    """Ensure the repository, push with progress, then read the compressed size from the manifest."""
    registry = ws.registry(resolved.request.platform)
    registry.ensure_repository(resolved.name)
    pushed = push_image(
        client,
        resolved.name,
        registry.push_credentials,
        registry.invalidate_credentials,
        progress=progress,
        retry=ws.retry,
    )
    remote = registry.describe_image(resolved.name)
    return PushResult(
        digest=remote.digest or pushed.digest,
        compressed_bytes=remote.compressed_bytes,
        seconds=pushed.seconds,
    )


def record_image(
    resolved: ResolvedImage,
    decision: RegistryDecision,
    ws: Workspace,
    build: BuildResult | None = None,
    push: PushResult | None = None,
) -> ImageRecord:
    """Write the catalog row for this image (rebuilt or skipped, and why)."""
    request = resolved.request
    if build is not None and push is not None:
        record = ImageRecord(
            platform=request.platform, benchmark=request.benchmark, language=request.language,
            version=request.version, architecture=request.architecture,
            image_uri=resolved.image_uri, digest=push.digest,
            content_hash=resolved.plan.content_hash,
            size_mb=megabytes(build.size_bytes), compressed_mb=megabytes(push.compressed_bytes),
            build_seconds=build.seconds, push_seconds=push.seconds,
            rebuilt=True, reason=decision.reason,
        )
    else:
        record = skipped_record(resolved, decision, ws)
    return ws.catalog.record(record)


def skipped_record(resolved: ResolvedImage, decision: RegistryDecision, ws: Workspace) -> ImageRecord:
    """A record for an image the registry already holds: sizes from the catalog when it knows
    this digest, else the compressed size from the manifest (one GET, still no pull)."""
    request = resolved.request
    remote = decision.remote
    digest = remote.digest if remote else None
    known = ws.catalog.get(request)
    size_mb = compressed_mb = None
    if known is not None and known.digest == digest and known.image_uri == resolved.image_uri:
        size_mb, compressed_mb = known.size_mb, known.compressed_mb
    else:
        described = ws.registry(request.platform).describe_image(resolved.name)
        compressed_mb = megabytes(described.compressed_bytes)
    return ImageRecord(
        platform=request.platform, benchmark=request.benchmark, language=request.language,
        version=request.version, architecture=request.architecture,
        image_uri=resolved.image_uri, digest=digest, content_hash=resolved.plan.content_hash,
        size_mb=size_mb, compressed_mb=compressed_mb, build_seconds=None, push_seconds=None,
        rebuilt=False, reason=decision.reason,
    )
