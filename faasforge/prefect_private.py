"""What faasforge takes from Prefect that Prefect does not make public, all of it here.

Each piece is checked against the installed Prefect by tests/unit/test_prefect_private.py, and
pyproject.toml's Prefect range is the one those tests run against. Nothing else in faasforge
touches a private Prefect name.

- ``server_command(port)`` / ``server_environment()``: the command line and environment Prefect's
  ``SubprocessASGIServer`` starts its ephemeral API server with (``faasforge.localserver`` runs the
  same server without importing Prefect's server application).
- ``swap_global_settings(settings)``: ``prefect.context._temporary_global_settings_context``, so
  threads started without a context (plain ``threading.Thread``) see the same settings.
- ``slot_acquisition_error()``: the exception ``prefect.concurrency.sync.concurrency(...,
  strict=True)`` raises when a global concurrency limit does not exist
  (``prefect.concurrency._asyncio.ConcurrencySlotAcquisitionError``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["server_command", "server_environment", "slot_acquisition_error", "swap_global_settings"]


def server_command(port: int) -> list[str]:
    """``SubprocessASGIServer._run_uvicorn_command``'s arguments for ``port``."""
    import prefect

    return [
        sys.executable, "-m", "uvicorn",
        "--app-dir", str(Path(prefect.__file__).parent.parent),
        "--factory", "prefect.server.api.server:create_app",
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "error",
        "--lifespan", "on",
    ]


def server_environment() -> dict[str, str]:
    """The variables ``SubprocessASGIServer`` adds to the server's environment (UI off, ephemeral)."""
    return {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


@contextlib.contextmanager
def swap_global_settings(settings: Any) -> Iterator[None]:
    """Make ``settings`` (a ``prefect.settings.Settings``) the process-global settings for the block."""
    import prefect.context

    current = prefect.context.get_settings_context()
    context = prefect.context.SettingsContext(profile=current.profile, settings=settings)
    with prefect.context._temporary_global_settings_context(context):
        yield


def slot_acquisition_error() -> type[Exception]:
    """The exception a strict acquire of a missing global concurrency limit raises."""
    from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError

    return ConcurrencySlotAcquisitionError
