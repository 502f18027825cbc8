"""Key-value tables on Amazon DynamoDB (boto3): faasforge's NoSQL helper for ``aws``.

The interface is SeBS's (``nosql.nosql.get_instance()``; ``insert``, ``get``, ``update``,
``query``, ``delete``), given by ``dynamodb.DynamoTables`` (wrappers/shared/dynamodb/, which the
local and openwhisk helpers take too); only the client differs.

Configuration: ``NOSQL_STORAGE_TABLE_<table>`` = the real table name for each table the benchmark
uses (as SeBS); the client is boto3's default (the function's role, ``AWS_REGION``;
``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL`` point it at another DynamoDB server).
"""

from __future__ import annotations

from typing import Any

from .dynamodb import DynamoTables


class nosql(DynamoTables):  # noqa: N801 (SeBS's name)
    def _connect(self) -> Any:
        import boto3

        return boto3.resource("dynamodb")
