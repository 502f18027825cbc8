"""faasforge wrapper for Azure Functions (custom container), Python, HTTP trigger (v1 model).

The image places this file, function.json and the benchmark in /home/site/wwwroot/handler/
(function ``handler``, route ``/api/handler``); the Python worker imports it as
``__app__.handler.handler`` and calls ``main(req, context)``; function.json's ``$return`` output
binding takes the returned HttpResponse. The benchmark is the sibling module ``function``. The
reply is SeBS's record: ``{begin, end, results_time, result, is_cold, is_cold_worker,
container_id, environ_container_id, request_id}``; ``result`` is the function's return. What the
handlers share is ``handler_support.py`` beside this file (wrappers/shared/handler/).
"""

import datetime
import json
import os

import azure.functions as func

from . import handler_support

if "NOSQL_STORAGE_DATABASE" in os.environ:  # set by the deployment, as SeBS's
    from . import nosql

    nosql.nosql.get_instance(
        os.environ["NOSQL_STORAGE_DATABASE"], os.environ["NOSQL_STORAGE_URL"], os.environ["NOSQL_STORAGE_CREDS"]
    )

if "STORAGE_CONNECTION_STRING" in os.environ:
    from . import storage

    storage.storage.get_instance(os.environ["STORAGE_CONNECTION_STRING"])

_worker = {"cold": True}


def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    income_timestamp = datetime.datetime.now().timestamp()
    try:
        event = req.get_json()
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return func.HttpResponse(
            json.dumps({"error": "the body must be a JSON object (the event)"}),
            status_code=400,
            mimetype="application/json",
        )
    request_id = context.invocation_id
    run = handler_support.invoke(event, request_id, income_timestamp)
    is_cold_worker, _worker["cold"] = _worker["cold"], False
    return func.HttpResponse(
        json.dumps(
            {
                "begin": handler_support.stamp(run.begin),
                "end": handler_support.stamp(run.end),
                "results_time": run.results_time,
                "result": run.result,
                "is_cold": run.is_cold,
                "is_cold_worker": is_cold_worker,
                "container_id": run.container_id,
                "environ_container_id": os.environ.get("CONTAINER_NAME", ""),
                "request_id": request_id,
            },
            default=str,
        ),
        mimetype="application/json",
    )
