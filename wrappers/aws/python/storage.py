"""Object storage on Amazon S3 (boto3): faasforge's storage helper for ``aws``.

The interface is SeBS's: ``storage.storage.get_instance()``; ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream`` and the static ``unique_name``
(``dir/name.ext`` → ``dir/name.<8 hex>.ext``; uploads store objects under such a name and return it).

Configuration is boto3's own: the function's role (``AWS_ACCESS_KEY_ID`` ... in Lambda),
``AWS_REGION``; ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` point it at another S3 server.
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
            import boto3

            self._client = boto3.client("s3")
        return self._client

    @staticmethod
    def unique_name(name: str) -> str:
        base, extension = os.path.splitext(name)
        return f"{base}.{uuid.uuid4().hex[:8]}{extension}"

    def upload(self, bucket: str, file: str, filepath: str) -> str:
        """Store the local file ``filepath`` under a unique name made from ``file``; return that name."""
        key = storage.unique_name(file)
        self.client.upload_file(filepath, bucket, key)
        return key

    def download(self, bucket: str, file: str, filepath: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
        self.client.download_file(bucket, file, filepath)

    def download_directory(self, bucket: str, prefix: str, path: str) -> None:
        """Download every object whose key starts with ``prefix`` to ``path/<key>``."""
        found = False
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/"):
                    continue
                found = True
                self.download(bucket, obj["Key"], os.path.join(path, obj["Key"]))
        if not found:
            raise RuntimeError(f"storage: no objects in bucket {bucket!r} under prefix {prefix!r}")

    def upload_stream(self, bucket: str, file: str, data: Any) -> str:
        """Store ``data`` (bytes, a BytesIO or any binary file object) under a unique name."""
        key = storage.unique_name(file)
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(data))
        if isinstance(data, io.BytesIO):
            data.seek(0)
        self.client.upload_fileobj(data, bucket, key)
        return key

    def download_stream(self, bucket: str, file: str) -> bytes:
        buffer = io.BytesIO()
        self.client.download_fileobj(bucket, file, buffer)
        return buffer.getvalue()

    @staticmethod
    def get_instance() -> storage:
        if storage.instance is None:
            storage.instance = storage()
        return storage.instance
