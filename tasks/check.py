"""Task: ask the registry, with one request, whether the image is already published.

Never cached: the registry is the source of truth and can change between runs.
"""

from __future__ import annotations

from faasforge.tasks.runnames import image_run_name
from prefect import task
from prefect.cache_policies import NO_CACHE

from faasforge.errors import RegistryUnreachable
from faasforge.model import RegistryDecision, ResolvedImage
from faasforge.pipeline import Workspace, check_registry


@task(
    name="check-registry",
    task_run_name=image_run_name("check"), cache_policy=NO_CACHE,
    retries=2,
    retry_delay_seconds=[2, 8],
    retry_condition_fn=lambda task, run, state: _retryable(state),
)
def check_task(resolved: ResolvedImage, ws: Workspace, force: bool = False) -> RegistryDecision:
    return check_registry(resolved, ws, force=force)


def _retryable(state: object) -> bool:
    try:
        state.result()  # type: ignore[attr-defined]
    except RegistryUnreachable:
        return True
    except Exception:
        return False
    return False
