"""Small helpers shared by tests: registry queries, tree hashes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import requests
from faasforge.registries.oci import MANIFEST_ACCEPT as ACCEPT  # what faasforge asks registries for

__all__ = ["ACCEPT", "delete_from_registry", "registry_digest", "registry_tags", "tree_fingerprint"]


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
