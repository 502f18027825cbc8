"""Where a build waits for its turn.

1. ``faasforge.locks.engine_slots()``: builds per Docker engine inside this process.
2. With a Prefect server, a global concurrency limit shared by every process and build host,
   named by ``$FAASFORGE_GLOBAL_BUILD_LIMIT`` (e.g. ``faasforge-docker-builds``, created by
   ``scripts/prefect-stack.sh up`` or ``prefect gcl create NAME --limit 2``). Unset: no global
   limit, which is what ephemeral mode needs (it has no such limits, and a strict acquire would
   fail there).

The per-image lock (``faasforge.locks.image_lock``) is taken earlier, around check → record.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from faasforge.errors import ConfigError, UsageError
from faasforge.locks import engine_key, engine_slots

GLOBAL_LIMIT_ENV = "FAASFORGE_GLOBAL_BUILD_LIMIT"


def global_limit_name() -> str | None:
    """The global concurrency limit builds occupy, or None when none is configured."""
    name = os.environ.get(GLOBAL_LIMIT_ENV, "").strip()
    return name or None


def _require_server(name: str) -> None:
    from prefect.settings import PREFECT_API_URL

    from faasforge.localserver import is_local_server

    url = PREFECT_API_URL.value()
    if not url or is_local_server(url):  # the CLI's own server lives and dies with this process
        raise UsageError(
            f"{GLOBAL_LIMIT_ENV}={name} needs a Prefect server (set PREFECT_API_URL); "
            "ephemeral mode has no global concurrency limits"
        )


@contextmanager
def build_slot(logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> Iterator[None]:
    """Hold an engine slot of this process, then (with a server) a global build slot."""
    started = time.monotonic()
    with ExitStack() as stack:
        stack.enter_context(engine_slots().hold())
        name = global_limit_name()
        if name is not None:
            _require_server(name)
            from prefect.concurrency._asyncio import ConcurrencySlotAcquisitionError
            from prefect.concurrency.sync import concurrency

            try:
                stack.enter_context(
                    concurrency(name, occupy=1, strict=True, raise_on_lease_renewal_failure=False)
                )
            except ConcurrencySlotAcquisitionError as exc:
                raise ConfigError(
                    f"global concurrency limit {name!r} cannot be used ({exc}); create it with "
                    f"`prefect gcl create {name} --limit 2` or unset {GLOBAL_LIMIT_ENV}"
                ) from None
        where = f"engine {engine_key()}" + (f", global limit {name!r}" if name else "")
        logger.info("build slot acquired after %.1fs (%s)", time.monotonic() - started, where)
        yield
