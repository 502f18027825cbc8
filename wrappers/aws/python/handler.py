"""faasforge wrapper for AWS Lambda (container image), Python.

The image's runtime interface client calls ``handler.handler(event, context)`` (CMD
``handler.handler``, task root /var/task). A direct invoke passes the benchmark's input as the
event; an HTTP trigger (API Gateway, function URL) carries it as a JSON ``body``. The reply has
SeBS's shape: ``{"statusCode": 200, "body": json.dumps({begin, end, results_time, is_cold,
result, request_id, cold_start_var, container_id})}``; ``result`` is the function's return.
"""

import base64
import datetime
import io
import json
import os
import uuid

_COLD_MARKER = os.path.join("/tmp", "cold_run")


def _stamp(moment):
    """SeBS's ``strftime("%s.%f")``: epoch seconds, a dot, six digits of microseconds."""
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


def _event_input(event):
    if isinstance(event, dict) and "body" in event:
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        return json.loads(body) if body.strip() else {}
    return event if isinstance(event, dict) else {"input": event}


def _cold_start():
    """True on the first call in this execution environment; plus a stable container id."""
    if not os.path.exists(_COLD_MARKER):
        container_id = str(uuid.uuid4())[0:8]
        with open(_COLD_MARKER, "a") as handle:
            handle.write(container_id)
        return True, container_id
    with open(_COLD_MARKER) as handle:
        return False, handle.read()


def _store_log(event, log_data, begin, end, request_id):
    """SeBS's ``logs`` option: the result also goes to ``event["logs"]["bucket"]``; returns µs spent."""
    if "logs" not in event:
        return 0
    log_data["time"] = (end - begin) / datetime.timedelta(microseconds=1)
    results_begin = datetime.datetime.now()
    from function import storage

    storage.storage.get_instance().upload_stream(
        event["logs"]["bucket"], f"{request_id}.json", io.BytesIO(json.dumps(log_data).encode("utf-8"))
    )
    return (datetime.datetime.now() - results_begin) / datetime.timedelta(microseconds=1)


def handler(event, context):
    income_timestamp = datetime.datetime.now().timestamp()
    event = _event_input(event)
    request_id = context.aws_request_id
    event["request-id"] = request_id
    event["income-timestamp"] = income_timestamp

    begin = datetime.datetime.now()
    from function import function

    ret = function.handler(event)
    end = datetime.datetime.now()
    results_time = _store_log(event, ret, begin, end, request_id)

    is_cold, container_id = _cold_start()
    return {
        "statusCode": 200,
        "body": json.dumps(
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
        ),
    }
