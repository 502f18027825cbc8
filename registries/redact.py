"""Keep credentials out of the SDKs' own DEBUG logs.

faasforge never logs a credential itself. botocore, when someone turns its DEBUG logging on,
prints wire data: the ``GetAuthorizationToken`` response body (the ECR password), the
``X-Amz-Security-Token`` header, and STS/SSO replies holding secret keys. A filter on those
loggers blanks such values before any handler sees the record. (azure-core redacts headers and
query strings itself; google-auth logs no token values.)
"""

from __future__ import annotations

import logging
import re

__all__ = ["SDK_WIRE_LOGGERS", "RedactingFilter", "install_sdk_log_redaction", "redact"]

MASK = "***"
_SECRET_KEYS = (
    "authorizationToken|secretAccessKey|SecretAccessKey|sessionToken|SessionToken|"
    "accessToken|access_token|refresh_token|password|X-Amz-Security-Token"
)
_PATTERNS = (
    # JSON and Python reprs: "authorizationToken": "…", 'X-Amz-Security-Token': b'…'
    re.compile(rf"""(["']?(?:{_SECRET_KEYS})["']?\s*[:=]\s*b?["'])([^"']+)(["'])""", re.IGNORECASE),
    # XML replies of STS: <SecretAccessKey>…</SecretAccessKey>
    re.compile(r"(<(?:SecretAccessKey|SessionToken)>)([^<]+)(</(?:SecretAccessKey|SessionToken)>)"),
    # SigV4 canonical requests: x-amz-security-token:…
    re.compile(r"(x-amz-security-token:)(\S+)()", re.IGNORECASE),
)
SDK_WIRE_LOGGERS = (
    "botocore.parsers",
    "botocore.endpoint",
    "botocore.auth",
    "botocore.hooks",
    "botocore.credentials",
    "botocore.httpsession",
    "botocore.utils",
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets blanked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the handler's business
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install_sdk_log_redaction(names: tuple[str, ...] = SDK_WIRE_LOGGERS) -> None:
    """Attach the filter to the SDK loggers that print wire data (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
