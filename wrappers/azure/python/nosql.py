"""Key-value tables on Azure Cosmos DB (NoSQL API): faasforge's NoSQL helper for ``azure``.

The interface is SeBS's (``nosql.nosql.get_instance(database, url, credential)``; ``insert``,
``get``, ``update``, ``query``, ``delete``), with keys as ``(attribute, value)`` pairs. As SeBS maps
them: a table is a container partitioned by the primary key's attribute, the secondary key's value
is the item's ``id``. Items come back without Cosmos DB's own fields and with the secondary key
attribute restored.

Configuration: ``get_instance``'s arguments, else ``NOSQL_STORAGE_DATABASE``, ``NOSQL_STORAGE_URL``
and ``NOSQL_STORAGE_CREDS`` (the variables SeBS's handler passes: database, account endpoint, key).
"""

from __future__ import annotations

import os
from typing import Any

Key = tuple[str, Any]
SYSTEM_FIELDS = ("id", "_etag", "_rid", "_self", "_ts", "_attachments")


class nosql:  # noqa: N801 (SeBS's name)
    instance: nosql | None = None

    def __init__(self, url: str | None = None, credential: str | None = None, database: str | None = None) -> None:
        self._url = url or os.environ.get("NOSQL_STORAGE_URL")
        self._credential = credential or os.environ.get("NOSQL_STORAGE_CREDS")
        self._database = database or os.environ.get("NOSQL_STORAGE_DATABASE")
        self._db: Any = None
        self._containers: dict[str, Any] = {}

    @property
    def database(self) -> Any:
        if self._db is None:
            missing = [
                name
                for name, value in (
                    ("NOSQL_STORAGE_DATABASE", self._database),
                    ("NOSQL_STORAGE_URL", self._url),
                    ("NOSQL_STORAGE_CREDS", self._credential),
                )
                if not value
            ]
            if missing:
                raise RuntimeError(f"nosql: set {', '.join(missing)} (Cosmos DB database, endpoint and key)")
            from azure.cosmos import CosmosClient

            self._db = CosmosClient(url=self._url, credential=self._credential).get_database_client(self._database)
        return self._db

    def _container(self, table_name: str) -> Any:
        if table_name not in self._containers:
            self._containers[table_name] = self.database.get_container_client(table_name)
        return self._containers[table_name]

    @staticmethod
    def _plain(item: dict[str, Any], secondary_key_name: str) -> dict[str, Any]:
        result = {k: v for k, v in item.items() if k not in SYSTEM_FIELDS}
        result[secondary_key_name] = item["id"]
        return result

    def insert(self, table_name: str, primary_key: Key, secondary_key: Key, data: dict[str, Any]) -> None:
        data[primary_key[0]] = primary_key[1]
        data["id"] = secondary_key[1]  # Cosmos DB's item id
        self._container(table_name).upsert_item(data)

    def get(self, table_name: str, primary_key: Key, secondary_key: Key) -> dict[str, Any] | None:
        from azure.cosmos.exceptions import CosmosResourceNotFoundError

        try:
            item = self._container(table_name).read_item(item=secondary_key[1], partition_key=primary_key[1])
        except CosmosResourceNotFoundError:
            return None
        return self._plain(item, secondary_key[0])

    def update(self, table_name: str, primary_key: Key, secondary_key: Key, updates: dict[str, Any]) -> None:
        """Set the given attributes of one item, leaving the others (a patch; the item must exist)."""
        operations = [{"op": "set", "path": f"/{name}", "value": value} for name, value in updates.items()]
        self._container(table_name).patch_item(
            item=secondary_key[1], partition_key=primary_key[1], patch_operations=operations
        )

    def query(self, table_name: str, primary_key: Key, secondary_key_name: str) -> list[dict[str, Any]]:
        """Every item of this primary key (a single-partition query)."""
        attribute = primary_key[0]
        if not attribute.replace("_", "a").isalnum():
            raise ValueError(f"nosql: key attribute {attribute!r} must be letters, digits and underscores")
        items = self._container(table_name).query_items(
            query=f'SELECT * FROM c WHERE c["{attribute}"] = @value',
            parameters=[{"name": "@value", "value": primary_key[1]}],
            partition_key=primary_key[1],
        )
        return [self._plain(item, secondary_key_name) for item in items]

    def delete(self, table_name: str, primary_key: Key, secondary_key: Key) -> None:
        self._container(table_name).delete_item(item=secondary_key[1], partition_key=primary_key[1])

    @staticmethod
    def get_instance(database: str | None = None, url: str | None = None, credential: str | None = None) -> nosql:
        if nosql.instance is None:
            nosql.instance = nosql(url, credential, database)
        return nosql.instance
