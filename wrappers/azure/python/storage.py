"""Object storage on Azure Blob Storage: faasforge's storage helper for ``azure``.

The interface is SeBS's (``storage.storage.get_instance()``; ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream``, ``unique_name``), given by
``storage_base.ObjectStorage`` (wrappers/shared/object-storage/); this file holds Blob Storage's
calls. Buckets are blob containers.

Configuration: the connection string is ``get_instance``'s argument, else
``STORAGE_CONNECTION_STRING`` (the variable SeBS's handler passes; Azurite's connection string
works too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from .storage_base import ObjectStorage


class storage(ObjectStorage):  # noqa: N801 (SeBS's name)
    def __init__(self, connection_string: str | None = None) -> None:
        super().__init__()
        self._connection_string = connection_string

    def _connect(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        connection_string = self._connection_string or os.environ.get("STORAGE_CONNECTION_STRING")
        if not connection_string:
            raise RuntimeError("storage: set STORAGE_CONNECTION_STRING to the storage account's connection string")
        return BlobServiceClient.from_connection_string(connection_string)

    def _blob(self, container: str, name: str) -> Any:
        return self.client.get_blob_client(container=container, blob=name)

    def _put_file(self, container: str, key: str, filepath: str) -> None:
        with open(filepath, "rb") as handle:
            self._put_stream(container, key, handle)

    def _get_file(self, container: str, key: str, filepath: str) -> None:
        downloader = self._blob(container, key).download_blob()
        with open(filepath, "wb") as handle:
            downloader.readinto(handle)

    def _keys(self, container: str, prefix: str) -> Iterator[str]:
        return (blob.name for blob in self.client.get_container_client(container).list_blobs(name_starts_with=prefix))

    def _put_stream(self, container: str, key: str, data: Any) -> None:
        self._blob(container, key).upload_blob(data)

    def download_stream(self, container: str, file: str) -> bytes:
        return bytes(self._blob(container, file).download_blob().readall())
