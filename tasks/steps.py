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

from faasforge import model
from faasforge.pipeline import Engine, Workspace
from faasforge.push import PushDisplay

__all__ = ["PrefectSteps"]


class PrefectSteps:
    """``faasforge.pipeline.Steps`` as task runs, building and pushing on ``engine``."""

    def __init__(self, engine: Engine, display: PushDisplay | None = None) -> None:
        self.engine = engine
        self.display = display

    def resolve(self, request: model.ImageRequest, ws: Workspace) -> model.ResolvedImage:
        return resolve_task(as_is(request), as_is(ws))

    def check(self, resolved: model.ResolvedImage, ws: Workspace, force: bool) -> model.RegistryDecision:
        return check_task(as_is(resolved), as_is(ws), force)

    def stage(self, resolved: model.ResolvedImage) -> Path:
        return stage_task(as_is(resolved))

    def build(self, resolved: model.ResolvedImage, context_dir: Path, force: bool) -> model.BuildResult:
        builder = build_task
        if force or not self.engine.has_image(resolved.image_uri):  # forced: no need to ask
            builder = build_task.with_options(refresh_cache=True)
        with global_build_slot(get_run_logger()):
            return builder(as_is(resolved), context_dir, as_is(self.engine))

    def push(self, resolved: model.ResolvedImage, ws: Workspace, build: model.BuildResult) -> model.PushResult:
        progress = self.display.for_image(resolved.request.short_label) if self.display else None
        return push_task(as_is(resolved), as_is(ws), as_is(self.engine), as_is(progress), wait_for=[build])

    def record(
        self,
        resolved: model.ResolvedImage,
        decision: model.RegistryDecision,
        ws: Workspace,
        rebuilt: model.Rebuilt | None = None,
    ) -> model.ImageRecord:
        return record_task(as_is(resolved), as_is(decision), as_is(ws), as_is(rebuilt))

    def triage(self, requests: Sequence[model.ImageRequest], ws: Workspace, force: bool) -> model.MatrixTriage:
        return triage_task(as_is(requests), as_is(ws), force)

    def record_skipped(
        self, skipped: Sequence[tuple[model.ResolvedImage, model.RegistryDecision]], ws: Workspace
    ) -> list[model.ImageRecord]:
        return record_skipped_task(as_is(skipped), as_is(ws))
