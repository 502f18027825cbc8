"""Object storage for the ``local`` platform: buckets are folders under one directory.

Same interface as SeBS's storage wrappers (``storage.get_instance()``, ``upload``, ``download``,
``upload_stream``, ``download_stream``, ``list_directory``, ``download_directory``), so benchmarks
doing ``from . import storage`` run unchanged. The root is ``$FAASFORGE_STORAGE_DIR``
(default ``/tmp/storage``); bucket ``b`` and key ``k`` live at ``{root}/{b}/{k}``.
"""

from __future__ import annotations

import io
import os
import shutil
import uuid
from collections.abc import Iterator


class storage:  # noqa: N801 (SeBS's name)
    instance: storage | None = None

    def __init__(self, root: str | None = None) -> None:
        self.root = os.path.abspath(root or os.environ.get("FAASFORGE_STORAGE_DIR", "/tmp/storage"))

    @staticmethod
    def unique_name(name: str) -> str:
        base, extension = os.path.splitext(name)
        return f"{base}.{uuid.uuid4().hex[:8]}{extension}"

    def _path(self, bucket: str, key: str = "") -> str:
        bucket_dir = os.path.abspath(os.path.join(self.root, bucket))
        path = os.path.abspath(os.path.join(bucket_dir, key)) if key else bucket_dir
        if os.path.commonpath([self.root, bucket_dir]) != self.root or bucket_dir == self.root:
            raise ValueError(f"invalid bucket name {bucket!r}")
        if os.path.commonpath([bucket_dir, path]) != bucket_dir:
            raise ValueError(f"key {key!r} escapes bucket {bucket!r}")
        return path

    def upload(self, bucket: str, file: str, filepath: str) -> str:
        """Copy local ``filepath`` into the bucket under a unique name derived from ``file``."""
        key = storage.unique_name(file)
        dest = self._path(bucket, key)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(filepath, dest)
        return key

    def download(self, bucket: str, file: str, filepath: str) -> None:
        parent = os.path.dirname(os.path.abspath(filepath))
        os.makedirs(parent, exist_ok=True)
        shutil.copyfile(self._path(bucket, file), filepath)

    def download_directory(self, bucket: str, prefix: str, path: str) -> None:
        for key in self.list_directory(bucket, prefix):
            self.download(bucket, key, os.path.join(path, key))

    def upload_stream(self, bucket: str, file: str, data: bytes | bytearray | io.IOBase) -> str:
        """Store ``data`` (bytes or a binary file object such as BytesIO) under a unique name."""
        key = storage.unique_name(file)
        dest = self._path(bucket, key)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if isinstance(data, (bytes, bytearray)):
            payload = bytes(data)
        elif isinstance(data, io.BytesIO):
            payload = data.getvalue()
        else:
            payload = data.read()
        with open(dest, "wb") as handle:
            handle.write(payload)
        return key

    def download_stream(self, bucket: str, file: str) -> bytes:
        with open(self._path(bucket, file), "rb") as handle:
            return handle.read()

    def list_directory(self, bucket: str, prefix: str = "") -> Iterator[str]:
        bucket_dir = self._path(bucket)
        if not os.path.isdir(bucket_dir):
            return
        for current, _dirs, files in sorted(os.walk(bucket_dir)):
            for name in sorted(files):
                key = os.path.relpath(os.path.join(current, name), bucket_dir).replace(os.sep, "/")
                if key.startswith(prefix):
                    yield key

    @staticmethod
    def get_instance() -> storage:
        if storage.instance is None:
            storage.instance = storage()
        return storage.instance
