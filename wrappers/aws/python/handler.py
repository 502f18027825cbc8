"""faasforge wrapper for AWS Lambda (container image), Python.

The image's runtime interface client calls ``handler.handler(event, context)`` (CMD
``handler.handler``, task root /var/task). A direct invoke passes the benchmark's input as the
event; an HTTP trigger (API Gateway, function URL) carries it as a JSON ``body``. The reply has
SeBS's shape: ``{"statusCode": 200, "body": json.dumps({begin, end, results_time, is_cold,
result, request_id, cold_start_var, container_id})}``; ``result`` is the function's return.
What the handlers share is ``function/handler_support.py`` (wrappers/shared/handler/).
"""

import datetime

from function import handler_support


def handler(event, context):
    income_timestamp = datetime.datetime.now().timestamp()
    event = handler_support.event_input(event)
    request_id = context.aws_request_id
    run = handler_support.invoke(event, request_id, income_timestamp)
    return {"statusCode": 200, "body": handler_support.sebs_record(run, request_id)}
