"""faasforge wrapper for Google Cloud Run (container image), Python.

A functions-framework function, as SeBS's: ``handler(req)`` takes the Flask request that
functions-framework (served by gunicorn on ``$PORT``) hands over, reads the JSON event, runs
``function.handler(event)`` and answers SeBS's measurement record: ``{begin, end, results_time,
is_cold, result, request_id, cold_start_var, container_id}``; ``result`` is the function's return.
What the handlers share is ``function/handler_support.py`` (wrappers/shared/handler/).
"""

import datetime
import json
import os
import uuid

from function import handler_support

if "NOSQL_STORAGE_DATABASE" in os.environ:  # set by the deployment, as SeBS's
    from function import nosql

    nosql.nosql.get_instance(os.environ["NOSQL_STORAGE_DATABASE"])

JSON = {"Content-Type": "application/json"}


def handler(req):
    income_timestamp = datetime.datetime.now().timestamp()
    request_id = (
        req.headers.get("X-Cloud-Trace-Context") or req.headers.get("Function-Execution-Id") or str(uuid.uuid4())
    )
    event = req.get_json(force=True, silent=True)
    if not isinstance(event, dict):
        return json.dumps({"error": "the body must be a JSON object (the event)", "request_id": request_id}), 400, JSON
    run = handler_support.invoke(event, request_id, income_timestamp)
    return handler_support.sebs_record(run, request_id), 200, JSON
