"""Image tags: content-addressed by default, SeBS's style on request."""

from __future__ import annotations

import re

from faasforge.errors import InvalidValue
from faasforge.model import ImageRequest

TAG_STYLES = ("hash", "sebs")
MAX_TAG_LENGTH = 128  # Docker's limit
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_REPOSITORY = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")


def make_tag(
    request: ImageRequest,
    content_hash: str,
    style: str = "hash",
    prefix: str | None = None,
    sebs_version: str = "unknown",
) -> str:
    """The image tag for ``request``.

    ``hash``: ``function.{platform}.{benchmark}.{language}-{version}-{arch}-{hash12}``, so a tag in
    the registry means exactly this content is published. ``sebs``: SeBS's
    ``function.{platform}.{benchmark}.{language}-{version}-{arch}[-{prefix}]-{sebs_version}``, where
    ``sebs_version`` is ``general.SeBS_version`` of the systems config in use (``unknown`` when it
    names none, as SeBS itself does).
    """
    base = (
        f"function.{request.platform}.{request.benchmark}."
        f"{request.language}-{request.version}-{request.architecture}"
    )
    if style == "hash":
        tag = f"{base}-{content_hash[:12]}"
    elif style == "sebs":
        tag = base + (f"-{prefix}" if prefix else "") + f"-{sebs_version}"
    else:
        raise InvalidValue("tag style", style, TAG_STYLES)
    return validate_tag(tag)


def validate_tag(tag: str) -> str:
    if len(tag) > MAX_TAG_LENGTH:
        raise InvalidValue(
            "image tag (too long)", tag, f"at most {MAX_TAG_LENGTH} characters, this one has {len(tag)}"
        )
    if not _TAG.match(tag):
        raise InvalidValue("image tag", tag, "letters, digits, '_', '.' and '-', not starting with '.' or '-'")
    return tag


def validate_repository(repository: str) -> str:
    if not _REPOSITORY.match(repository) or len(repository) > 255:
        raise InvalidValue(
            "repository name", repository, "lowercase path components of [a-z0-9] joined by '.', '_' or '-'"
        )
    return repository
