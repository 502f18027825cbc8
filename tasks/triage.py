"""Tasks for a whole matrix at once: check every image with one registry request each, and
record the ones the registry already holds. One task run each, however large the matrix."""

from __future__ import annotations

from collections.abc import Sequence

from faasforge.tasks.runnames import count_run_name
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from faasforge.model import ImageRecord, ImageRequest, MatrixTriage, RegistryDecision, ResolvedImage
from faasforge.pipeline import Workspace, record_image, triage_images


@task(name="check-registry-matrix", task_run_name=count_run_name("check", "requests"), cache_policy=NO_CACHE)
def triage_task(requests: Sequence[ImageRequest], ws: Workspace, force: bool = False) -> MatrixTriage:
    """Which images of the matrix the registry already holds (never cached)."""
    return triage_images(requests, ws, force=force)


@task(name="record-skipped", task_run_name=count_run_name("record", "skipped"), cache_policy=NO_CACHE)
def record_skipped_task(
    skipped: Sequence[tuple[ResolvedImage, RegistryDecision]], ws: Workspace
) -> list[ImageRecord]:
    """Catalog rows for the images the registry already holds."""
    logger = get_run_logger()
    records = []
    for resolved, decision in skipped:
        logger.info("skip %s: %s", resolved.image_uri, decision.reason)
        records.append(record_image(resolved, decision, ws))
    return records
