"""The flows: ``build_image`` (one image → its record) and ``build_images`` (a matrix).

Per image: resolve names → check registry → stage → build → push → record, each a task.
"""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from faasforge.flows.artifacts import MatrixProgress, publish_images_table
from faasforge.flows.fanout import DEFAULT_DEPLOYMENT, DEFAULT_TIMEOUT_SECONDS, run_on_build_host
from faasforge.flows.limits import build_slot
from faasforge.flows.workspace import make_workspace
from faasforge.tasks import (
    build_task,
    check_task,
    index_task,
    push_task,
    record_skipped_task,
    record_task,
    resolve_task,
    stage_task,
    triage_task,
)
from faasforge.tasks.args import as_is
from prefect import flow, get_run_logger

from faasforge.engine import docker_client, image_exists
from faasforge.errors import MatrixFailed
from faasforge.index import check_index_platforms
from faasforge.locks import configured_engine_builds, engine_slots, image_lock
from faasforge.matrix import dedupe
from faasforge.model import ImageRecord, ImageRequest, RegistryDecision
from faasforge.pipeline import Workspace
from faasforge.staging import remove_context

Platform = Literal["local", "aws", "gcp", "azure", "openwhisk"]
Language = Literal["python", "nodejs"]
Arch = Literal["x64", "arm64"]
TagStyle = Literal["hash", "sebs"]


def run_image_pipeline(request: ImageRequest, ws: Workspace, force: bool = False) -> ImageRecord:
    """The six steps for one image, as Prefect tasks, in the current flow run.

    Check → record run under the image's lock (faasforge.locks), so an overlapping run that wants
    the same image waits, then finds it in the registry and skips. The build itself waits for a
    build slot (flows.limits): per engine in this process, and the server's global limit.

    Arguments go in through ``tasks.args.as_is``: Prefect does not walk the workspace and the
    context plan looking for futures on every task run; ``wait_for`` keeps the build → push edge.
    """
    logger = get_run_logger()
    ws_arg = as_is(ws)
    resolved = resolve_task(as_is(request), ws_arg)
    resolved_arg = as_is(resolved)
    waited: list[bool] = []

    def on_wait(holder: dict[str, Any]) -> None:
        waited.append(True)
        logger.info(
            "waiting for another run building %s (pid %s on %s since %s)",
            resolved.image_uri, holder.get("pid", "?"), holder.get("host", "?"), holder.get("since", "?"),
        )

    with image_lock(resolved.image_uri, resolved.plan.content_hash, on_wait=on_wait):
        decision = check_task(resolved_arg, ws_arg, force)
        if not decision.build:
            if waited:
                decision = RegistryDecision(
                    False, f"{decision.reason}; built by another run while this one waited", decision.remote
                )
            logger.info("skip %s: %s", resolved.image_uri, decision.reason)
            return record_task(resolved_arg, as_is(decision), ws_arg)
        context_dir = stage_task(resolved_arg)
        try:
            with build_slot(logger):
                builder = build_task
                if force or not _engine_has(resolved.image_uri):  # forced: no need to ask
                    builder = build_task.with_options(refresh_cache=True)
                build = builder(resolved_arg, context_dir)
        finally:
            remove_context(context_dir)
        push = push_task(resolved_arg, ws_arg, wait_for=[build])  # keeps the build -> push edge
        return record_task(resolved_arg, as_is(decision), ws_arg, as_is(build), as_is(push))


def _engine_has(image_uri: str) -> bool:
    client = docker_client()
    try:
        return image_exists(client, image_uri)
    finally:
        client.close()


def _image_flow_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    return f"build {p['benchmark']} {p['language']}-{p['version']} {p.get('architecture', 'x64')}"


@flow(name="build-image", flow_run_name=_image_flow_name, persist_result=True)
def build_image(
    benchmark: str,
    language: Language,
    version: str,
    architecture: Arch = "x64",
    platform: Platform = "local",
    registry: str | None = None,
    repository: str | None = None,
    force: bool = False,
    tag_style: TagStyle = "hash",
    benchmarks_dir: str | None = None,
    systems_config: str | None = None,
    index: bool = False,
) -> ImageRecord:
    """Build, push and record one image unless the registry already holds it; returns its record.

    Args:
        benchmark: benchmark name in SeBS layout, e.g. 110.dynamic-html
        language: python or nodejs
        version: language version offered by the platform, e.g. 3.11 or 18
        architecture: x64 or arm64 (run it on the work queue of the same name to build natively)
        platform: target cloud; its registry adapter names and checks the image
        registry: registry host[:port][/namespace] (default: the platform's, 127.0.0.1:5000 for local)
        repository: repository name in the registry (default: the platform's convention)
        force: rebuild even if the registry already holds the tag
        tag_style: hash (content-addressed tags) or sebs (SeBS's tags)
        benchmarks_dir: benchmarks directory on the build host (default: the checkout's samples)
        systems_config: systems.json on the build host (default: the checkout's config/systems.json)
        index: also publish a multi-architecture image index over it (local and openwhisk only)
    """
    ws = make_workspace(registry, repository, tag_style, benchmarks_dir, systems_config)
    request = ImageRequest(platform, benchmark, language, version, architecture)
    if index:
        check_index_platforms([platform])
    record = run_image_pipeline(request, ws, force)
    if index:
        record = index_task(as_is([record]), as_is([request]), as_is(ws), 1)[0]
    publish_images_table([record], key="faasforge-image")
    return record


def _matrix_flow_name() -> str:
    from prefect.runtime import flow_run

    images = flow_run.parameters.get("images") or []
    return f"build matrix of {len(images)} images" if images else "build matrix"


@flow(name="build-images", flow_run_name=_matrix_flow_name, persist_result=True)
def build_images(
    images: list[dict[str, str]],
    registry: str | None = None,
    repository: str | None = None,
    force: bool = False,
    tag_style: TagStyle = "hash",
    benchmarks_dir: str | None = None,
    systems_config: str | None = None,
    concurrency: int = 2,
    fan_out: bool = False,
    deployment: str = DEFAULT_DEPLOYMENT,
    work_queues: dict[str, str] | None = None,
    fan_out_timeout: float = DEFAULT_TIMEOUT_SECONDS,
    index: bool = False,
) -> list[ImageRecord]:
    """Build a matrix: deduplicated, checked against the registry, then the rest built
    ``concurrency`` images at once.

    ``images`` holds dicts with benchmark, language, version, architecture and platform.
    First one task checks every image with one registry request each and records the ones the
    registry already holds (a nightly run of an unchanged matrix ends there). Each remaining image
    runs its six steps as task runs of this flow, named after the image (``build 110.dynamic-html
    python-3.11 arm64``). Every image is attempted; failures are reported together at the end.

    ``fan_out``: instead of building here, run ``deployment`` (build-image) once per image that
    needs work, on the work queue of its architecture (``work_queues``, default x64 → x64,
    arm64 → arm64), as subflows, and collect the records the workers persist. Needs a Prefect
    server and workers.

    ``index``: after all architectures of a benchmark/platform/language/version are pushed,
    publish one multi-architecture image index over them (local and openwhisk only); the records
    carry its ``index_uri``.
    """
    logger = get_run_logger()
    requests, dropped = dedupe(_to_request(i) for i in images)
    if dropped:
        logger.info("dropped %d duplicate images from the matrix", dropped)
    ws = make_workspace(registry, repository, tag_style, benchmarks_dir, systems_config)
    for request in requests:  # validate everything before building anything
        ws.systems.validate(request)
    if index:
        check_index_platforms([r.platform for r in requests])
    progress = MatrixProgress(len(requests))
    triage = triage_task(as_is(requests), as_is(ws), force)
    records: list[ImageRecord] = record_skipped_task(as_is(triage.skipped), as_is(ws)) if triage.skipped else []
    progress.advance(len(records))
    logger.info(
        "%d of %d images already in the registry; %d to build", len(records), len(requests), len(triage.to_build)
    )
    failures: list[tuple[ImageRequest, Exception]] = []
    lock = threading.Lock()
    common: dict[str, Any] = {
        "registry": registry, "repository": repository, "force": force, "tag_style": tag_style,
        "benchmarks_dir": benchmarks_dir, "systems_config": systems_config,
    }

    def one(request: ImageRequest) -> None:
        try:
            if fan_out:
                record = run_on_build_host(
                    request, common, deployment=deployment, queues=work_queues, timeout=fan_out_timeout
                )
            else:
                record = run_image_pipeline(request, ws, force)
            with lock:
                records.append(record)
        except Exception as exc:  # noqa: BLE001 - reported below, per image; a cancellation stops the run
            with lock:
                failures.append((request, exc))
        finally:
            with lock:
                progress.advance()

    if triage.to_build:
        if not fan_out and configured_engine_builds() is None:
            engine_slots().set_limit(max(1, concurrency))  # the same slots for every flow of the process
        workers = max(1, min(concurrency, len(triage.to_build)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faasforge") as pool:
            futures = [pool.submit(contextvars.copy_context().run, one, r) for r in triage.to_build]
            for future in futures:
                future.result()
    order = {r: i for i, r in enumerate(requests)}
    records.sort(key=lambda rec: order.get(rec.request, 0))
    if index and records:
        records = index_task(as_is(records), as_is(requests), as_is(ws), len(records))
    publish_images_table(records, key="faasforge-images", failures=failures)
    if failures:
        lines = "; ".join(f"{r.label}: {str(e).splitlines()[0] if str(e) else type(e).__name__}" for r, e in failures)
        raise MatrixFailed(f"{len(failures)} of {len(requests)} images failed: {lines}", records, failures)
    return records


def _to_request(image: dict[str, Any] | ImageRequest) -> ImageRequest:
    if isinstance(image, ImageRequest):
        return image
    return ImageRequest(
        platform=str(image.get("platform", "local")),
        benchmark=str(image["benchmark"]),
        language=str(image["language"]),
        version=str(image["version"]),
        architecture=str(image.get("architecture", "x64")),
    )
