"""Task: write the catalog row (rebuilt or skipped, and why)."""

from __future__ import annotations

from faasforge.tasks.runnames import image_run_name
from prefect import task
from prefect.cache_policies import NO_CACHE

from faasforge.model import BuildResult, ImageRecord, PushResult, RegistryDecision, ResolvedImage
from faasforge.pipeline import Workspace, record_image


@task(name="record-image", task_run_name=image_run_name("record"), cache_policy=NO_CACHE)
def record_task(
    resolved: ResolvedImage,
    decision: RegistryDecision,
    ws: Workspace,
    build: BuildResult | None = None,
    push: PushResult | None = None,
) -> ImageRecord:
    return record_image(resolved, decision, ws, build, push)
