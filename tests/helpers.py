"""Small helpers shared by tests: the one way to run the CLI, registry queries, tree hashes, systems
configs with overlays."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from faasforge.registries.oci import MANIFEST_ACCEPT as ACCEPT  # what faasforge asks registries for

from faasforge.overlay import merge_patch

__all__ = [
    "ACCEPT", "FAASFORGE", "CliResult", "cli_environment", "delete_from_registry", "registry_digest", "registry_tags",
    "run_cli", "systems_with", "tree_fingerprint",
]

FAASFORGE = [sys.executable, "-m", "faasforge"]  # the command as this interpreter runs it
ISOLATED_PREFIXES = ("PREFECT_API", "FAASFORGE_")


# -- the CLI, as a user runs it, in homes of its own -------------------------------------------------


@dataclass
class CliResult:
    """A finished command: what it printed and how it exited (``CompletedProcess``'s fields)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def lines(self) -> list[str]:
        return self.stderr.strip().splitlines()

    @property
    def error_line(self) -> str:
        errors = [ln for ln in self.lines if ln.startswith("faasforge: error: ")]
        return errors[0] if errors else (self.lines[-1] if self.lines else "")

    def summary(self) -> str:
        return f"exit {self.returncode}: {self.error_line}" if self.returncode else "exit 0"

    def records(self) -> list[dict[str, Any]]:
        """The ``--json`` output of a command that must have succeeded."""
        assert self.returncode == 0, self.stderr[-3000:]
        records: list[dict[str, Any]] = json.loads(self.stdout)
        return records


def cli_environment(workdir: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default os.environ) without Prefect API and faasforge settings, with faasforge's
    home, staging directory and Prefect's home under ``workdir`` (and time for a fresh Prefect
    database to come up)."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.startswith(ISOLATED_PREFIXES)}
    if source.get("FAASFORGE_SYSTEMS_OVERLAY"):  # the base images scripts/services.sh provided
        env["FAASFORGE_SYSTEMS_OVERLAY"] = source["FAASFORGE_SYSTEMS_OVERLAY"]
    env.update(
        FAASFORGE_HOME=str(workdir / "faasforge-home"),
        FAASFORGE_STAGING_DIR=str(workdir / "staging"),
        PREFECT_HOME=str(workdir / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    # a fresh Prefect database takes longer than Prefect's 20 s default on a busy machine
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
                   os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120"))
    return env


def run_cli(
    args: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    timeout: float = 300,
    command: Sequence[str] = tuple(FAASFORGE),
) -> CliResult:
    """Run ``command args`` (default ``python -m faasforge``) in ``cwd`` with exactly ``env``."""
    argv = [*command, *args]
    started = time.monotonic()
    done = subprocess.run(
        argv, env=dict(env), cwd=cwd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return CliResult(argv, done.returncode, done.stdout, done.stderr, time.monotonic() - started)


# -- registries and trees --------------------------------------------------------------------------


def registry_digest(image_uri: str) -> str | None:
    """The digest a plain-HTTP registry reports for ``host/repo:tag`` (None if absent)."""
    host, _, rest = image_uri.partition("/")
    repo, _, tag = rest.rpartition(":")
    r = requests.head(f"http://{host}/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10)
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.headers["Docker-Content-Digest"]


def registry_tags(registry: str, repository: str) -> list[str]:
    r = requests.get(f"http://{registry}/v2/{repository}/tags/list", timeout=10)
    if r.status_code == 404:
        return []
    r.raise_for_status()
    return r.json().get("tags") or []


def delete_from_registry(image_uri: str) -> None:
    host, _, rest = image_uri.partition("/")
    repo, _, _ = rest.rpartition(":")
    digest = registry_digest(image_uri)
    assert digest
    requests.delete(f"http://{host}/v2/{repo}/manifests/{digest}", timeout=10).raise_for_status()


def tree_fingerprint(root: Path) -> dict[str, str]:
    """Every path under root with its content hash, mode and mtime: byte- and metadata-identical."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            st = path.lstat()
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = f"link:{os.readlink(path)}"
            elif path.is_file():
                out[rel] = f"{hashlib.sha256(path.read_bytes()).hexdigest()}:{oct(st.st_mode)}:{st.st_mtime_ns}"
            else:
                out[rel] = f"dir:{oct(st.st_mode)}"
    return out


# -- systems.json with overlays ----------------------------------------------------------------------

SYSTEMS = Path(__file__).resolve().parents[1] / "config" / "systems.json"


def systems_with(path: Path, *patches: Mapping[str, Any], base: Path = SYSTEMS) -> Path:
    """``base`` (config/systems.json) with each JSON merge patch applied in turn, as
    ``--systems-overlay`` applies one (faasforge.overlay.merge_patch), written to ``path``."""
    data: Any = json.loads(base.read_text())
    for patch in patches:
        data = merge_patch(data, patch)
    path.write_text(json.dumps(data, indent=2))
    return path
