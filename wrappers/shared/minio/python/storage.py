"""Object storage over the S3 API with MinIO's client: faasforge's helper for ``local`` and ``openwhisk``.

The interface is SeBS's, so a benchmark that does ``from . import storage`` and
``storage.storage.get_instance()`` runs unchanged: ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream`` and the static ``unique_name``
(``dir/name.ext`` → ``dir/name.<8 hex>.ext``; uploads store objects under such a name and return it),
given by ``storage_base.ObjectStorage`` (wrappers/shared/object-storage/); this file holds MinIO's calls.

Configuration, read from the environment on first use (plain HTTP, as SeBS's helpers):

- ``local``: ``MINIO_ADDRESS`` (``host:port``), ``MINIO_ACCESS_KEY``, ``MINIO_SECRET_KEY``;
- ``openwhisk``: ``MINIO_STORAGE_CONNECTION_URL``, ``MINIO_STORAGE_ACCESS_KEY``,
  ``MINIO_STORAGE_SECRET_KEY`` (SeBS passes them as activation parameters that the action's entry
  moves into the environment).

Both platforms take this file (their ``shared.txt`` names ``minio``); the first set present wins.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

from .storage_base import ObjectStorage

ENVIRONMENTS = (
    ("MINIO_ADDRESS", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY"),
    ("MINIO_STORAGE_CONNECTION_URL", "MINIO_STORAGE_ACCESS_KEY", "MINIO_STORAGE_SECRET_KEY"),
)
PART_SIZE = 10 * 1024 * 1024  # multipart chunks for streams of unknown length


def _settings() -> tuple[str, str | None, str | None, bool]:
    for address_name, access_name, secret_name in ENVIRONMENTS:
        address = os.environ.get(address_name, "").strip()
        if address:
            secure = address.startswith("https://")
            for scheme in ("http://", "https://"):
                if address.startswith(scheme):
                    address = address[len(scheme):]
            return address.rstrip("/"), os.environ.get(access_name), os.environ.get(secret_name), secure
    wanted = " or ".join("/".join(names) for names in ENVIRONMENTS)
    raise RuntimeError(f"storage: no object storage configured; set {wanted} (address as host:port)")


class storage(ObjectStorage):  # noqa: N801 (SeBS's name)
    def _connect(self) -> Any:
        import minio

        address, access_key, secret_key, secure = _settings()
        return minio.Minio(address, access_key=access_key, secret_key=secret_key, secure=secure)

    def _put_file(self, bucket: str, key: str, filepath: str) -> None:
        self.client.fput_object(bucket, key, filepath)

    def _get_file(self, bucket: str, key: str, filepath: str) -> None:
        self.client.fget_object(bucket, key, filepath)

    def _keys(self, bucket: str, prefix: str) -> Iterator[str]:
        for obj in self.client.list_objects(bucket, prefix=prefix, recursive=True):
            if not obj.is_dir:
                yield obj.object_name

    def _put_stream(self, bucket: str, key: str, data: Any) -> None:
        if isinstance(data, io.BytesIO):
            self.client.put_object(bucket, key, data, data.getbuffer().nbytes)
        else:
            self.client.put_object(bucket, key, data, -1, part_size=PART_SIZE)

    def download_stream(self, bucket: str, file: str) -> bytes:
        response = self.client.get_object(bucket, file)
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()
