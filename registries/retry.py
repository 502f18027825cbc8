"""Retry with back-off for registry API calls; after the last attempt, RegistryUnreachable.

Each adapter says which of its SDK's exceptions are transient (connection refused or reset,
timeouts, HTTP 429/5xx); everything else propagates at once for the adapter to translate.
The SDKs' own retries are turned off, so this is the one place that waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from faasforge.registries.config import RetryPolicy

from faasforge.errors import RegistryUnreachable

__all__ = ["Transient", "call_with_retries"]

log = logging.getLogger("faasforge.registries")
T = TypeVar("T")
Transient = Callable[[BaseException], "str | None"]  # a short reason when worth retrying, else None


def call_with_retries(
    call: Callable[[], T],
    *,
    what: str,
    transient: Transient,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, retried on transient failures with doubling back-off.

    ``what`` names the endpoint in messages (``"ECR API at https://..."``); the reason is an
    exception type or HTTP status, never a message body, so no credential can leak through it.
    """
    delay = policy.backoff_seconds
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as exc:
            reason = transient(exc)
            if reason is None:
                raise
            if attempt >= policy.attempts:
                raise RegistryUnreachable(
                    f"{what} did not answer after {policy.attempts} attempt"
                    f"{'s' if policy.attempts != 1 else ''} ({reason})"
                ) from None
            log.warning(
                "%s did not answer (%s); attempt %d of %d, retrying in %.2fs",
                what, reason, attempt, policy.attempts, delay,
            )
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
