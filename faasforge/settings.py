"""Paths and environment settings, resolved in one place."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from faasforge import resources

DEFAULT_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEFAULT_LOCAL_REGISTRY = "127.0.0.1:5000"


def faasforge_home() -> Path:
    """``$FAASFORGE_HOME`` or ``~/.faasforge``: the catalog lives here."""
    return Path(os.environ.get("FAASFORGE_HOME", "~/.faasforge")).expanduser()


def staging_root() -> Path:
    """Where build contexts are staged: ``$FAASFORGE_STAGING_DIR`` or a temp folder."""
    configured = os.environ.get("FAASFORGE_STAGING_DIR")
    if configured:
        return Path(configured)
    import tempfile

    return Path(tempfile.gettempdir()) / "faasforge-staging"


def build_ca_bundle() -> Path | None:
    """The CA bundle that dependency installs inside builds trust.

    ``$FAASFORGE_BUILD_CA_BUNDLE`` names a PEM file; ``none`` turns it off. By default the host's
    Debian bundle is used when present, so builds behind a TLS-inspecting proxy work.
    """
    configured = os.environ.get("FAASFORGE_BUILD_CA_BUNDLE")
    if configured is not None:
        if configured.strip().lower() in ("", "none", "off"):
            return None
        return Path(configured)
    return DEFAULT_CA_BUNDLE if DEFAULT_CA_BUNDLE.is_file() else None


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_CERTIFICATE_BLOCKS = {b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CRL"}
_checked_bundles: dict[tuple[str, int, int], None] = {}


def check_ca_bundle(path: Path) -> None:
    """A build CA bundle must hold public certificates only: its COPY layer stays in the image
    history (dockerfiles/; BENCHMARKS.md, scenario 2), so a private key in it would be published.
    ConfigError names the file and the kind of block, never its content. Checked once per file
    version and process."""
    from faasforge.errors import ConfigError

    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        if key in _checked_bundles:
            return
        data = path.read_bytes()
    except OSError:
        raise ConfigError(f"CA bundle {str(path)!r} (FAASFORGE_BUILD_CA_BUNDLE) does not exist") from None
    kinds = set(_PEM_BLOCK.findall(data))
    other = sorted(k.decode() for k in kinds - _CERTIFICATE_BLOCKS)
    if other:
        raise ConfigError(
            f"CA bundle {str(path)!r} (FAASFORGE_BUILD_CA_BUNDLE) holds {', '.join(other)} blocks; "
            "allowed: PEM certificates only (a build CA bundle ships in the image history)"
        )
    if data.strip() and b"CERTIFICATE" not in kinds:
        raise ConfigError(
            f"CA bundle {str(path)!r} (FAASFORGE_BUILD_CA_BUNDLE) holds no PEM certificate; "
            "allowed: a PEM file of certificates, or FAASFORGE_BUILD_CA_BUNDLE=none"
        )
    _checked_bundles[key] = None

DEFAULT_INIT_TIMEOUT_SECONDS = 600.0


def init_timeout_seconds() -> float:
    """How long a benchmark's init.sh may run: ``$FAASFORGE_INIT_TIMEOUT_SECONDS`` (default 600)."""
    from faasforge.errors import InvalidValue

    configured = os.environ.get("FAASFORGE_INIT_TIMEOUT_SECONDS")
    if configured is None or not configured.strip():
        return DEFAULT_INIT_TIMEOUT_SECONDS
    try:
        value = float(configured)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise InvalidValue("FAASFORGE_INIT_TIMEOUT_SECONDS", configured, "a positive number of seconds")
    return value


def registries_config_path() -> Path | None:
    """The registries config (docs/CLOUDS.md): ``$FAASFORGE_REGISTRIES_CONFIG``, else
    ``$FAASFORGE_HOME/registries.toml`` when it exists, else none (SDK defaults only)."""
    configured = os.environ.get("FAASFORGE_REGISTRIES_CONFIG")
    if configured:
        return Path(configured).expanduser()
    candidate = faasforge_home() / "registries.toml"
    return candidate if candidate.is_file() else None


def _overlay_path() -> Path | None:
    from faasforge.overlay import overlay_path

    return overlay_path()


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know besides the image itself."""

    benchmarks_dir: Path = field(default_factory=resources.samples_dir)
    systems_config: Path = field(default_factory=lambda: resources.config_dir() / "systems.json")
    dockerfiles_dir: Path = field(default_factory=resources.dockerfiles_dir)
    wrappers_dir: Path = field(default_factory=resources.wrappers_dir)
    registry: str | None = None
    repository: str | None = None
    tag_style: str = "hash"
    sebs_version: str | None = None  # None: general.SeBS_version of the systems config
    ca_bundle: Path | None = field(default_factory=build_ca_bundle)
    home: Path = field(default_factory=faasforge_home)
    registries_config: Path | None = field(default_factory=registries_config_path)
    systems_overlay: Path | None = field(default_factory=_overlay_path)

    @property
    def catalog_path(self) -> Path:
        return self.home / "catalog.sqlite"
