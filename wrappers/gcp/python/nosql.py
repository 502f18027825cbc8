"""Key-value tables on Google Cloud Datastore (Firestore in Datastore mode): the ``gcp`` NoSQL helper.

The interface is SeBS's (``nosql.nosql.get_instance(database)``; ``insert``, ``get``, ``update``,
``query``, ``delete``), with keys as ``(attribute, value)`` pairs. As SeBS maps them: the table is
the entity kind, the secondary key's value is the entity's name, and the primary key is its
parent (kind = the primary key's attribute, name = its value), so ``query`` is an ancestor query.
``get`` and ``query`` put the key attributes back into the items they return.

Configuration: the database id is ``get_instance``'s argument, else ``NOSQL_STORAGE_DATABASE``
(SeBS's handler passes that variable); credentials and project are the client library's own;
``DATASTORE_EMULATOR_HOST`` points it at an emulator.
"""

from __future__ import annotations

import os
from typing import Any

Key = tuple[str, Any]


class nosql:  # noqa: N801 (SeBS's name)
    instance: nosql | None = None

    def __init__(self, database: str | None = None) -> None:
        self.database = database or os.environ.get("NOSQL_STORAGE_DATABASE") or None
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from google.cloud import datastore

            self._client = datastore.Client(database=self.database)
        return self._client

    def _entity_key(self, table_name: str, primary_key: Key, secondary_key: Key) -> Any:
        return self.client.key(primary_key[0], primary_key[1], table_name, secondary_key[1])

    def insert(self, table_name: str, primary_key: Key, secondary_key: Key, data: dict[str, Any]) -> None:
        from google.cloud import datastore

        entity = datastore.Entity(key=self._entity_key(table_name, primary_key, secondary_key))
        entity.update(data)
        self.client.put(entity)

    def get(self, table_name: str, primary_key: Key, secondary_key: Key) -> dict[str, Any] | None:
        entity = self.client.get(self._entity_key(table_name, primary_key, secondary_key))
        if entity is None:
            return None
        item = dict(entity)
        item[primary_key[0]] = primary_key[1]
        item[secondary_key[0]] = secondary_key[1]
        return item

    def update(self, table_name: str, primary_key: Key, secondary_key: Key, updates: dict[str, Any]) -> None:
        """Set the given properties of one entity (created when missing), leaving the others."""
        from google.cloud import datastore

        key = self._entity_key(table_name, primary_key, secondary_key)
        with self.client.transaction():
            entity = self.client.get(key) or datastore.Entity(key=key)
            entity.update(updates)
            self.client.put(entity)

    def query(self, table_name: str, primary_key: Key, secondary_key_name: str) -> list[dict[str, Any]]:
        """Every entity of the table under this primary key."""
        ancestor = self.client.key(primary_key[0], primary_key[1])
        items = []
        for entity in self.client.query(kind=table_name, ancestor=ancestor).fetch():
            item = dict(entity)
            item[primary_key[0]] = primary_key[1]
            item[secondary_key_name] = entity.key.name
            items.append(item)
        return items

    def delete(self, table_name: str, primary_key: Key, secondary_key: Key) -> None:
        self.client.delete(self._entity_key(table_name, primary_key, secondary_key))

    @staticmethod
    def get_instance(database: str | None = None) -> nosql:
        if nosql.instance is None:
            nosql.instance = nosql(database)
        return nosql.instance
