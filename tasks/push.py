"""Task: push the built image with progress; credentials per call, never written anywhere."""

from __future__ import annotations

from faasforge.tasks.runnames import image_run_name
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from faasforge.model import PushResult, ResolvedImage
from faasforge.pipeline import Engine, Workspace, push_built
from faasforge.push import PushProgress


@task(name="push-image", task_run_name=image_run_name("push"), cache_policy=NO_CACHE)
def push_task(
    resolved: ResolvedImage, ws: Workspace, engine: Engine, progress: PushProgress | None = None
) -> PushResult:
    result = push_built(engine, resolved, ws, progress)
    get_run_logger().info(
        "pushed %s@%s (%s MB compressed) in %.1fs",
        resolved.image_uri, result.digest,
        "?" if result.compressed_bytes is None else f"{result.compressed_bytes / 1e6:.1f}",
        result.seconds,
    )
    return result
