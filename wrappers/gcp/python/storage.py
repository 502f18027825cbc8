"""Object storage on Google Cloud Storage: faasforge's storage helper for ``gcp``.

The interface is SeBS's: ``storage.storage.get_instance()``; ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream`` and the static ``unique_name``
(``dir/name.ext`` → ``dir/name.<8 hex>.ext``; uploads store objects under such a name and return it).

Configuration is the client library's own: the service's credentials (application default
credentials) and project; ``STORAGE_EMULATOR_HOST`` points it at an emulator.
"""

from __future__ import annotations

import io
import os
import uuid
from typing import Any


class storage:  # noqa: N801 (SeBS's name)
    instance: storage | None = None

    def __init__(self) -> None:
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from google.cloud import storage as gcs

            self._client = gcs.Client()
        return self._client

    def _blob(self, bucket: str, name: str) -> Any:
        return self.client.bucket(bucket).blob(name)

    @staticmethod
    def unique_name(name: str) -> str:
        base, extension = os.path.splitext(name)
        return f"{base}.{uuid.uuid4().hex[:8]}{extension}"

    def upload(self, bucket: str, file: str, filepath: str) -> str:
        """Store the local file ``filepath`` under a unique name made from ``file``; return that name."""
        key = storage.unique_name(file)
        self._blob(bucket, key).upload_from_filename(filepath)
        return key

    def download(self, bucket: str, file: str, filepath: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
        self._blob(bucket, file).download_to_filename(filepath)

    def download_directory(self, bucket: str, prefix: str, path: str) -> None:
        """Download every object whose name starts with ``prefix`` to ``path/<name>``."""
        for blob in self.client.list_blobs(bucket, prefix=prefix):
            if blob.name.endswith("/"):
                continue
            self.download(bucket, blob.name, os.path.join(path, blob.name))

    def upload_stream(self, bucket: str, file: str, data: Any) -> str:
        """Store ``data`` (bytes, a BytesIO or any binary file object) under a unique name."""
        key = storage.unique_name(file)
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(data))
        if isinstance(data, io.BytesIO):
            data.seek(0)
        self._blob(bucket, key).upload_from_file(data)
        return key

    def download_stream(self, bucket: str, file: str) -> bytes:
        return bytes(self._blob(bucket, file).download_as_bytes())

    @staticmethod
    def get_instance() -> storage:
        if storage.instance is None:
            storage.instance = storage()
        return storage.instance
