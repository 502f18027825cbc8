"""The registries config: a TOML file with a table per platform, overridden by the environment.

Every key of table ``[p]`` can also come from ``FAASFORGE_<P>_<KEY>`` (``FAASFORGE_AWS_REGION``,
``FAASFORGE_RETRY_ATTEMPTS``), which wins over the file. Secrets are never read from the file:
keys ending in ``_env`` name the environment variables that hold them. See docs/CLOUDS.md and
config/registries.example.toml.

No cloud SDK is imported here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from faasforge.errors import ConfigError
from faasforge.retry import RetryPolicy

__all__ = ["SCHEMA", "RegistriesConfig", "RetryPolicy", "Section", "env_name"]

ENV_PREFIX = "FAASFORGE_"
_TEXT, _INT, _FLOAT = "text", "whole number", "number"

SCHEMA: dict[str, dict[str, str]] = {
    "retry": {"attempts": _INT, "backoff_seconds": _FLOAT, "timeout_seconds": _FLOAT},
    "aws": {
        "region": _TEXT, "account_id": _TEXT, "profile": _TEXT, "prefect_block": _TEXT,
        "resources_id": _TEXT, "repository": _TEXT,
        "endpoint_url": _TEXT, "sts_endpoint_url": _TEXT, "ecr_registry_override": _TEXT,
    },
    "gcp": {
        "project": _TEXT, "region": _TEXT, "credentials_file": _TEXT, "prefect_block": _TEXT,
        "resources_id": _TEXT, "repository": _TEXT, "api_endpoint": _TEXT, "registry_override": _TEXT,
    },
    "azure": {
        "registry": _TEXT, "resources_id": _TEXT, "repository": _TEXT,
        "endpoint": _TEXT, "login_server": _TEXT, "audience": _TEXT, "ca_bundle": _TEXT,
        "managed_identity_client_id": _TEXT, "admin_username_env": _TEXT, "admin_password_env": _TEXT,
    },
    "openwhisk": {
        "registry": _TEXT, "namespace": _TEXT, "repository": _TEXT, "ca_bundle": _TEXT,
        "username_env": _TEXT, "password_env": _TEXT,
    },
}
SECRET_LOOKING = ("password", "secret", "token", "access_key")


def env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Section:
    """One platform's table after the environment is applied; ``origin`` says where each came from."""

    name: str
    values: Mapping[str, str] = field(default_factory=dict)
    origin: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str, default: str | None = None) -> str | None:
        self._known(key)
        value = self.values.get(key)
        return value if value else default

    def require(self, key: str, hint: str) -> str:
        value = self.get(key)
        if not value:
            raise ConfigError(
                f"{self.name} needs {self.name}.{key} ({hint}): set it in the registries config "
                f"or {env_name(self.name, key)}"
            )
        return value

    def secret(self, key: str, default_env: str) -> tuple[str, str | None]:
        """(variable name, its value) for a ``*_env`` key: the secret itself is never in the file."""
        variable = self.get(key) or default_env
        if not _ENV_NAME.match(variable):
            raise ConfigError(
                f"{self.name}.{key} ({self.describe(key)}) must name an environment variable (letters, "
                "digits and _), not hold the credential itself: put the secret in that variable"
            )
        return variable, os.environ.get(variable) or None

    def describe(self, key: str) -> str:
        return self.origin.get(key, "default")

    def _known(self, key: str) -> None:
        if key not in SCHEMA[self.name]:
            raise KeyError(f"{self.name}.{key} is not in the registries config schema")


@dataclass(frozen=True)
class RegistriesConfig:
    """The parsed config; an absent file is an empty one (SDK defaults and the environment)."""

    path: Path | None
    sections: Mapping[str, Section]
    retry: RetryPolicy

    def section(self, name: str) -> Section:
        return self.sections[name]

    @classmethod
    def load(cls, path: Path | None, environ: Mapping[str, str] | None = None) -> RegistriesConfig:
        env = os.environ if environ is None else environ
        data = _read(path) if path is not None else {}
        where = f"registries config {str(path)!r}"
        unknown = sorted(set(data) - set(SCHEMA))
        if unknown:
            raise ConfigError(
                f"{where}: unknown table [{unknown[0]}]; allowed: {', '.join(sorted(SCHEMA))}"
            )
        sections: dict[str, Section] = {}
        for name, schema in SCHEMA.items():
            table = data.get(name, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{where}: {name} must be a table ([{name}])")
            values: dict[str, str] = {}
            origin: dict[str, str] = {}
            for key, raw in table.items():
                if key not in schema:
                    raise ConfigError(_unknown_key(where, name, key))
                values[key] = _checked(where, name, key, raw, schema[key])
                origin[key] = where
            for key, kind in schema.items():
                variable = env_name(name, key)
                if env.get(variable):
                    values[key] = _checked(f"environment variable {variable}", name, key, env[variable], kind)
                    origin[key] = f"environment variable {variable}"
            sections[name] = Section(name, values, origin)
        return cls(path=path, sections=sections, retry=_retry(sections["retry"]))


def _read(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"registries config {str(path)!r} does not exist (--registries-config / "
            "FAASFORGE_REGISTRIES_CONFIG)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"registries config {str(path)!r} cannot be read: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"registries config {str(path)!r} is not valid TOML: {exc}") from None


def _unknown_key(where: str, section: str, key: str) -> str:
    allowed = ", ".join(sorted(SCHEMA[section]))
    message = f"{where}: unknown key {section}.{key}; allowed: {allowed}"
    if any(word in key.lower() for word in SECRET_LOOKING):
        message += (
            " (secrets are never read from this file: keep them in environment variables and "
            "name those with the *_env keys, or use the SDK's own credential chain)"
        )
    return message


def _checked(where: str, section: str, key: str, raw: object, kind: str) -> str:
    """Values are kept as text; numbers are checked here so a typo fails before any network."""
    if kind == _TEXT:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: {section}.{key} must be text, not {type(raw).__name__}")
        return raw.strip()
    text = str(raw).strip()
    try:
        number = int(text) if kind == _INT else float(text)
    except ValueError:
        raise ConfigError(f"{where}: {section}.{key} must be a {kind}, got {text!r}") from None
    if isinstance(raw, bool) or number < 0:
        raise ConfigError(f"{where}: {section}.{key} must be a non-negative {kind}, got {text!r}")
    return text


def _retry(section: Section) -> RetryPolicy:
    default = RetryPolicy()
    attempts = int(section.get("attempts") or default.attempts)
    if attempts < 1:
        raise ConfigError(f"retry.attempts must be at least 1 ({section.describe('attempts')})")
    timeout = float(section.get("timeout_seconds") or default.timeout_seconds)
    if timeout <= 0:
        raise ConfigError(f"retry.timeout_seconds must be positive ({section.describe('timeout_seconds')})")
    backoff = section.get("backoff_seconds")
    return RetryPolicy(
        attempts=attempts,
        backoff_seconds=default.backoff_seconds if backoff is None else float(backoff),
        timeout_seconds=timeout,
    )
