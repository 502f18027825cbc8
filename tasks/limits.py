"""The server's global build limit: one slot of it around each build, across every process and
build host, named by ``$FAASFORGE_GLOBAL_BUILD_LIMIT`` (e.g. ``faasforge-docker-builds``, created
by ``scripts/prefect-stack.sh up`` or ``prefect gcl create NAME --limit 2``). Unset: no global
limit, which is what ephemeral mode needs (it has no such limits, and a strict acquire would fail
there).

The engine's slots of this process (``faasforge.locks.build_slots``) and the per-image lock
(``faasforge.locks.image_lock``) are taken by ``faasforge.runner``, before this.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from faasforge.errors import ConfigError, UsageError

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
def global_build_slot(logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> Iterator[None]:
    """Hold one slot of the global build limit for the block, when one is named."""
    name = global_limit_name()
    if name is None:
        yield
        return
    _require_server(name)
    from prefect.concurrency.sync import concurrency

    from faasforge.prefect_private import slot_acquisition_error

    started = time.monotonic()
    with ExitStack() as stack:
        try:
            stack.enter_context(concurrency(name, occupy=1, strict=True, raise_on_lease_renewal_failure=False))
        except slot_acquisition_error() as exc:
            raise ConfigError(
                f"global concurrency limit {name!r} cannot be used ({exc}); create it with "
                f"`prefect gcl create {name} --limit 2` or unset {GLOBAL_LIMIT_ENV}"
            ) from None
        logger.info("build slot of global limit %r acquired after %.1fs", name, time.monotonic() - started)
        yield
