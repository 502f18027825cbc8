"""Task run names: which image a task works on (``build 110.dynamic-html python-3.11 arm64``), or
how many (``check 12 images``)."""

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


def count_run_name(verb: str, key: str) -> TaskRunNameCallbackWithParameters:
    """``{verb} N images``, N the length of the task's argument ``key``."""

    def name(parameters: dict[str, Any]) -> str:  # the arguments, unwrapped from opaque(...)
        return f"{verb} {len(parameters.get(key) or ())} images"

    return cast(TaskRunNameCallbackWithParameters, name)
