"""The per-image steps as plain functions: resolve → check → stage → build → push → record.

``faasforge.runner`` runs them in order for an image or a matrix, through a :class:`Steps`
implementation: :class:`PlainSteps` here calls them as they are, ``faasforge.tasks.steps.PrefectSteps``
as Prefect task runs. ``faasforge plan`` calls the first two directly, with no Prefect and no side
effects. What they need from outside comes in
through a :class:`Workspace` (settings, systems config, catalog, a ``RegistrySource``) and an
:class:`Engine` (``DockerEngine`` in the product, a fake in unit tests).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from faasforge import staging
from faasforge.benchmarks import find_benchmark
from faasforge.catalog import Catalog
from faasforge.errors import BuildFailed, FaasforgeError, RegistryUnreachable
from faasforge.model import (
    ENGINE_ARCHITECTURE,
    BuildResult,
    ImageName,
    ImageRecord,
    ImageRequest,
    MatrixTriage,
    PushResult,
    Rebuilt,
    RegistryDecision,
    ResolvedImage,
    megabytes,
)
from faasforge.push import PushProgress
from faasforge.registry import PushRetry, Registry, RegistrySource
from faasforge.settings import Settings
from faasforge.systems import Systems

if TYPE_CHECKING:
    import docker

log = logging.getLogger("faasforge.pipeline")
T = TypeVar("T")
LineSink = Callable[[str], None]


@dataclass
class Workspace:
    """Settings plus what is loaded once per run: systems config, registries, catalog.

    Registries come from ``registries`` (the adapters, or an in-memory source in tests) and are
    made once per platform; the catalog and the push retry policy once. Safe to share between
    the threads of a matrix run.
    """

    settings: Settings
    systems: Systems
    registries: RegistrySource
    _made: dict[str, Registry] = field(default_factory=dict, repr=False)
    _catalog: Catalog | None = field(default=None, repr=False)
    _retry: PushRetry | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, registries: RegistrySource) -> Workspace:
        systems = Systems.load(settings.systems_config, settings.systems_overlay)
        if settings.sebs_version is None:  # sebs-style tags name the systems config's SeBS version
            settings = dataclasses.replace(settings, sebs_version=systems.sebs_version())
        return cls(settings=settings, systems=systems, registries=registries)

    def registry(self, platform: str) -> Registry:
        with self._lock:
            if platform not in self._made:
                self._made[platform] = self.registries.registry(platform, self.settings)
            return self._made[platform]

    @property
    def catalog(self) -> Catalog:
        with self._lock:
            if self._catalog is None:
                self._catalog = Catalog(self.settings.catalog_path)
            return self._catalog

    @property
    def retry(self) -> PushRetry:
        """Attempts and back-off for pushes, the same as for registry calls."""
        with self._lock:
            if self._retry is None:
                self._retry = self.registries.push_retry(self.settings)
            return self._retry


class Engine(Protocol):
    """What the pipeline asks of a container engine."""

    def build(
        self, context_dir: Path, resolved: ResolvedImage, on_line: LineSink | None = None
    ) -> BuildResult: ...

    def push(
        self, name: ImageName, registry: Registry, retry: PushRetry, progress: PushProgress | None = None
    ) -> PushResult: ...

    def has_image(self, image_uri: str) -> bool: ...


class DockerEngine:
    """The Docker engine of ``client``, or else a client from the environment for each call
    (``DOCKER_HOST`` or the default socket), closed after it."""

    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client

    def _call(self, work: Callable[[docker.DockerClient], T]) -> T:
        if self.client is not None:
            return work(self.client)
        from faasforge.engine import docker_client

        client = docker_client()
        try:
            return work(client)
        finally:
            client.close()

    def build(self, context_dir: Path, resolved: ResolvedImage, on_line: LineSink | None = None) -> BuildResult:
        """Check emulation and base images, then build the staged context."""
        from faasforge.engine import build_image, check_base_images, check_emulation

        args = resolved.plan.build_args
        arch = resolved.request.architecture

        def build(client: docker.DockerClient) -> BuildResult:
            check_emulation(client, arch)
            r = resolved.request
            check_base_images(
                client, [args["BASE_IMAGE_BUILDER"], args["BASE_IMAGE"]],
                for_what=f"{r.language} {r.version} ({r.platform} {r.architecture})",
            )
            return build_image(
                client, context_dir, resolved.image_uri, arch, args, resolved.plan.content_hash, on_line=on_line
            )

        return self._call(build)

    def push(
        self, name: ImageName, registry: Registry, retry: PushRetry, progress: PushProgress | None = None
    ) -> PushResult:
        from faasforge.push import push_image
        from faasforge.retry import RetryPolicy

        policy = retry if isinstance(retry, RetryPolicy) else RetryPolicy(retry.attempts, retry.backoff_seconds)
        return self._call(lambda client: push_image(
            client,
            name,
            registry.push_credentials,
            registry.invalidate_credentials,
            progress=progress,
            retry=policy,
        ))

    def has_image(self, image_uri: str) -> bool:
        from faasforge.engine import image_exists

        return self._call(lambda client: image_exists(client, image_uri))


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
        deployment=ws.systems.deployment(request.platform, request.language),
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
    engine: Engine, context_dir: Path, resolved: ResolvedImage, on_line: LineSink | None = None
) -> BuildResult:
    """Build the staged context; verifies the image reports the requested architecture."""
    result = engine.build(context_dir, resolved, on_line=on_line)
    expected = ENGINE_ARCHITECTURE[resolved.request.architecture]
    if result.architecture and result.architecture != expected:
        raise BuildFailed(
            resolved.image_uri,
            f"image reports architecture {result.architecture!r}, expected {expected!r} "
            f"(check the base image for {resolved.request.architecture})",
            [],
        )
    return result


def push_built(
    engine: Engine, resolved: ResolvedImage, ws: Workspace, progress: PushProgress | None = None
) -> PushResult:
    """Ensure the repository, push with progress, then read the compressed size from the manifest."""
    registry = ws.registry(resolved.request.platform)
    registry.ensure_repository(resolved.name)
    pushed = engine.push(resolved.name, registry, ws.retry, progress)
    remote = registry.describe_image(resolved.name)
    return PushResult(
        digest=remote.digest or pushed.digest,
        compressed_bytes=remote.compressed_bytes,
        seconds=pushed.seconds,
    )


def smoke_test(resolved: ResolvedImage, event: Mapping[str, Any], timeout: float = 120.0) -> str:
    """``build --smoke``: call the image just built once under its platform's contract
    (faasforge.invoke); ``"ok"``, ``"failed: <why>"`` or ``"not-invocable: <why>"``."""
    from faasforge.invoke import smoke_image

    status, detail = smoke_image(resolved.image_uri, event, timeout=timeout)
    if status != "ok":
        log.warning("smoke test of %s %s: %s", resolved.image_uri, status, detail.splitlines()[0] if detail else "")
    return "ok" if status == "ok" else f"{status}: {detail.splitlines()[0] if detail else ''}"


def record_image(
    resolved: ResolvedImage, decision: RegistryDecision, ws: Workspace, rebuilt: Rebuilt | None = None
) -> ImageRecord:
    """Write the catalog row for this image (rebuilt or skipped, and why; the smoke test's
    outcome when one ran)."""
    if rebuilt is None:
        return ws.catalog.record(skipped_record(resolved, decision, ws))
    build, push = rebuilt.build, rebuilt.push
    return ws.catalog.record(_image_record(
        resolved, decision, digest=push.digest, rebuilt=True,
        size_mb=megabytes(build.size_bytes), compressed_mb=megabytes(push.compressed_bytes),
        build_seconds=build.seconds, push_seconds=push.seconds, smoke=rebuilt.smoke,
    ))


def skipped_record(resolved: ResolvedImage, decision: RegistryDecision, ws: Workspace) -> ImageRecord:
    """A record for an image the registry already holds: sizes from the catalog when it knows
    this digest, else the compressed size from the manifest (one GET, still no pull)."""
    remote = decision.remote
    digest = remote.digest if remote else None
    known = ws.catalog.get(resolved.request)
    size_mb = compressed_mb = None
    if known is not None and known.digest == digest and known.image_uri == resolved.image_uri:
        size_mb, compressed_mb = known.size_mb, known.compressed_mb
    else:
        described = ws.registry(resolved.request.platform).describe_image(resolved.name)
        compressed_mb = megabytes(described.compressed_bytes)
    return _image_record(
        resolved, decision, digest=digest, rebuilt=False, size_mb=size_mb, compressed_mb=compressed_mb,
        build_seconds=None, push_seconds=None,
    )


def _image_record(resolved: ResolvedImage, decision: RegistryDecision, **measured: Any) -> ImageRecord:
    r = resolved.request
    return ImageRecord(
        platform=r.platform, benchmark=r.benchmark, language=r.language, version=r.version,
        architecture=r.architecture, image_uri=resolved.image_uri, content_hash=resolved.plan.content_hash,
        reason=decision.reason, **measured,
    )


class Steps(Protocol):
    """The six steps of an image and the two of a matrix triage; each one call, no decisions."""

    def resolve(self, request: ImageRequest, ws: Workspace) -> ResolvedImage: ...

    def check(self, resolved: ResolvedImage, ws: Workspace, force: bool) -> RegistryDecision: ...

    def stage(self, resolved: ResolvedImage) -> Path: ...

    def build(self, resolved: ResolvedImage, context_dir: Path, force: bool) -> BuildResult: ...

    def push(self, resolved: ResolvedImage, ws: Workspace, build: BuildResult) -> PushResult: ...

    def smoke(self, resolved: ResolvedImage, event: dict[str, Any]) -> str: ...

    def record(
        self, resolved: ResolvedImage, decision: RegistryDecision, ws: Workspace, rebuilt: Rebuilt | None = None
    ) -> ImageRecord: ...

    def triage(self, requests: Sequence[ImageRequest], ws: Workspace, force: bool) -> MatrixTriage: ...

    def record_skipped(
        self, skipped: Sequence[tuple[ResolvedImage, RegistryDecision]], ws: Workspace
    ) -> list[ImageRecord]: ...


class PlainSteps:
    """The steps as plain function calls on ``engine``; push progress to ``progress``."""

    def __init__(
        self, engine: Engine, progress: PushProgress | None = None, on_build_line: LineSink | None = None
    ) -> None:
        self.engine = engine
        self.progress = progress
        self.on_build_line = on_build_line

    def resolve(self, request: ImageRequest, ws: Workspace) -> ResolvedImage:
        return resolve_image(request, ws)

    def check(self, resolved: ResolvedImage, ws: Workspace, force: bool) -> RegistryDecision:
        return check_registry(resolved, ws, force=force)

    def stage(self, resolved: ResolvedImage) -> Path:
        return stage_context(resolved)

    def build(self, resolved: ResolvedImage, context_dir: Path, force: bool) -> BuildResult:
        return build_staged(self.engine, context_dir, resolved, on_line=self.on_build_line)

    def push(self, resolved: ResolvedImage, ws: Workspace, build: BuildResult) -> PushResult:
        return push_built(self.engine, resolved, ws, self.progress)

    def smoke(self, resolved: ResolvedImage, event: dict[str, Any]) -> str:
        return smoke_test(resolved, event)

    def record(
        self, resolved: ResolvedImage, decision: RegistryDecision, ws: Workspace, rebuilt: Rebuilt | None = None
    ) -> ImageRecord:
        return record_image(resolved, decision, ws, rebuilt)

    def triage(self, requests: Sequence[ImageRequest], ws: Workspace, force: bool) -> MatrixTriage:
        return triage_images(requests, ws, force=force)

    def record_skipped(
        self, skipped: Sequence[tuple[ResolvedImage, RegistryDecision]], ws: Workspace
    ) -> list[ImageRecord]:
        return [record_image(resolved, decision, ws) for resolved, decision in skipped]
