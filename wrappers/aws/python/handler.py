"""faasforge wrapper for AWS Lambda (container image), Python.

Lambda calls ``handler.handler(event, context)``. An API Gateway / function URL event carries the
benchmark's input as a JSON ``body`` (maybe base64); a direct invoke passes it as the event.
The answer follows SeBS: ``{"statusCode": 200, "body": "<json measurement record>"}``.
"""

import base64
import json
import os
import time
import uuid

_COLD_MARKER = os.path.join("/tmp", "cold_run")


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
        container_id = uuid.uuid4().hex[:8]
        with open(_COLD_MARKER, "w") as handle:
            handle.write(container_id)
        return True, container_id
    with open(_COLD_MARKER) as handle:
        return False, handle.read()


def handler(event, context):
    income_timestamp = time.time()
    request = _event_input(event)
    request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    request.setdefault("request-id", request_id)
    request.setdefault("income-timestamp", income_timestamp)

    begin = time.time()
    start = time.perf_counter()
    from function import function

    output = function.handler(request)
    compute_time = (time.perf_counter() - start) * 1e6
    end = time.time()

    is_cold, container_id = _cold_start()
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(
            {
                "begin": begin,
                "end": end,
                "compute_time": compute_time,
                "results_time": 0,
                "is_cold": is_cold,
                "result": {"output": output},
                "request_id": request_id,
                "container_id": container_id,
            },
            default=str,
        ),
    }
