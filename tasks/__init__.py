"""Thin Prefect tasks, one per pipeline step (the work is in ``faasforge.pipeline``), and
``PrefectSteps``, which hands them to ``faasforge.runner``."""

from faasforge.tasks.build import build_task
from faasforge.tasks.check import check_task
from faasforge.tasks.index import index_task
from faasforge.tasks.push import push_task
from faasforge.tasks.record import record_task
from faasforge.tasks.resolve import resolve_task
from faasforge.tasks.smoke import smoke_task
from faasforge.tasks.stage import stage_task
from faasforge.tasks.steps import PrefectSteps
from faasforge.tasks.triage import record_skipped_task, triage_task

__all__ = [
    "PrefectSteps", "build_task", "check_task", "index_task", "push_task", "record_skipped_task", "record_task",
    "resolve_task", "smoke_task", "stage_task", "triage_task",
]
