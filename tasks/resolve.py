"""Task: resolve an image request to its content hash and registry name."""

from __future__ import annotations

from faasforge.tasks.runnames import image_run_name
from prefect import task
from prefect.cache_policies import NO_CACHE

from faasforge.model import ImageRequest, ResolvedImage
from faasforge.pipeline import Workspace, resolve_image


@task(name="resolve-names", task_run_name=image_run_name("resolve"), cache_policy=NO_CACHE)
def resolve_task(request: ImageRequest, ws: Workspace) -> ResolvedImage:
    """Validate the request, hash the would-be context and name the image."""
    return resolve_image(request, ws)
