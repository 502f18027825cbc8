"""Task: publish one multi-architecture index per benchmark/platform/language/version (``--index``)."""

from __future__ import annotations

from collections.abc import Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from faasforge.index import publish_indexes
from faasforge.model import ImageRecord, ImageRequest
from faasforge.pipeline import Workspace


@task(name="publish-index", task_run_name="index {requests_count} images", cache_policy=NO_CACHE)
def index_task(
    records: Sequence[ImageRecord], requests: Sequence[ImageRequest], ws: Workspace, requests_count: int = 0
) -> list[ImageRecord]:
    return publish_indexes(records, requests, ws)
