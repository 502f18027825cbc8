"""Content hash of a build context: every staged file, the Dockerfile, build args, base image.

What makes the image is in it: the resolved requirements.txt / merged package.json (so a
deployment package or pin changes the tag), and, for a benchmark with init.sh, the scripts and
the benchmark files they run next to (their output is not: it is made after the hash).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from faasforge.model import ContextEntry

HASH_SCHEME = "faasforge-context-v1"
NOT_HASHED_PREFIX = ".faasforge/"  # build-time trust settings, not content
INIT_PREFIX = ".faasforge-init/"  # the benchmark copy init.sh scripts run in (removed before the build)


def _file_digest(entry: ContextEntry) -> str:
    if entry.data is not None:
        return hashlib.sha256(entry.data).hexdigest()
    assert entry.source is not None
    digest = hashlib.sha256()
    with entry.source.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def context_hash(
    entries: Iterable[ContextEntry],
    build_args: Mapping[str, str],
    base_image: str,
    init_inputs: Iterable[ContextEntry] = (),
) -> str:
    """sha256 over (path, exec bit, file sha256) of every hashed entry, build args, base image.

    ``init_inputs`` (paths relative to the benchmark) count as entries under ``INIT_PREFIX``,
    where the staged copy holds them until the init scripts ran.
    """
    digest = hashlib.sha256(HASH_SCHEME.encode())
    prefixed = [
        ContextEntry(INIT_PREFIX + e.relpath, source=e.source, data=e.data, executable=e.executable)
        for e in init_inputs
    ]
    for entry in sorted([*entries, *prefixed], key=lambda e: e.relpath):
        if entry.relpath.startswith(NOT_HASHED_PREFIX):
            continue
        line = f"{entry.relpath}\0{int(entry.executable)}\0{_file_digest(entry)}\n"
        digest.update(line.encode())
    digest.update(json.dumps(dict(sorted(build_args.items())), sort_keys=True).encode())
    digest.update(f"\0base={base_image}".encode())
    return digest.hexdigest()


def directory_hash(root: Path, build_args: Mapping[str, str], base_image: str) -> str:
    """The same hash, computed from a materialised context directory."""
    entries = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            entries.append(
                ContextEntry(relpath=rel, source=path, executable=bool(path.stat().st_mode & 0o111))
            )
    return context_hash(entries, build_args, base_image)
