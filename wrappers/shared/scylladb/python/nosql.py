"""Key-value tables over the DynamoDB API: faasforge's NoSQL helper for ``local`` and ``openwhisk``.

The interface is SeBS's (``nosql.nosql.get_instance()``; ``insert``, ``get``, ``update``,
``query``, ``delete``), given by ``dynamodb.DynamoTables`` (wrappers/shared/dynamodb/); this file
says where the DynamoDB API server is. Both platforms take it (their ``shared.txt`` names
``scylladb``).

Configuration, read from the environment on first use, exactly the variables SeBS's helpers read:

- ``NOSQL_STORAGE_TYPE`` = ``scylladb`` (ScyllaDB's Alternator, or any server of the DynamoDB API);
- ``NOSQL_STORAGE_ENDPOINT`` = ``host:port`` of that server (plain HTTP);
- ``NOSQL_STORAGE_TABLE_<table>`` = the real table name for each table the benchmark uses.
"""

from __future__ import annotations

import os
from typing import Any

from .dynamodb import DynamoTables

SUPPORTED_TYPES = ("scylladb",)


def _resource() -> Any:
    kind = os.environ.get("NOSQL_STORAGE_TYPE", "")
    endpoint = os.environ.get("NOSQL_STORAGE_ENDPOINT", "").strip()
    if kind not in SUPPORTED_TYPES:
        raise RuntimeError(
            f"nosql: unsupported NOSQL_STORAGE_TYPE {kind!r}; allowed: {', '.join(SUPPORTED_TYPES)}"
        )
    if not endpoint:
        raise RuntimeError("nosql: set NOSQL_STORAGE_ENDPOINT to the DynamoDB API server (host:port)")
    import boto3
    from botocore.config import Config

    if "://" not in endpoint:
        endpoint = f"http://{endpoint}"
    # Alternator and test servers ignore credentials, but botocore needs some to sign requests.
    return boto3.resource(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or "none",
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "none",
        config=Config(connect_timeout=5, retries={"max_attempts": 2}),
    )


class nosql(DynamoTables):  # noqa: N801 (SeBS's name)
    def _connect(self) -> Any:
        return _resource()
