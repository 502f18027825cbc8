"""Task: `build --smoke`, one call of the image just built under its platform's contract."""

from __future__ import annotations

from typing import Any

from faasforge.tasks.runnames import image_run_name
from prefect import task
from prefect.cache_policies import NO_CACHE

from faasforge.model import ResolvedImage
from faasforge.pipeline import smoke_test


@task(name="smoke-image", task_run_name=image_run_name("smoke"), cache_policy=NO_CACHE)
def smoke_task(resolved: ResolvedImage, event: dict[str, Any]) -> str:
    return smoke_test(resolved, event)
