"""Task: copy the benchmark, wrappers and Dockerfile into a fresh build context."""

from __future__ import annotations

from pathlib import Path

from faasforge.tasks.runnames import image_run_name
from prefect import task
from prefect.cache_policies import NO_CACHE

from faasforge.model import ResolvedImage
from faasforge.pipeline import stage_context


@task(name="stage-context", task_run_name=image_run_name("stage"), cache_policy=NO_CACHE)
def stage_task(resolved: ResolvedImage) -> Path:
    return stage_context(resolved)
