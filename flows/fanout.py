"""Fan a matrix out to build hosts: each image becomes a run of the ``build-image`` deployment on
the work queue of its architecture (``x64`` → ``x64``, ``arm64`` → ``arm64``), linked to the
matrix run as a subflow. Workers polling a queue build on their own Docker engine, so an arm64
host's worker builds arm64 images natively. The record comes back through the child's persisted
result (result storage every worker and the matrix run can read: docs/SCALING.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from faasforge.errors import FanOutFailed, first_line
from faasforge.model import ImageRecord, ImageRequest

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

DEFAULT_DEPLOYMENT = "build-image/build-image"
DEFAULT_QUEUES: dict[str, str] = {"x64": "x64", "arm64": "arm64"}
DEFAULT_TIMEOUT_SECONDS = 7200.0


def queue_for(architecture: str, queues: dict[str, str] | None = None) -> str:
    mapping = {**DEFAULT_QUEUES, **(queues or {})}
    return mapping.get(architecture, architecture)


def run_on_build_host(
    request: ImageRequest,
    common: dict[str, Any],
    *,
    deployment: str = DEFAULT_DEPLOYMENT,
    queues: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    poll_interval: float = 2.0,
) -> ImageRecord:
    """Run ``deployment`` for one image on its architecture's queue and return its record.

    Blocks until the child run is final (or ``timeout`` s pass). ``common`` holds the flow
    parameters every image shares (``SharedParams.as_params()``: registry, repository, force, ...).
    """
    from prefect.deployments import run_deployment

    queue = queue_for(request.architecture, queues)
    parameters = {**request.as_params(), **common}
    run = cast("FlowRun", run_deployment(
        name=deployment, parameters=parameters, work_queue_name=queue, as_subflow=True, timeout=timeout,
        poll_interval=poll_interval, flow_run_name=f"build {request.short_label}",
    ))
    state = run.state
    if state is None or not state.is_final():
        name = state.name if state else "unknown"
        raise FanOutFailed(
            f"run {run.name} on work queue {queue!r} did not finish within {timeout:.0f}s "
            f"(state {name}); is a worker polling {queue!r}?"
        )
    if not state.is_completed():
        message = first_line(state.message)
        raise FanOutFailed(f"run {run.name} on work queue {queue!r} ended {state.name}: {message}")
    record = state.result()
    if not isinstance(record, ImageRecord):
        raise FanOutFailed(
            f"run {run.name} returned {type(record).__name__}, not an ImageRecord "
            "(is the deployment's flow build-image?)"
        )
    return record.replace(extra={**record.extra, "flow_run": run.name, "work_queue": queue})


def fan_out_runner(
    common: dict[str, Any], deployment: str, queues: dict[str, str] | None, timeout: float
) -> Callable[[ImageRequest], ImageRecord]:
    """``run_on_build_host`` with these settings, for ``faasforge.runner.run_matrix(run_one=...)``."""

    def run_one(request: ImageRequest) -> ImageRecord:
        return run_on_build_host(request, common, deployment=deployment, queues=queues, timeout=timeout)

    return run_one
