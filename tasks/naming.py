"""Run names that say which image a task works on, e.g. ``build 110.dynamic-html python-3.11 arm64``."""

from __future__ import annotations

from typing import Any, cast

from prefect.tasks import TaskRunNameCallbackWithParameters


def image_run_name(verb: str) -> TaskRunNameCallbackWithParameters:
    def name(parameters: dict[str, Any]) -> str:
        # The arguments as the task gets them (tasks.args.as_is unwrapped); prefect.runtime's
        # task_run.parameters still hold the wrappers when the name is set.
        resolved = parameters.get("resolved")
        request = getattr(resolved, "request", None) or parameters.get("request")
        if request is None:
            return verb
        return f"{verb} {request.short_label}"

    return cast(TaskRunNameCallbackWithParameters, name)  # Prefect tells it by the name `parameters`
