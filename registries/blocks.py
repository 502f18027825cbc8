"""Credentials from a Prefect block, when the config names one (``aws.prefect_block``,
``gcp.prefect_block``). prefect-aws and prefect-gcp are optional: imported only here, only then.
"""

from __future__ import annotations

import importlib
from typing import Any

from faasforge.errors import ConfigError, RegistryAuthError

__all__ = ["aws_session_from_block", "gcp_credentials_from_block", "load_block"]


def load_block(module: str, package: str, class_name: str, block_name: str, key: str) -> Any:
    """Load block ``block_name`` of class ``module.class_name``; a clear line when it cannot be."""
    try:
        block_class = getattr(importlib.import_module(module), class_name)
    except ImportError:
        raise ConfigError(
            f"{key} = {block_name!r} names a Prefect {class_name} block, but {package} is not "
            f"installed (pip install {package}); or remove {key} to use the SDK's default credentials"
        ) from None
    try:
        return block_class.load(block_name)
    except ValueError:
        raise ConfigError(f"{key}: there is no {class_name} block named {block_name!r}") from None
    except Exception as exc:  # noqa: BLE001 - the Prefect API being down, mostly
        raise ConfigError(
            f"{key}: the {class_name} block {block_name!r} could not be loaded ({type(exc).__name__})"
        ) from None


def aws_session_from_block(block_name: str) -> Any:
    """A boto3 session from an ``AwsCredentials`` block."""
    block = load_block("prefect_aws", "prefect-aws", "AwsCredentials", block_name, "aws.prefect_block")
    return block.get_boto3_session()


def gcp_credentials_from_block(block_name: str, scopes: list[str]) -> tuple[Any, str | None]:
    """(google-auth credentials, the block's project) from a ``GcpCredentials`` block."""
    block = load_block("prefect_gcp", "prefect-gcp", "GcpCredentials", block_name, "gcp.prefect_block")
    try:
        credentials = block.get_credentials_from_service_account()
    except Exception as exc:  # noqa: BLE001 - malformed service account info in the block
        raise RegistryAuthError(
            f"gcp.prefect_block {block_name!r} holds no usable service account ({type(exc).__name__})"
        ) from None
    if getattr(credentials, "requires_scopes", False):
        credentials = credentials.with_scopes(scopes)
    return credentials, getattr(block, "project", None)
