"""What faasforge's storage and nosql helper bases share (staged beside ``storage.py``/``nosql.py``):
a client made on first use, and SeBS's ``get_instance()`` singleton per helper class."""

from __future__ import annotations

from typing import Any


class Helper:
    instance: Any = None

    def __init__(self) -> None:
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        """The SDK client (the platform's helper says how it is configured)."""
        raise NotImplementedError

    @classmethod
    def get_instance(cls, *args: Any) -> Any:
        """The one instance of this helper (SeBS's ``get_instance()``)."""
        if cls.instance is None:
            cls.instance = cls(*args)
        return cls.instance
