"""How flows hand arguments to tasks."""

from __future__ import annotations

from typing import TypeVar, cast

from prefect.utilities.annotations import opaque

T = TypeVar("T")


def as_is(value: T) -> T:
    """``value`` for a task call, wrapped in Prefect's ``opaque``.

    Prefect otherwise walks every field of every argument, twice per task run, looking for
    futures to resolve; the workspace and context plan have none, and the walk cost ~16 ms per
    image (BENCHMARKS.md, scenario 3). The task still receives ``value`` itself, and the run
    graph keeps its edges (``wait_for`` where an edge matters). Typed as ``T`` because that is
    what the task sees.
    """
    return cast(T, opaque(value))
