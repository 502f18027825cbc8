"""Stage a benchmark into a fresh build context: plan first (pure, hashable), then copy.

The benchmark's files are only ever read: never moved, modified or deleted. See
docs/ARCHITECTURE.md for the context layout.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

from faasforge.benchmarks import Benchmark
from faasforge.errors import ConfigError, StagingError, UsageError
from faasforge.hashing import context_hash, directory_hash
from faasforge.model import ContextEntry, ContextPlan, ImageRequest
from faasforge.settings import Settings, check_ca_bundle, staging_root

# Never enter a build context, wherever they are found.
EXCLUDED_NAMES = {
    ".git", ".hg", ".svn", ".env", ".venv", "venv", "__pycache__", "node_modules", ".DS_Store",
    ".idea", ".vscode", ".pytest_cache", ".mypy_cache", ".npmrc", ".pypirc", ".netrc",
    ".dockerignore",
    # credential stores: never part of a function
    ".ssh", ".aws", ".azure", ".docker", ".kube", ".gnupg", ".git-credentials",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
}
EXCLUDED_PATTERNS = ("*.pyc", "*.pyo", ".env.*", "*.swp", "*~")
BENCHMARK_DOCKERFILES = ("Dockerfile.function", "Dockerfile")
NOT_CODE = {"init.sh"}  # SeBS data-preparation scripts: not part of the function
DOCKERIGNORE = b"""# written by faasforge
.git
**/.git
.env
**/.env
**/.env.*
**/__pycache__
**/*.pyc
**/node_modules
"""
ENTRY_FILES = {"python": "handler.py", "nodejs": "handler.js"}


def is_excluded(name: str) -> bool:
    return name in EXCLUDED_NAMES or any(fnmatch.fnmatch(name, p) for p in EXCLUDED_PATTERNS)


def walk_files(root: Path, boundary: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, real file) for every file under ``root``, following only symlinks that stay
    inside ``boundary``; a link pointing outside raises a UsageError naming it.

    Only symlinks are resolved: a child that is not a link lives at its real parent's path plus its
    name. (Resolving every path cost more than the rest of a registry decision; bench/ scenario 1.)
    """
    boundary_real = boundary.resolve()
    seen_dirs: set[Path] = set()

    def visit(directory: Path, real: Path, prefix: str) -> Iterator[tuple[str, Path]]:
        if real in seen_dirs:
            return
        seen_dirs.add(real)
        try:
            children = sorted(os.scandir(directory), key=lambda d: d.name)
        except OSError as exc:
            raise UsageError(f"cannot read {str(directory)!r}: {exc.strerror}") from None
        for child in children:
            if is_excluded(child.name):
                continue
            path = Path(child.path)
            rel = f"{prefix}{child.name}"
            if child.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(boundary_real):
                    raise UsageError(
                        f"symlink {str(path)!r} points outside the benchmark (to {str(target)!r}); "
                        "allowed: links to files inside the benchmark directory"
                    )
                if not target.exists():
                    raise UsageError(f"symlink {str(path)!r} is broken (points to {str(target)!r})")
                child_real, is_dir, is_file = target, target.is_dir(), target.is_file()
            else:
                child_real = real / child.name
                is_dir, is_file = child.is_dir(follow_symlinks=False), child.is_file(follow_symlinks=False)
            if is_dir:
                yield from visit(path, child_real, rel + "/")
            elif is_file:
                yield rel, child_real

    yield from visit(root, root.resolve(), "")


def _dependency_entries(request: ImageRequest, code_dir: Path) -> list[ContextEntry]:
    if request.language == "python":
        parts = [code_dir / "requirements.txt", code_dir / f"requirements.txt.{request.version}"]
        if request.architecture == "arm64":
            parts.append(code_dir / f"requirements.txt.arm.{request.version}")
        text = b""
        for part in parts:
            if part.is_file():
                body = part.read_bytes()
                text += body if body.endswith(b"\n") or not body else body + b"\n"
        return [ContextEntry("requirements.txt", data=text)]
    if request.language == "nodejs":
        versioned = code_dir / f"package.json.{request.version}"
        plain = code_dir / "package.json"
        entries = []
        if versioned.is_file():
            entries.append(ContextEntry("package.json", source=versioned))
        elif plain.is_file():
            entries.append(ContextEntry("package.json", source=plain))
        else:
            name = request.benchmark.replace(".", "-")
            entries.append(
                ContextEntry("package.json", data=f'{{"name": "{name}", "version": "1.0.0"}}\n'.encode())
            )
        lock = code_dir / "package-lock.json"
        if lock.is_file():
            entries.append(ContextEntry("package-lock.json", source=lock))
        return entries
    return []


def _is_dependency_file(language: str, rel: str) -> bool:
    if "/" in rel:
        return False
    if language == "python":
        return rel == "requirements.txt" or rel.startswith("requirements.txt.")
    if language == "nodejs":
        return rel in ("package.json", "package-lock.json") or rel.startswith("package.json.")
    return False


def find_dockerfile(
    request: ImageRequest, code_dir: Path, settings: Settings
) -> tuple[Path, str]:
    """The benchmark's own Dockerfile if it ships one, else the platform/language template."""
    for name in BENCHMARK_DOCKERFILES:
        own = code_dir / name
        if own.is_file():
            return own, "benchmark"
    template = settings.dockerfiles_dir / request.platform / request.language / "Dockerfile.function"
    if not template.is_file():
        raise ConfigError(
            f"no Dockerfile for platform {request.platform!r} and language {request.language!r}: "
            f"{str(template)!r} does not exist and the benchmark ships none"
        )
    return template, "template"


def wrapper_files(request: ImageRequest, settings: Settings) -> dict[str, Path]:
    """The project's wrapper files, overlaid file by file by the benchmarks dir's own wrappers."""
    files: dict[str, Path] = {}
    layers = [
        settings.wrappers_dir / request.platform / request.language,
        settings.benchmarks_dir / "wrappers" / request.platform / request.language,
    ]
    for layer in layers:
        if layer.is_dir():
            for rel, real in walk_files(layer, layer):
                files[rel] = real
    return files


def plan_context(
    request: ImageRequest,
    benchmark: Benchmark,
    settings: Settings,
    base_image: str,
    builder_image: str,
    base_repository: str = "",
) -> ContextPlan:
    """Decide every file of the build context and its content hash, copying nothing."""
    code_dir = benchmark.language_dir(request.language)
    dockerfile, dockerfile_source = find_dockerfile(request, code_dir, settings)
    entries: dict[str, ContextEntry] = {}

    for rel, real in walk_files(code_dir, benchmark.path):
        top = rel.split("/", 1)[0]
        if _is_dependency_file(request.language, rel) or top in BENCHMARK_DOCKERFILES or top in NOT_CODE:
            continue
        entries[f"function/{rel}"] = ContextEntry(
            f"function/{rel}", source=real, executable=_executable(real)
        )
    entry_name = ENTRY_FILES.get(request.language)
    for rel, real in wrapper_files(request, settings).items():
        dest = rel if rel.split("/", 1)[0] == entry_name or rel.startswith("handler.") else f"function/{rel}"
        entries[dest] = ContextEntry(dest, source=real, executable=_executable(real))
    if request.language == "python" and "function/__init__.py" not in entries:
        entries["function/__init__.py"] = ContextEntry("function/__init__.py", data=b"")
    for entry in _dependency_entries(request, code_dir):
        entries[entry.relpath] = entry
    entries["Dockerfile"] = ContextEntry("Dockerfile", source=dockerfile)
    entries[".dockerignore"] = ContextEntry(".dockerignore", data=DOCKERIGNORE)
    ca = settings.ca_bundle
    if ca is not None and not ca.is_file():
        raise ConfigError(f"CA bundle {str(ca)!r} (FAASFORGE_BUILD_CA_BUNDLE) does not exist")
    if ca is not None:
        check_ca_bundle(ca)
    entries[".faasforge/ca-bundle.crt"] = (
        ContextEntry(".faasforge/ca-bundle.crt", source=ca) if ca else
        ContextEntry(".faasforge/ca-bundle.crt", data=b"")
    )

    build_args = {
        "VERSION": request.version,
        "BASE_IMAGE": base_image,
        "BASE_IMAGE_BUILDER": builder_image,
        "TARGET_ARCHITECTURE": request.architecture,
        "BASE_REPOSITORY": base_repository,
    }
    ordered = tuple(entries[k] for k in sorted(entries))
    try:
        digest = context_hash(ordered, build_args, base_image)
    except OSError as exc:
        raise UsageError(f"cannot read benchmark file {exc.filename!r}: {exc.strerror}") from None
    return ContextPlan(
        entries=ordered,
        build_args=build_args,
        base_image=base_image,
        dockerfile_source=dockerfile_source,
        content_hash=digest,
    )


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


def materialize(plan: ContextPlan, root: Path | None = None) -> Path:
    """Copy the planned files into a fresh directory under the staging root; return it.

    The copy is checked against the plan's hash, so a benchmark edited mid-run fails loudly
    instead of publishing a tag that lies about its content.
    """
    parent = root or staging_root()
    clean_stale_staging(parent)
    target = parent / f"{plan.hash12}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        target.mkdir(parents=True)
        for entry in plan.entries:
            dest = target / entry.relpath
            dest.parent.mkdir(parents=True, exist_ok=True)
            if entry.source is not None:
                shutil.copyfile(entry.source, dest)
            else:
                dest.write_bytes(entry.data or b"")
            dest.chmod(0o755 if entry.executable else 0o644)
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            raise StagingError(f"no space left on device while staging into {str(parent)!r}") from None
        raise StagingError(f"cannot stage into {str(target)!r}: {exc.strerror}") from None
    copied = directory_hash(target, plan.build_args, plan.base_image)
    if copied != plan.content_hash:
        shutil.rmtree(target, ignore_errors=True)
        raise StagingError("the benchmark changed while it was being staged; run again")
    return target


def remove_context(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def clean_stale_staging(parent: Path) -> list[Path]:
    """Remove staging directories left by processes that no longer run (e.g. killed)."""
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for child in parent.iterdir():
        parts = child.name.split("-")
        if len(parts) != 3 or not parts[1].isdigit():
            continue
        pid = int(parts[1])
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
