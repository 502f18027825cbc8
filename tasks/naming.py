"""Run names that say which image a task works on, e.g. ``build 110.dynamic-html python-3.11 arm64``."""

from __future__ import annotations

from collections.abc import Callable


def image_run_name(verb: str) -> Callable[[], str]:
    def name() -> str:
        from prefect.runtime import task_run

        params = task_run.parameters
        resolved = params.get("resolved")
        request = getattr(resolved, "request", None) or params.get("request")
        if request is None:
            return verb
        return f"{verb} {request.short_label}"

    return name
