"""One image, one matrix: the order of the steps and every decision around them, written once.

``run_image`` takes an image through resolve → check → stage → build → push → record;
``run_matrix`` takes a matrix through one up-front check, then ``run_image`` per image that needs
work, ``concurrency`` at a time. What each step does is a ``faasforge.pipeline.Steps``
implementation's:

- ``faasforge.pipeline.PlainSteps`` calls the pipeline's functions as they are (tests, bench,
  any pipeline that wants no Prefect);
- ``faasforge.tasks.steps.PrefectSteps`` runs each as a Prefect task run (argument wrapping, the
  build cache and its refresh, the server's global build slot).

Decided here, for both: the image's lock around check → record (an overlapping run waits, then
finds the image and skips), the reason a skip gives, the build's engine slot, the removal of the
staged context, matrix validation, failures collected per image and reported together, and the
order of the records (the matrix's own).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from faasforge.defaults import DEFAULT_CONCURRENCY
from faasforge.errors import MatrixFailed, first_line
from faasforge.locks import BuildSlots, build_slots, image_lock
from faasforge.model import BuildResult, ImageRecord, ImageRequest, Rebuilt, RegistryDecision, ResolvedImage
from faasforge.pipeline import PlainSteps, Steps, Workspace
from faasforge.staging import remove_context

__all__ = [
    "DEFAULT_CONCURRENCY", "MatrixFailed", "MatrixOutcome", "PlainSteps", "Steps", "run_image", "run_matrix",
]

Logger = logging.Logger | logging.LoggerAdapter[logging.Logger]
ImageRunner = Callable[[ImageRequest], ImageRecord]
log = logging.getLogger("faasforge.runner")


# ------------------------------------------------------------------------------------- one image
def run_image(
    request: ImageRequest,
    ws: Workspace,
    steps: Steps,
    *,
    force: bool = False,
    slots: BuildSlots | None = None,
    logger: Logger = log,
    smoke_event: dict[str, Any] | None = None,
) -> ImageRecord:
    """The six steps for one image; returns its catalog record (rebuilt, or skipped and why).
    With ``smoke_event``, an image built here is called once after its push (``steps.smoke``,
    ``build --smoke``) and its record says how that went.

    Check → record run under the image's lock (``faasforge.locks.image_lock``): a run that wants
    the same image waits, then checks the registry itself and skips. The build holds one of
    ``slots`` (default ``faasforge.locks.build_slots()``); the staged context is removed after it.
    """
    resolved = steps.resolve(request, ws)
    waited: list[bool] = []

    def on_wait(holder: dict[str, Any]) -> None:
        waited.append(True)
        logger.info(
            "waiting for another run building %s (pid %s on %s since %s)",
            resolved.image_uri, holder.get("pid", "?"), holder.get("host", "?"), holder.get("since", "?"),
        )

    with image_lock(resolved.image_uri, resolved.plan.content_hash, home=ws.settings.home, on_wait=on_wait):
        decision = steps.check(resolved, ws, force)
        if not decision.build:
            if waited:
                decision = RegistryDecision(
                    False, f"{decision.reason}; built by another run while this one waited", decision.remote
                )
            logger.info("skip %s: %s", resolved.image_uri, decision.reason)
            return steps.record(resolved, decision, ws)
        build = _build(resolved, steps, force, slots or build_slots(), logger)
        push = steps.push(resolved, ws, build)
        smoke = None if smoke_event is None else steps.smoke(resolved, smoke_event)
        return steps.record(resolved, decision, ws, Rebuilt(build, push, smoke))


def _build(resolved: ResolvedImage, steps: Steps, force: bool, slots: BuildSlots, logger: Logger) -> BuildResult:
    context_dir = steps.stage(resolved)
    try:
        started = time.monotonic()
        with slots.hold():
            logger.info("build slot acquired after %.1fs (%s)", time.monotonic() - started, slots.name)
            return steps.build(resolved, context_dir, force)
    finally:
        remove_context(context_dir)


# ------------------------------------------------------------------------------------ a matrix
@dataclass
class MatrixOutcome:
    """Every image of a matrix: the records in the matrix's order, and the failures."""

    requests: Sequence[ImageRequest]
    records: list[ImageRecord] = field(default_factory=list)
    failures: list[tuple[ImageRequest, Exception]] = field(default_factory=list)

    def raise_for_failures(self) -> None:
        """MatrixFailed naming each failed image and the first line of its error, if any failed."""
        if not self.failures:
            return
        lines = "; ".join(f"{r.label}: {first_line(e)}" for r, e in self.failures)
        message = f"{len(self.failures)} of {len(self.requests)} images failed: {lines}"
        raise MatrixFailed(message, self.records, self.failures)


def run_matrix(
    requests: Sequence[ImageRequest],
    ws: Workspace,
    steps: Steps,
    *,
    force: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    run_one: ImageRunner | None = None,
    on_done: Callable[[int], None] | None = None,
    logger: Logger = log,
    smoke_event: dict[str, Any] | None = None,
) -> MatrixOutcome:
    """Validate every image, check them all up front, then run the rest ``concurrency`` at once.

    ``requests`` must be deduplicated (``faasforge.matrix.dedupe``). The images the registry holds
    are recorded by one ``steps.record_skipped`` call; every other image goes to ``run_one``
    (default: ``run_image`` with ``steps``; a fan-out hands it to a build host instead). Every image
    is attempted; ``on_done(n)`` hears of each finished one. Nothing raises for a failed image:
    the outcome holds it (``MatrixOutcome.raise_for_failures``).
    """
    for request in requests:  # validate everything before building anything
        ws.systems.validate(request)
    outcome = MatrixOutcome(requests)
    triage = steps.triage(requests, ws, force)
    if triage.skipped:
        outcome.records.extend(steps.record_skipped(triage.skipped, ws))
    done = on_done or (lambda n: None)
    done(len(outcome.records))
    logger.info(
        "%d of %d images already in the registry; %d to build",
        len(outcome.records), len(requests), len(triage.to_build),
    )
    if triage.to_build:
        slots = build_slots(concurrency)
        one = run_one or (
            lambda r: run_image(r, ws, steps, force=force, slots=slots, logger=logger, smoke_event=smoke_event)
        )
        _run_all(triage.to_build, one, concurrency, outcome, done)
    order = {r: i for i, r in enumerate(requests)}
    outcome.records.sort(key=lambda rec: order.get(rec.request, 0))
    return outcome


def _run_all(
    requests: Sequence[ImageRequest],
    one: ImageRunner,
    concurrency: int,
    outcome: MatrixOutcome,
    done: Callable[[int], None],
) -> None:
    """``one`` for each request from a pool of ``concurrency`` threads, each in a copy of the
    caller's context (Prefect's flow run, settings); results and failures into ``outcome``."""
    lock = threading.Lock()

    def attempt(request: ImageRequest) -> None:
        try:
            record = one(request)
            with lock:
                outcome.records.append(record)
        except Exception as exc:  # noqa: BLE001 - reported with the others, per image; a cancellation stops the run
            with lock:
                outcome.failures.append((request, exc))
        finally:
            with lock:
                done(1)

    workers = max(1, min(concurrency, len(requests)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faasforge") as pool:
        futures = [pool.submit(contextvars.copy_context().run, attempt, r) for r in requests]
        for future in futures:
            future.result()
