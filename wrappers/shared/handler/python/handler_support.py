"""What faasforge's aws, gcp and azure Python handlers share (staged beside ``function.py``).

Each handler turns its platform's request into the event and the request id, calls ``invoke``
and shapes the answer its platform expects from the ``Run`` it gets back: SeBS's measurement
record (``sebs_record``), or azure's own fields.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import os
import uuid
from typing import Any, NamedTuple

COLD_MARKER = os.path.join("/tmp", "cold_run")


class Run(NamedTuple):
    begin: datetime.datetime
    end: datetime.datetime
    results_time: float
    result: Any
    is_cold: bool
    container_id: str


def stamp(moment: datetime.datetime) -> str:
    """SeBS's ``strftime("%s.%f")``: epoch seconds, a dot, six digits of microseconds."""
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


def event_input(event: Any) -> dict:
    """The benchmark's input: an HTTP trigger's JSON ``body`` (maybe base64), else the event itself."""
    if isinstance(event, dict) and "body" in event:
        body = event.get("body") or ""
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body).decode("utf-8")
        return json.loads(body) if body.strip() else {}
    return event if isinstance(event, dict) else {"input": event}


def cold_start() -> tuple[bool, str]:
    """True on the first call in this execution environment; plus a stable container id."""
    if not os.path.exists(COLD_MARKER):
        container_id = str(uuid.uuid4())[0:8]
        with open(COLD_MARKER, "a") as handle:
            handle.write(container_id)
        return True, container_id
    with open(COLD_MARKER) as handle:
        return False, handle.read()


def store_log(event: dict, log_data: dict, begin: datetime.datetime, end: datetime.datetime, request_id: str) -> float:
    """SeBS's ``logs`` option: the result also goes to ``event["logs"]["bucket"]``; returns µs spent."""
    if "logs" not in event:
        return 0
    log_data["time"] = (end - begin) / datetime.timedelta(microseconds=1)
    results_begin = datetime.datetime.now()
    from . import storage

    storage.storage.get_instance().upload_stream(
        event["logs"]["bucket"], f"{request_id}.json", io.BytesIO(json.dumps(log_data).encode("utf-8"))
    )
    return (datetime.datetime.now() - results_begin) / datetime.timedelta(microseconds=1)


def invoke(event: dict, request_id: str, income_timestamp: float) -> Run:
    """Run the benchmark once on ``event`` (given SeBS's ``request-id`` and ``income-timestamp``)."""
    event["request-id"] = request_id
    event["income-timestamp"] = income_timestamp
    begin = datetime.datetime.now()
    from . import function

    ret = function.handler(event)
    end = datetime.datetime.now()
    results_time = store_log(event, ret, begin, end, request_id)
    is_cold, container_id = cold_start()
    return Run(begin, end, results_time, ret, is_cold, container_id)


def sebs_record(run: Run, request_id: str) -> str:
    """SeBS's record as JSON: ``{begin, end, results_time, is_cold, result, request_id,
    cold_start_var, container_id}``."""
    return json.dumps(
        {
            "begin": stamp(run.begin),
            "end": stamp(run.end),
            "results_time": run.results_time,
            "is_cold": run.is_cold,
            "result": run.result,
            "request_id": request_id,
            "cold_start_var": os.environ.get("cold_start", ""),  # noqa: SIM112 (SeBS's name)
            "container_id": run.container_id,
        },
        default=str,
    )
