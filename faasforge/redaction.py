"""Blank what may be a credential in text that faasforge shows: error messages, the log tail of
a failed build, the one line of an unexpected error.

Every ``FaasforgeError`` message passes through ``mask_secrets``, so a value quoted back to the
user (a URL with ``user:password@``, a ``?token=`` query, an ``Authorization`` header, a token
pasted where a name belongs) is never echoed. Inputs that should never hold a secret are also
refused where they are parsed (``registries.oci.parse_registry``, the ``*_env`` keys of the
registries config), with a line that says where credentials go.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "has_userinfo", "mask_secrets"]

MASK = "***"
_KEYS = (
    r"password|passwd|pwd|secret|token|access_token|refresh_token|id_token|api_key|apikey|"
    r"client_secret|sig|signature|x-amz-signature|x-amz-security-token|x-goog-signature"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host  ->  scheme://user:***@host
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"]*:)[^/\s@'\"]+@"), rf"\g<1>{MASK}@"),
    # user:password@host[:port] without a scheme (a registry address, say)
    (re.compile(r"(?<![\w/:@.-])([\w.%+-]+:)[^\s/@'\"]+@(?=[A-Za-z0-9.-]+(?::\d+)?(?:[/\s'\"]|$))"), rf"\g<1>{MASK}@"),
    # ?token=..., password=..., "secret": "..." (query strings, env-style and JSON-style pairs)
    (re.compile(rf"""((?<![A-Za-z0-9])(?:{_KEYS})["']?\s*[:=]\s*["']?)[^\s&"',;)]+""", re.IGNORECASE), rf"\g<1>{MASK}"),
    # Authorization: Bearer / Basic credentials
    (re.compile(r"(\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{6,}"), rf"\g<1>{MASK}"),
    # JWTs and well-known token shapes (GitHub, npm, PyPI, Google OAuth, AWS access key ids)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|npm_[A-Za-z0-9]{20,}|"
                r"pypi-[A-Za-z0-9_-]{20,}|ya29\.[A-Za-z0-9._-]{20,}|(?:AKIA|ASIA)[0-9A-Z]{16})\b"), MASK),
)
_USERINFO = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?[^/@\s]*@")


def mask_secrets(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``***``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def has_userinfo(address: str) -> bool:
    """Whether an address (``[scheme://]user[:password]@host...``) carries credentials."""
    return bool(_USERINFO.match(address.strip()))
