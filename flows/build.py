"""The flows: ``build_image`` (one image → its record) and ``build_images`` (a matrix).

Parameters in, artifacts out; the run itself is ``faasforge.runner``'s (``run_image``,
``run_matrix``), its steps Prefect task runs (``faasforge.tasks.PrefectSteps``).
"""

from __future__ import annotations

from typing import Any

from faasforge.flows.artifacts import MatrixProgress, publish_images_table
from faasforge.flows.fanout import DEFAULT_DEPLOYMENT, DEFAULT_TIMEOUT_SECONDS, fan_out_runner
from faasforge.flows.params import (
    DEFAULT_MATRIX_FILE,
    Arch,
    Language,
    Platform,
    SharedParams,
    resolve_matrix_file,
    to_request,
    with_shared_params,
)
from faasforge.tasks import PrefectSteps, index_task
from faasforge.tasks.args import as_is
from prefect import flow, get_run_logger

from faasforge.index import check_index_platforms
from faasforge.locks import build_slots
from faasforge.matrix import choose_concurrency, dedupe, load_matrix_file
from faasforge.model import ImageRecord, ImageRequest
from faasforge.pipeline import DockerEngine
from faasforge.push import push_display
from faasforge.runner import ImageRunner, MatrixFailed, run_image, run_matrix

__all__ = ["MatrixFailed", "build_image", "build_images", "build_matrix"]


def _steps() -> PrefectSteps:
    """Task runs on the engine of the environment; pushes shown on the caller's display, if any."""
    return PrefectSteps(DockerEngine(), push_display())


def _image_flow_name() -> str:
    from prefect.runtime import flow_run

    p = flow_run.parameters
    return f"build {p['benchmark']} {p['language']}-{p['version']} {p.get('architecture', 'x64')}"


@flow(name="build-image", flow_run_name=_image_flow_name, persist_result=True)
@with_shared_params
def build_image(
    benchmark: str,
    language: Language,
    version: str,
    architecture: Arch = "x64",
    platform: Platform = "local",
    *,
    shared: SharedParams,
    smoke_event: dict[str, Any] | None = None,
    index: bool = False,
) -> ImageRecord:
    """Build, push and record one image unless the registry already holds it; returns its record.

    ``shared`` stands for SharedParams' fields, each a parameter of the flow (``registry``,
    ``repository``, ``force``, ``tag_style``, ``benchmarks_dir``, ``systems_config``,
    ``registries_config``; ``with_shared_params``).

    Args:
        benchmark: benchmark name in SeBS layout, e.g. 110.dynamic-html
        language: python or nodejs
        version: language version offered by the platform, e.g. 3.11 or 18
        architecture: x64 or arm64 (run it on the work queue of the same name to build natively)
        platform: target cloud; its registry adapter names and checks the image
        smoke_event: when given, call the image once with this event after the push, under its
            platform's contract (faasforge.invoke); the record's ``smoke`` says how it went
        index: also publish a multi-architecture image index over it (local and openwhisk only)
    """
    request = ImageRequest(platform, benchmark, language, version, architecture)
    if index:
        check_index_platforms([platform])
    ws = shared.workspace()
    record = run_image(
        request, ws, _steps(), force=shared.force, slots=build_slots(), logger=get_run_logger(), smoke_event=smoke_event
    )
    if index:
        record = index_task(as_is([record]), as_is([request]), as_is(ws), 1)[0]
    publish_images_table([record], key="faasforge-image")
    return record


def _matrix_flow_name() -> str:
    from prefect.runtime import flow_run

    images = flow_run.parameters.get("images") or []
    return f"build matrix of {len(images)} images" if images else "build matrix"


@flow(name="build-images", flow_run_name=_matrix_flow_name, persist_result=True)
@with_shared_params
def build_images(
    images: list[dict[str, str]] | None = None,
    matrix_file: str = DEFAULT_MATRIX_FILE,
    *,
    shared: SharedParams,
    concurrency: int | None = None,
    fan_out: bool = False,
    deployment: str = DEFAULT_DEPLOYMENT,
    work_queues: dict[str, str] | None = None,
    fan_out_timeout: float = DEFAULT_TIMEOUT_SECONDS,
    smoke_event: dict[str, Any] | None = None,
    index: bool = False,
) -> list[ImageRecord]:
    """Build a matrix: deduplicated, checked against the registry, then the rest built
    ``concurrency`` images at once (default: the matrix file's ``concurrency``, else 2).

    ``images`` holds dicts with benchmark, language, version, architecture and platform; without
    it, the images of ``matrix_file`` (a TOML matrix, default faasforge's ``config/nightly.toml``).
    First one task checks every image with one registry request each and records the ones the
    registry already holds (a nightly run of an unchanged matrix ends there). Each remaining image
    runs its six steps as task runs of this flow, named after the image (``build 110.dynamic-html
    python-3.11 arm64``). Every image is attempted; failures are reported together at the end.

    ``fan_out``: instead of building here, run ``deployment`` (build-image) once per image that
    needs work, on the work queue of its architecture (``work_queues``, default x64 → x64,
    arm64 → arm64), as subflows, and collect the records the workers persist. Needs a Prefect
    server and workers.

    ``smoke_event``: call each image built in this run once with this event after its push
    (``build --smoke``); one that does not answer is marked in its record's ``smoke`` and the table.

    ``index``: after all architectures of a benchmark/platform/language/version are pushed,
    publish one multi-architecture image index over them (local and openwhisk only); the records
    carry its ``index_uri``.
    """
    file_concurrency: int | None = None
    if images is None:
        images, file_concurrency = _matrix_file_images(matrix_file, shared)
    fan_out_to = fan_out_runner(shared.as_params(), deployment, work_queues, fan_out_timeout) if fan_out else None
    return build_matrix(
        images, shared, choose_concurrency(concurrency, file_concurrency), fan_out_to, index=index
    )


def _matrix_file_images(matrix_file: str, shared: SharedParams) -> tuple[list[dict[str, str]], int | None]:
    logger = get_run_logger()
    ws = shared.workspace()
    path = resolve_matrix_file(matrix_file)
    matrix, concurrency = load_matrix_file(path, ws.systems, ws.settings.benchmarks_dir)
    for request, reason in matrix.excluded:
        logger.info("left out %s: %s", request.label, reason)
    logger.info("matrix %s: %d images", path, len(matrix.requests))
    return [r.as_params() for r in matrix.requests], concurrency


def build_matrix(
    images: list[dict[str, Any]], shared: SharedParams, concurrency: int, fan_out: ImageRunner | None = None,
    index: bool = False,
) -> list[ImageRecord]:
    """The matrix in the current flow run: its table artifact (``faasforge-images``, failures
    included) and progress artifact; MatrixFailed after the table when any image failed. With
    ``index``, one image index per benchmark/platform/language/version whose images all pushed."""
    logger = get_run_logger()
    requests, dropped = dedupe(to_request(i) for i in images)
    if dropped:
        logger.info("dropped %d duplicate images from the matrix", dropped)
    if index:
        check_index_platforms([r.platform for r in requests])
    progress = MatrixProgress(len(requests))
    ws = shared.workspace()
    outcome = run_matrix(
        requests, ws, _steps(), force=shared.force, concurrency=concurrency, run_one=fan_out,
        on_done=progress.advance, logger=logger, smoke_event=shared.smoke_event,
    )
    if index and outcome.records:
        outcome.records = index_task(as_is(outcome.records), as_is(requests), as_is(ws), len(outcome.records))
    publish_images_table(outcome.records, key="faasforge-images", failures=outcome.failures)
    outcome.raise_for_failures()
    return outcome.records
