"""Key-value tables over the DynamoDB API: faasforge's NoSQL helper for ``local`` and ``openwhisk``.

The interface is SeBS's (``nosql.nosql.get_instance()``; ``insert``, ``get``, ``update``,
``query``, ``delete``), with keys as ``(attribute, value)`` pairs: the primary (partition) key and
the secondary (sort) key. ``query`` returns every item of one primary key.

Configuration, read from the environment on first use, exactly the variables SeBS's helpers read:

- ``NOSQL_STORAGE_TYPE`` = ``scylladb`` (ScyllaDB's Alternator, or any server of the DynamoDB API);
- ``NOSQL_STORAGE_ENDPOINT`` = ``host:port`` of that server (plain HTTP);
- ``NOSQL_STORAGE_TABLE_<table>`` = the real table name for each table the benchmark uses.

Numbers come back as ``int`` or ``float`` (never ``Decimal``); floats are stored as decimals.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

Key = tuple[str, Any]
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


def to_dynamo(value: Any) -> Any:
    """Python values as boto3 stores them: floats become Decimal (boto3 refuses float)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(v) for v in value]
    return value


def from_dynamo(value: Any) -> Any:
    """DynamoDB values as plain Python: Decimal becomes int when whole, else float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [from_dynamo(v) for v in value]
    if isinstance(value, set):
        return {from_dynamo(v) for v in value}
    return value


class nosql:  # noqa: N801 (SeBS's name)
    instance: nosql | None = None

    def __init__(self) -> None:
        self._client: Any = None
        self._tables: dict[str, Any] = {}

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _resource()
        return self._client

    def _table(self, table_name: str) -> Any:
        if table_name not in self._tables:
            variable = f"NOSQL_STORAGE_TABLE_{table_name}"
            real_name = os.environ.get(variable)
            if not real_name:
                raise RuntimeError(f"nosql: set {variable} to the name of table {table_name!r}")
            self._tables[table_name] = self.client.Table(real_name)
        return self._tables[table_name]

    @staticmethod
    def _key(primary_key: Key, secondary_key: Key) -> dict[str, Any]:
        return to_dynamo({primary_key[0]: primary_key[1], secondary_key[0]: secondary_key[1]})

    def insert(self, table_name: str, primary_key: Key, secondary_key: Key, data: dict[str, Any]) -> None:
        """Write ``data`` as the item of these keys (the key attributes are added to ``data``)."""
        data[primary_key[0]] = primary_key[1]
        data[secondary_key[0]] = secondary_key[1]
        self._table(table_name).put_item(Item=to_dynamo(data))

    def get(self, table_name: str, primary_key: Key, secondary_key: Key) -> dict[str, Any] | None:
        """The item of these keys, key attributes included; None when there is none."""
        answer = self._table(table_name).get_item(Key=self._key(primary_key, secondary_key))
        item = answer.get("Item")
        return None if item is None else from_dynamo(item)

    def update(self, table_name: str, primary_key: Key, secondary_key: Key, updates: dict[str, Any]) -> None:
        """Set the given attributes of one item (created when missing), leaving the others."""
        if not updates:
            return
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        assignments = []
        # Placeholders for names too: DynamoDB reserves words such as "status" and "name".
        for index, (attribute, value) in enumerate(updates.items()):
            names[f"#a{index}"] = attribute
            values[f":v{index}"] = to_dynamo(value)
            assignments.append(f"#a{index} = :v{index}")
        self._table(table_name).update_item(
            Key=self._key(primary_key, secondary_key),
            UpdateExpression="SET " + ", ".join(assignments),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def query(self, table_name: str, primary_key: Key, secondary_key_name: str) -> list[dict[str, Any]]:
        """Every item whose primary key is ``primary_key``, in sort-key order."""
        table = self._table(table_name)
        arguments: dict[str, Any] = {
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": primary_key[0]},
            "ExpressionAttributeValues": {":pk": to_dynamo(primary_key[1])},
        }
        items: list[dict[str, Any]] = []
        while True:
            page = table.query(**arguments)
            items.extend(from_dynamo(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete(self, table_name: str, primary_key: Key, secondary_key: Key) -> None:
        self._table(table_name).delete_item(Key=self._key(primary_key, secondary_key))

    @staticmethod
    def get_instance() -> nosql:
        if nosql.instance is None:
            nosql.instance = nosql()
        return nosql.instance
