"""faasforge wrapper for Azure Functions (custom container), Python, HTTP trigger.

The image places this file, function.json and the benchmark in /home/site/wwwroot/handler/
(function name ``handler``, route ``/api/handler``); the Functions host loads it as package
``__app__.handler`` and calls ``main(req, context)``. The benchmark is the sibling module
``function`` (``from . import function``). Answers SeBS's measurement record as JSON.
"""

import datetime
import json
import os
import time
import uuid

import azure.functions as func

_COLD_MARKER = os.path.join("/tmp", "cold_run")
_worker_state = {"cold": True}


def _cold_start():
    if not os.path.exists(_COLD_MARKER):
        container_id = uuid.uuid4().hex[:8]
        with open(_COLD_MARKER, "w") as handle:
            handle.write(container_id)
        return True, container_id
    with open(_COLD_MARKER) as handle:
        return False, handle.read()


def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    income_timestamp = datetime.datetime.now().timestamp()
    try:
        event = req.get_json() if req.get_body() else {}
    except ValueError as exc:
        return func.HttpResponse(
            json.dumps({"error": f"body is not valid JSON: {exc}"}),
            status_code=400,
            mimetype="application/json",
        )
    if not isinstance(event, dict):
        return func.HttpResponse(
            json.dumps({"error": "the event must be a JSON object"}),
            status_code=400,
            mimetype="application/json",
        )
    request_id = context.invocation_id
    event.setdefault("request-id", request_id)
    event.setdefault("income-timestamp", income_timestamp)

    begin = time.time()
    start = time.perf_counter()
    from . import function

    output = function.handler(event)
    compute_time = (time.perf_counter() - start) * 1e6
    end = time.time()

    is_cold, container_id = _cold_start()
    is_cold_worker, _worker_state["cold"] = _worker_state["cold"], False
    return func.HttpResponse(
        json.dumps(
            {
                "begin": begin,
                "end": end,
                "compute_time": compute_time,
                "results_time": 0,
                "result": {"output": output},
                "is_cold": is_cold,
                "is_cold_worker": is_cold_worker,
                "container_id": container_id,
                "environ_container_id": os.environ.get("CONTAINER_NAME", ""),
                "request_id": request_id,
            },
            default=str,
        ),
        mimetype="application/json",
    )
