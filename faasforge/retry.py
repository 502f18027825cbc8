"""The one retry policy: every registry API call and every push waits here, nowhere else.

Callers say which failures are transient (connection refused or reset, timeouts, HTTP 429/5xx,
a push stream's network error); everything else propagates at once for the caller to translate.
The cloud SDKs' own retries are turned off, and no Prefect task retries on top of this, so an
unreachable registry is tried ``attempts`` times in all (``[retry]`` in the registries config,
``FAASFORGE_RETRY_ATTEMPTS`` / ``FAASFORGE_RETRY_BACKOFF_SECONDS``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from faasforge.errors import RegistryUnreachable

__all__ = ["RetryPolicy", "Transient", "call_with_retries"]

log = logging.getLogger("faasforge.retry")
T = TypeVar("T")
Transient = Callable[[Exception], "str | None"]  # a short reason when worth retrying, else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often a registry call or push is tried on network failures, and the back-off between
    tries (doubling); ``timeout_seconds`` bounds each API request."""

    attempts: int = 4
    backoff_seconds: float = 0.5
    timeout_seconds: float = 10.0


def call_with_retries(
    call: Callable[[], T],
    *,
    what: str,
    transient: Transient,
    policy: RetryPolicy,
    exhausted: Callable[[int, str], str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, retried on transient failures with doubling back-off; after the last attempt,
    RegistryUnreachable.

    ``what`` names the endpoint in messages (``"ECR API at https://..."``). The reason must hold
    no credential: an exception type, an HTTP status, or a message the caller scrubbed.
    ``exhausted(attempts, reason)`` words the final error (default: "{what} did not answer after
    N attempts (reason)")."""
    delay = policy.backoff_seconds
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as exc:
            reason = transient(exc)
            if reason is None:
                raise
            if attempt >= policy.attempts:
                plural = "s" if policy.attempts != 1 else ""
                message = (
                    exhausted(policy.attempts, reason) if exhausted
                    else f"{what} did not answer after {policy.attempts} attempt{plural} ({reason})"
                )
                raise RegistryUnreachable(message) from None
            log.warning(
                "%s failed (%s); attempt %d of %d, retrying in %.2fs",
                what, reason, attempt, policy.attempts, delay,
            )
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
