"""faasforge wrapper for Azure Functions (custom container), Python, HTTP trigger (v1 model).

The image places this file, function.json and the benchmark in /home/site/wwwroot/handler/
(function ``handler``, route ``/api/handler``); the Python worker imports it as
``__app__.handler.handler`` and calls ``main(req, context)``; function.json's ``$return`` output
binding takes the returned HttpResponse. The benchmark is the sibling module ``function``. The
reply is SeBS's record: ``{begin, end, results_time, result, is_cold, is_cold_worker,
container_id, environ_container_id, request_id}``; ``result`` is the function's return.
"""

import datetime
import io
import json
import os
import uuid

import azure.functions as func

if "NOSQL_STORAGE_DATABASE" in os.environ:  # set by the deployment, as SeBS's
    from . import nosql

    nosql.nosql.get_instance(
        os.environ["NOSQL_STORAGE_DATABASE"], os.environ["NOSQL_STORAGE_URL"], os.environ["NOSQL_STORAGE_CREDS"]
    )

if "STORAGE_CONNECTION_STRING" in os.environ:
    from . import storage

    storage.storage.get_instance(os.environ["STORAGE_CONNECTION_STRING"])

_COLD_MARKER = os.path.join("/tmp", "cold_run")
_worker = {"cold": True}


def _stamp(moment):
    """SeBS's ``strftime("%s.%f")``: epoch seconds, a dot, six digits of microseconds."""
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


def _cold_start():
    if not os.path.exists(_COLD_MARKER):
        container_id = str(uuid.uuid4())[0:8]
        with open(_COLD_MARKER, "a") as handle:
            handle.write(container_id)
        return True, container_id
    with open(_COLD_MARKER) as handle:
        return False, handle.read()


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
    event["request-id"] = request_id
    event["income-timestamp"] = income_timestamp

    begin = datetime.datetime.now()
    from . import function

    ret = function.handler(event)
    end = datetime.datetime.now()

    results_time = 0
    if "logs" in event:  # SeBS's logs option: the result also goes to the logs bucket
        ret["time"] = (end - begin) / datetime.timedelta(microseconds=1)
        results_begin = datetime.datetime.now()
        from . import storage

        storage.storage.get_instance().upload_stream(
            event["logs"]["bucket"], f"{request_id}.json", io.BytesIO(json.dumps(ret).encode("utf-8"))
        )
        results_time = (datetime.datetime.now() - results_begin) / datetime.timedelta(microseconds=1)

    is_cold, container_id = _cold_start()
    is_cold_worker, _worker["cold"] = _worker["cold"], False
    return func.HttpResponse(
        json.dumps(
            {
                "begin": _stamp(begin),
                "end": _stamp(end),
                "results_time": results_time,
                "result": ret,
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
