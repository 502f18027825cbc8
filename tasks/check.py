"""Task: ask the registry, with one request, whether the image is already published.

Never cached: the registry is the source of truth and can change between runs.
"""

from __future__ import annotations

from faasforge.tasks.runnames import image_run_name
from prefect import task
from prefect.cache_policies import NO_CACHE

from faasforge.model import RegistryDecision, ResolvedImage
from faasforge.pipeline import Workspace, check_registry


@task(name="check-registry", task_run_name=image_run_name("check"), cache_policy=NO_CACHE)
def check_task(resolved: ResolvedImage, ws: Workspace, force: bool = False) -> RegistryDecision:
    """No task retries: the registry call retries by the one policy (faasforge.retry)."""
    return check_registry(resolved, ws, force=force)
