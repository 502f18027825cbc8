"""Object storage on Google Cloud Storage: faasforge's storage helper for ``gcp``.

The interface is SeBS's (``storage.storage.get_instance()``; ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream``, ``unique_name``), given by
``storage_base.ObjectStorage`` (wrappers/shared/object-storage/); this file holds Cloud Storage's calls.

Configuration is the client library's own: the service's credentials (application default
credentials) and project; ``STORAGE_EMULATOR_HOST`` points it at an emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .storage_base import ObjectStorage


class storage(ObjectStorage):  # noqa: N801 (SeBS's name)
    def _connect(self) -> Any:
        from google.cloud import storage as gcs

        return gcs.Client()

    def _blob(self, bucket: str, name: str) -> Any:
        return self.client.bucket(bucket).blob(name)

    def _put_file(self, bucket: str, key: str, filepath: str) -> None:
        self._blob(bucket, key).upload_from_filename(filepath)

    def _get_file(self, bucket: str, key: str, filepath: str) -> None:
        self._blob(bucket, key).download_to_filename(filepath)

    def _keys(self, bucket: str, prefix: str) -> Iterator[str]:
        return (blob.name for blob in self.client.list_blobs(bucket, prefix=prefix))

    def _put_stream(self, bucket: str, key: str, data: Any) -> None:
        self._blob(bucket, key).upload_from_file(data)

    def download_stream(self, bucket: str, file: str) -> bytes:
        return bytes(self._blob(bucket, file).download_as_bytes())
