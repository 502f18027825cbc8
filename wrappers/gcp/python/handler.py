"""faasforge wrapper for Google Cloud Run (container image), Python.

A functions-framework function, as SeBS's: ``handler(req)`` takes the Flask request that
functions-framework (served by gunicorn on ``$PORT``) hands over, reads the JSON event, runs
``function.handler(event)`` and answers SeBS's measurement record: ``{begin, end, results_time,
is_cold, result, request_id, cold_start_var, container_id}``; ``result`` is the function's return.
"""

import datetime
import io
import json
import os
import uuid

if "NOSQL_STORAGE_DATABASE" in os.environ:  # set by the deployment, as SeBS's
    from function import nosql

    nosql.nosql.get_instance(os.environ["NOSQL_STORAGE_DATABASE"])

_COLD_MARKER = os.path.join("/tmp", "cold_run")


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


def _store_log(event, log_data, begin, end, request_id):
    if "logs" not in event:
        return 0
    log_data["time"] = (end - begin) / datetime.timedelta(microseconds=1)
    results_begin = datetime.datetime.now()
    from function import storage

    storage.storage.get_instance().upload_stream(
        event["logs"]["bucket"], f"{request_id}.json", io.BytesIO(json.dumps(log_data).encode("utf-8"))
    )
    return (datetime.datetime.now() - results_begin) / datetime.timedelta(microseconds=1)


def handler(req):
    income_timestamp = datetime.datetime.now().timestamp()
    request_id = (
        req.headers.get("X-Cloud-Trace-Context") or req.headers.get("Function-Execution-Id") or str(uuid.uuid4())
    )
    event = req.get_json(force=True, silent=True)
    if not isinstance(event, dict):
        body = json.dumps({"error": "the body must be a JSON object (the event)", "request_id": request_id})
        return body, 400, {"Content-Type": "application/json"}
    event["request-id"] = request_id
    event["income-timestamp"] = income_timestamp

    begin = datetime.datetime.now()
    from function import function

    ret = function.handler(event)
    end = datetime.datetime.now()
    results_time = _store_log(event, ret, begin, end, request_id)

    is_cold, container_id = _cold_start()
    body = json.dumps(
        {
            "begin": _stamp(begin),
            "end": _stamp(end),
            "results_time": results_time,
            "is_cold": is_cold,
            "result": ret,
            "request_id": request_id,
            "cold_start_var": os.environ.get("cold_start", ""),  # noqa: SIM112 (SeBS's name)
            "container_id": container_id,
        },
        default=str,
    )
    return body, 200, {"Content-Type": "application/json"}
