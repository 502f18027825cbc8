"""SeBS's storage interface, once, for faasforge's storage helpers (staged beside ``storage.py``).

A platform's ``storage.py`` subclasses ``ObjectStorage`` as SeBS's class name ``storage`` and
supplies the client (``_connect``) and its calls (``_put_file``, ``_get_file``, ``_keys``,
``_put_stream``, ``download_stream``); this class gives the rest: ``unique_name``
(``dir/name.ext`` → ``dir/name.<8 hex>.ext``; uploads store objects under such a name and return
it), ``upload``, ``download``, ``download_directory`` and ``upload_stream``; the lazy client and
``get_instance`` come from ``helper_base.Helper`` (wrappers/shared/helpers/).
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterable
from typing import Any

from .helper_base import Helper


class ObjectStorage(Helper):
    def _put_file(self, bucket: str, key: str, filepath: str) -> None:
        raise NotImplementedError

    def _get_file(self, bucket: str, key: str, filepath: str) -> None:
        raise NotImplementedError

    def _keys(self, bucket: str, prefix: str) -> Iterable[str]:
        """Every key under ``prefix`` (folder markers ending in ``/`` are skipped by the caller)."""
        raise NotImplementedError

    def _put_stream(self, bucket: str, key: str, data: Any) -> None:
        """Store ``data``: a BytesIO at position 0, or any binary file object."""
        raise NotImplementedError

    @staticmethod
    def unique_name(name: str) -> str:
        base, extension = os.path.splitext(name)
        return f"{base}.{uuid.uuid4().hex[:8]}{extension}"

    def upload(self, bucket: str, file: str, filepath: str) -> str:
        """Store the local file ``filepath`` under a unique name made from ``file``; return that name."""
        key = self.unique_name(file)
        self._put_file(bucket, key, filepath)
        return key

    def download(self, bucket: str, file: str, filepath: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
        self._get_file(bucket, file, filepath)

    def download_directory(self, bucket: str, prefix: str, path: str) -> None:
        """Download every object whose key starts with ``prefix`` to ``path/<key>``."""
        for key in self._keys(bucket, prefix):
            if not key.endswith("/"):
                self.download(bucket, key, os.path.join(path, key))

    def upload_stream(self, bucket: str, file: str, data: Any) -> str:
        """Store ``data`` (bytes, a BytesIO or any binary file object) under a unique name."""
        key = self.unique_name(file)
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = io.BytesIO(bytes(data))
        if isinstance(data, io.BytesIO):
            data.seek(0)
        self._put_stream(bucket, key, data)
        return key
