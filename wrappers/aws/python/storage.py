"""Object storage on Amazon S3 (boto3): faasforge's storage helper for ``aws``.

The interface is SeBS's (``storage.storage.get_instance()``; ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream``, ``unique_name``), given by
``storage_base.ObjectStorage`` (wrappers/shared/object-storage/); this file holds S3's calls.

Configuration is boto3's own: the function's role (``AWS_ACCESS_KEY_ID`` ... in Lambda),
``AWS_REGION``; ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` point it at another S3 server.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from .storage_base import ObjectStorage


class storage(ObjectStorage):  # noqa: N801 (SeBS's name)
    def _connect(self) -> Any:
        import boto3

        return boto3.client("s3")

    def _put_file(self, bucket: str, key: str, filepath: str) -> None:
        self.client.upload_file(filepath, bucket, key)

    def _get_file(self, bucket: str, key: str, filepath: str) -> None:
        self.client.download_file(bucket, key, filepath)

    def _keys(self, bucket: str, prefix: str) -> Iterator[str]:
        found = False
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                found = found or not obj["Key"].endswith("/")
                yield obj["Key"]
        if not found:
            raise RuntimeError(f"storage: no objects in bucket {bucket!r} under prefix {prefix!r}")

    def _put_stream(self, bucket: str, key: str, data: Any) -> None:
        self.client.upload_fileobj(data, bucket, key)

    def download_stream(self, bucket: str, file: str) -> bytes:
        buffer = io.BytesIO()
        self.client.download_fileobj(bucket, file, buffer)
        return buffer.getvalue()
