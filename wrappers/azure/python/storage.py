"""Object storage on Azure Blob Storage: faasforge's storage helper for ``azure``.

The interface is SeBS's: ``storage.storage.get_instance()``; ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream`` and the static ``unique_name``
(``dir/name.ext`` → ``dir/name.<8 hex>.ext``; uploads store blobs under such a name and return it).
Buckets are blob containers.

Configuration: the connection string is ``get_instance``'s argument, else
``STORAGE_CONNECTION_STRING`` (the variable SeBS's handler passes; Azurite's connection string
works too).
"""

from __future__ import annotations

import io
import os
import uuid
from typing import Any


class storage:  # noqa: N801 (SeBS's name)
    instance: storage | None = None

    def __init__(self, connection_string: str | None = None) -> None:
        self._connection_string = connection_string
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from azure.storage.blob import BlobServiceClient

            connection_string = self._connection_string or os.environ.get("STORAGE_CONNECTION_STRING")
            if not connection_string:
                raise RuntimeError("storage: set STORAGE_CONNECTION_STRING to the storage account's connection string")
            self._client = BlobServiceClient.from_connection_string(connection_string)
        return self._client

    @staticmethod
    def unique_name(name: str) -> str:
        base, extension = os.path.splitext(name)
        return f"{base}.{uuid.uuid4().hex[:8]}{extension}"

    def upload(self, container: str, file: str, filepath: str) -> str:
        """Store the local file ``filepath`` under a unique name made from ``file``; return that name."""
        with open(filepath, "rb") as handle:
            return self.upload_stream(container, file, handle)

    def download(self, container: str, file: str, filepath: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
        downloader = self.client.get_blob_client(container=container, blob=file).download_blob()
        with open(filepath, "wb") as handle:
            downloader.readinto(handle)

    def download_directory(self, container: str, prefix: str, path: str) -> None:
        """Download every blob whose name starts with ``prefix`` to ``path/<name>``."""
        for blob in self.client.get_container_client(container).list_blobs(name_starts_with=prefix):
            self.download(container, blob.name, os.path.join(path, blob.name))

    def upload_stream(self, container: str, file: str, data: Any) -> str:
        """Store ``data`` (bytes, a BytesIO or any binary file object) under a unique name."""
        key = storage.unique_name(file)
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if isinstance(data, io.BytesIO):
            data.seek(0)
        self.client.get_blob_client(container=container, blob=key).upload_blob(data)
        return key

    def download_stream(self, container: str, file: str) -> bytes:
        return bytes(self.client.get_blob_client(container=container, blob=file).download_blob().readall())

    @staticmethod
    def get_instance(connection_string: str | None = None) -> storage:
        if storage.instance is None:
            storage.instance = storage(connection_string)
        return storage.instance
