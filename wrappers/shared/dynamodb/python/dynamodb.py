"""SeBS's NoSQL interface over the DynamoDB API, once, for faasforge's nosql helpers (staged
beside ``nosql.py``).

A platform's ``nosql.py`` subclasses ``DynamoTables`` as SeBS's class name ``nosql`` and says
how the boto3 DynamoDB resource is made (``_connect``); this class gives SeBS's operations
``insert``, ``get``, ``update``, ``query`` and ``delete``, with keys as ``(attribute, value)``
pairs: the primary (partition) key and the secondary (sort) key. ``query`` returns every item of
one primary key. ``NOSQL_STORAGE_TABLE_<table>`` names the real table of each table the benchmark
uses (as SeBS). Numbers come back as ``int`` or ``float`` (never ``Decimal``); floats are stored
as decimals. The lazy client and ``get_instance`` come from ``helper_base.Helper``
(wrappers/shared/helpers/).
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

from .helper_base import Helper

Key = tuple[str, Any]


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


class DynamoTables(Helper):
    def __init__(self) -> None:
        super().__init__()
        self._tables: dict[str, Any] = {}

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
