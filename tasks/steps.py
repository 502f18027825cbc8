"""The steps of ``faasforge.runner`` as Prefect task runs of the current flow run.

What is Prefect's and nothing else's lives here:

- arguments go in through ``tasks.args.as_is``, so Prefect does not walk the workspace and the
  context plan looking for futures on every task run; ``wait_for`` keeps the build → push edge;
- the build task is cached by content; the cache is refreshed when the rebuild is forced or the
  engine no longer holds the image (a cached result would name an image that is gone);
- the build holds a slot of the server's global build limit (``tasks.limits``), when one is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from faasforge.tasks.args import as_is
from faasforge.tasks.build import build_task
from faasforge.tasks.check import check_task
from faasforge.tasks.limits import global_build_slot
from faasforge.tasks.push import push_task
from faasforge.tasks.record import record_task
from faasforge.tasks.resolve import resolve_task
from faasforge.tasks.stage import stage_task
from faasforge.tasks.triage import record_skipped_task, triage_task
from prefect import get_run_logger

from faasforge.model import (
    BuildResult,
    ImageRecord,
    ImageRequest,
    MatrixTriage,
    PushResult,
    RegistryDecision,
    ResolvedImage,
)
from faasforge.pipeline import Engine, Workspace
from faasforge.push import PushDisplay

__all__ = ["PrefectSteps"]


class PrefectSteps:
    """``faasforge.runner.Steps`` as task runs, building and pushing on ``engine``."""

    def __init__(self, engine: Engine, display: PushDisplay | None = None) -> None:
        self.engine = engine
        self.display = display

    def resolve(self, request: ImageRequest, ws: Workspace) -> ResolvedImage:
        return resolve_task(as_is(request), as_is(ws))

    def check(self, resolved: ResolvedImage, ws: Workspace, force: bool) -> RegistryDecision:
        return check_task(as_is(resolved), as_is(ws), force)

    def stage(self, resolved: ResolvedImage) -> Path:
        return stage_task(as_is(resolved))

    def build(self, resolved: ResolvedImage, context_dir: Path, force: bool) -> BuildResult:
        builder = build_task
        if force or not self.engine.has_image(resolved.image_uri):  # forced: no need to ask
            builder = build_task.with_options(refresh_cache=True)
        with global_build_slot(get_run_logger()):
            return builder(as_is(resolved), context_dir, as_is(self.engine))

    def push(self, resolved: ResolvedImage, ws: Workspace, build: BuildResult) -> PushResult:
        progress = self.display.for_image(resolved.request.short_label) if self.display else None
        return push_task(as_is(resolved), as_is(ws), as_is(self.engine), as_is(progress), wait_for=[build])

    def record(
        self,
        resolved: ResolvedImage,
        decision: RegistryDecision,
        ws: Workspace,
        build: BuildResult | None = None,
        push: PushResult | None = None,
    ) -> ImageRecord:
        return record_task(as_is(resolved), as_is(decision), as_is(ws), as_is(build), as_is(push))

    def triage(self, requests: Sequence[ImageRequest], ws: Workspace, force: bool) -> MatrixTriage:
        return triage_task(as_is(requests), as_is(ws), force)

    def record_skipped(
        self, skipped: Sequence[tuple[ResolvedImage, RegistryDecision]], ws: Workspace
    ) -> list[ImageRecord]:
        return record_skipped_task(as_is(skipped), as_is(ws))
