"""faasforge's OpenWhisk action, Python, in SeBS's shape (its ``__main__.py``).

``main(args)`` adds ``request-id`` (the activation id) and ``income-timestamp``, moves the
``MINIO_STORAGE_*`` and ``NOSQL_STORAGE_*`` parameters into the environment, runs
``function.handler(args)`` and answers SeBS's record ``{begin, end, request_id, results_time,
is_cold, result: {"result": <the return's "result">[, "measurement"]}}``. The image's action
runtime (handler.py) runs it; on OpenWhisk it is also the code a ``wsk action create --docker``
zip carries, as SeBS deploys it.
"""

import datetime
import logging
import os

_COLD_MARKER = os.path.join("/tmp", "cold_run")
STORAGE_ARGS = ("MINIO_STORAGE_CONNECTION_URL", "MINIO_STORAGE_ACCESS_KEY", "MINIO_STORAGE_SECRET_KEY")


def _stamp(moment):
    """SeBS's ``strftime("%s.%f")``: epoch seconds, a dot, six digits of microseconds."""
    return f"{int(moment.timestamp())}.{moment.microsecond:06d}"


def main(args):
    logging.getLogger().setLevel(logging.INFO)
    begin = datetime.datetime.now()
    args["request-id"] = os.getenv("__OW_ACTIVATION_ID")
    args["income-timestamp"] = begin.timestamp()
    for arg in STORAGE_ARGS:
        if arg in args:
            os.environ[arg] = str(args.pop(arg))
    for arg in list(args):
        if "NOSQL_STORAGE_" in arg:
            os.environ[arg] = str(args.pop(arg))

    try:
        from function import function

        ret = function.handler(args)
        end = datetime.datetime.now()
        logging.info("Function result: %s", ret)
        log_data = {"result": ret["result"]}
        if "measurement" in ret:
            log_data["measurement"] = ret["measurement"]
        results_time = (end - begin) / datetime.timedelta(microseconds=1)

        is_cold = not os.path.exists(_COLD_MARKER)
        if is_cold:
            open(_COLD_MARKER, "a").close()
        return {
            "begin": _stamp(begin),
            "end": _stamp(end),
            "request_id": os.getenv("__OW_ACTIVATION_ID"),
            "results_time": results_time,
            "is_cold": is_cold,
            "result": log_data,
        }
    except Exception as exc:
        end = datetime.datetime.now()
        return {
            "begin": _stamp(begin),
            "end": _stamp(end),
            "request_id": os.getenv("__OW_ACTIVATION_ID"),
            "results_time": (end - begin) / datetime.timedelta(microseconds=1),
            "result": f"Error - invocation failed! Reason: {exc}",
        }
