"""Object storage over the S3 API with MinIO's client: faasforge's helper for ``local`` and ``openwhisk``.

The interface is SeBS's, so a benchmark that does ``from . import storage`` and
``storage.storage.get_instance()`` runs unchanged: ``upload``, ``download``,
``download_directory``, ``upload_stream``, ``download_stream`` and the static ``unique_name``
(``dir/name.ext`` → ``dir/name.<8 hex>.ext``; uploads store objects under such a name and return it).

Configuration, read from the environment on first use (plain HTTP, as SeBS's helpers):

- ``local``: ``MINIO_ADDRESS`` (``host:port``), ``MINIO_ACCESS_KEY``, ``MINIO_SECRET_KEY``;
- ``openwhisk``: ``MINIO_STORAGE_CONNECTION_URL``, ``MINIO_STORAGE_ACCESS_KEY``,
  ``MINIO_STORAGE_SECRET_KEY`` (SeBS passes them as activation parameters that the action's entry
  moves into the environment).

The same file ships for both platforms; the first set present wins.
"""

from __future__ import annotations

import io
import os
import uuid
from typing import Any

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


class storage:  # noqa: N801 (SeBS's name)
    instance: storage | None = None

    def __init__(self) -> None:
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import minio

            address, access_key, secret_key, secure = _settings()
            self._client = minio.Minio(address, access_key=access_key, secret_key=secret_key, secure=secure)
        return self._client

    @staticmethod
    def unique_name(name: str) -> str:
        base, extension = os.path.splitext(name)
        return f"{base}.{uuid.uuid4().hex[:8]}{extension}"

    def upload(self, bucket: str, file: str, filepath: str) -> str:
        """Store the local file ``filepath`` under a unique name made from ``file``; return that name."""
        key = storage.unique_name(file)
        self.client.fput_object(bucket, key, filepath)
        return key

    def download(self, bucket: str, file: str, filepath: str) -> None:
        parent = os.path.dirname(os.path.abspath(filepath))
        os.makedirs(parent, exist_ok=True)
        self.client.fget_object(bucket, file, filepath)

    def download_directory(self, bucket: str, prefix: str, path: str) -> None:
        """Download every object whose key starts with ``prefix`` to ``path/<key>``."""
        for obj in self.client.list_objects(bucket, prefix=prefix, recursive=True):
            if obj.is_dir:
                continue
            self.download(bucket, obj.object_name, os.path.join(path, obj.object_name))

    def upload_stream(self, bucket: str, file: str, data: Any) -> str:
        """Store ``data`` (bytes, a BytesIO or any binary file object) under a unique name."""
        key = storage.unique_name(file)
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(data))
        if isinstance(data, io.BytesIO):
            data.seek(0)
            self.client.put_object(bucket, key, data, data.getbuffer().nbytes)
        else:
            self.client.put_object(bucket, key, data, -1, part_size=PART_SIZE)
        return key

    def download_stream(self, bucket: str, file: str) -> bytes:
        response = self.client.get_object(bucket, file)
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    @staticmethod
    def get_instance() -> storage:
        if storage.instance is None:
            storage.instance = storage()
        return storage.instance
