"""Stage a benchmark into a fresh build context: plan first (pure, hashable), then copy.

The benchmark's files are only ever read: never moved, modified or deleted. See
docs/ARCHITECTURE.md for the context layout.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import functools
import json
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from faasforge import languages
from faasforge.benchmarks import MODULES, Benchmark
from faasforge.errors import ConfigError, InitScriptFailed, InitScriptTimeout, StagingError, UsageError
from faasforge.hashing import INIT_PREFIX, context_hash, directory_hash
from faasforge.model import ContextEntry, ContextPlan, ImageRequest
from faasforge.settings import Settings, check_ca_bundle, init_timeout_seconds, staging_root
from faasforge.systems import Deployment, Packages

log = logging.getLogger("faasforge.staging")
if log.level == logging.NOTSET:  # init.sh output (INFO) belongs in the run log; consoles show WARNING+
    log.setLevel(logging.INFO)

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
HELPER_EXTENSIONS = {"python": ".py", "nodejs": ".js"}
# SeBS's helper modules among wrapper files. Of faasforge's own wrapper files these go in only when
# the deployment's ``files`` lists them; the rest of faasforge's files are platform glue its
# Dockerfile templates need (the entry file, azure's host.json ...) and always go in.
HELPER_STEMS = {*MODULES, "setup"}
# OpenWhisk: SeBS deploys __main__.py / index.js as the action's code, never inside the function
# code of its image (sebs/faas/container.py); they stay at the context root here.
ROOT_WRAPPER_FILES = {"openwhisk": {"__main__.py", "index.js"}}
# Wrapper files several platforms take live once in wrappers/shared/{flavour}/{language}/; a
# platform's wrappers/{platform}/{language}/shared.txt names the flavours it takes, one a line
# (own_wrapper_files; docs/ARCHITECTURE.md, "Wrapper files").
SHARED_MANIFEST = "shared.txt"
SHARED_DIR = "shared"
INIT_SCRIPT = "init.sh"
KNOWN_LANGUAGE_DIRS = {"python", "nodejs", "java", "cpp"}
# ``local`` only: SeBS runs local functions in its own run image, which installs the helpers'
# SDKs itself (its Dockerfile.run: minio for Python; uuid and minio for Node.js); faasforge builds
# the function image, so it adds them. For SeBS's helpers (from the benchmarks dir's wrappers/):
# these; for faasforge's own: its own config's ``module_packages``. The storage helper's always
# when the image ships it (SeBS's 020/030 use storage without declaring the module), the nosql
# helper's for the nosql module. Each skipped when a line above already names the package.
# Python's minio is 5.0.10, the version SeBS's own tooling pins (requirements.local.txt): SeBS's
# local helper's download_directory calls list_objects_v2, which minio 7 no longer has.
SEBS_LOCAL_HELPER_PACKAGES: dict[str, dict[str, Packages]] = {
    "python": {"storage": Packages(lines=("minio==5.0.10",)), "nosql": Packages(lines=("boto3==1.28.3",))},
    "nodejs": {
        "storage": Packages(versions=(("minio", "7.0.16"), ("uuid", "3.4.0"))),
        "nosql": Packages(versions=(("aws-sdk", "2.1692.0"),)),
    },
}
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


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


def python_requirement_files(request: ImageRequest, code_dir: Path) -> list[Path]:
    """SeBS's container rule (dockerfiles/aws/python/Dockerfile.function): requirements.txt, plus
    requirements.txt.arm.{v} on arm64 when it exists, else requirements.txt.{v} when it exists."""
    parts = [code_dir / "requirements.txt"]
    arm = code_dir / f"requirements.txt.arm.{request.version}"
    versioned = code_dir / f"requirements.txt.{request.version}"
    if request.architecture == "arm64" and arm.is_file():
        parts.append(arm)
    elif versioned.is_file():
        parts.append(versioned)
    return [p for p in parts if p.is_file()]


def nodejs_package_file(request: ImageRequest, code_dir: Path) -> Path | None:
    """package.json.{v} replaces package.json (SeBS's copy_code)."""
    for candidate in (code_dir / f"package.json.{request.version}", code_dir / "package.json"):
        if candidate.is_file():
            return candidate
    return None


def deployment_packages(
    request: ImageRequest, deployment: Deployment, modules: tuple[str, ...],
    helpers: Mapping[str, bool] | None = None,
) -> list[tuple[str, Packages]]:
    """(origin, packages) the image adds: the deployment's ``packages``, its ``module_packages``
    of each module, then (``local`` only) the SDKs of the ``helpers`` it ships (helper name →
    whether it is faasforge's own; see SEBS_LOCAL_HELPER_PACKAGES)."""
    found = [
        (f"systems config {request.platform}.languages.{request.language}.deployment.{key}", packages)
        for key, packages in deployment.packages_for(modules)
    ]
    if request.platform != "local":
        return found
    for helper, own in (helpers or {}).items():
        if helper != "storage" and helper not in modules:
            continue
        if own:
            packages = _own_module_packages(request.language).get(helper)
            origin = f"faasforge: its own local {helper} helper's SDK (faasforge's systems.json)"
        else:
            packages = SEBS_LOCAL_HELPER_PACKAGES.get(request.language, {}).get(helper)
            origin = f"faasforge: what SeBS's local run image installs for its {helper} helper"
        if packages:
            found.append((origin, packages))
    return found


@functools.lru_cache(maxsize=4)
def _own_module_packages(language: str) -> Mapping[str, Packages]:
    from faasforge.resources import config_dir
    from faasforge.systems import Systems

    systems = Systems.load(config_dir() / "systems.json")
    if "local" not in systems.platforms() or language not in systems.languages("local"):
        return {}
    return systems.deployment("local", language).module_packages


def requirement_name(line: str) -> str | None:
    """The normalised project name a requirement line installs (None for URLs, options, comments)."""
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-") or "://" in text:
        return None
    match = _REQUIREMENT_NAME.match(text)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else None


def python_requirements(
    request: ImageRequest, code_dir: Path, deployment: Deployment, modules: tuple[str, ...],
    helpers: Mapping[str, bool] | None = None,
) -> bytes:
    """The one requirements.txt the image installs: the benchmark's files by SeBS's rule, then the
    deployment packages (SeBS appends those too). Packages of faasforge's ``local`` additions are
    skipped when a line above already names them."""
    text = b""
    for part in python_requirement_files(request, code_dir):
        body = part.read_bytes()
        text += f"# {part.name}\n".encode() + body
        if body and not body.endswith(b"\n"):
            text += b"\n"
    named = {requirement_name(line) for line in text.decode("utf-8", "replace").splitlines()}
    for origin, packages in deployment_packages(request, deployment, modules, helpers):
        local_extra = origin.startswith("faasforge:")
        lines = [
            line for line in packages.lines
            if not (local_extra and requirement_name(line) in named)
        ]
        if lines:
            text += f"# {origin}\n".encode() + "".join(f"{line}\n" for line in lines).encode()
            named.update(requirement_name(line) for line in lines)
    return text


def nodejs_package_json(
    request: ImageRequest, code_dir: Path, deployment: Deployment, modules: tuple[str, ...],
    helpers: Mapping[str, bool] | None = None,
) -> tuple[ContextEntry, bool]:
    """The staged package.json: the benchmark's (package.json.{v} or package.json) with the
    deployment packages merged into ``dependencies`` (a deployment version wins, as in SeBS;
    faasforge's ``local`` additions never replace a declared one). The user's file is only read.
    Returns the entry and whether dependencies were changed."""
    source = nodejs_package_file(request, code_dir)
    if source is None:
        name = request.benchmark.replace(".", "-")
        data: dict[str, Any] = {"name": name, "version": "1.0.0"}
        original = f'{{"name": "{name}", "version": "1.0.0"}}\n'.encode()
    else:
        original = source.read_bytes()
        try:
            data = json.loads(original)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{str(source)!r} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{str(source)!r} must hold a JSON object")
    dependencies = data.get("dependencies")
    if dependencies is None:
        dependencies = {}
    if not isinstance(dependencies, dict):
        raise ConfigError(f"{str(source)!r}: 'dependencies' must be an object of name -> version")
    merged = dict(dependencies)
    for origin, packages in deployment_packages(request, deployment, modules, helpers):
        for name, version in packages.versions:
            if origin.startswith("faasforge:") and name in merged:
                continue
            merged[name] = version
    if merged == dependencies:
        if source is None:
            return ContextEntry("package.json", data=original), False
        return ContextEntry("package.json", source=source), False
    data["dependencies"] = merged
    return ContextEntry("package.json", data=(json.dumps(data, indent=2) + "\n").encode()), True


def _dependency_entries(
    request: ImageRequest, code_dir: Path, deployment: Deployment, modules: tuple[str, ...],
    helpers: Mapping[str, bool],
) -> list[ContextEntry]:
    if request.language == "python":
        text = python_requirements(request, code_dir, deployment, modules, helpers)
        return [ContextEntry("requirements.txt", data=text)]
    if request.language == "nodejs":
        package, changed = nodejs_package_json(request, code_dir, deployment, modules, helpers)
        entries = [package]
        lock = code_dir / "package-lock.json"
        if lock.is_file() and not changed:  # a lock no longer matches merged dependencies
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


def _listed(rel: str, files: tuple[str, ...]) -> bool:
    return any(rel == f or rel.startswith(f + "/") for f in files)


def _shared_flavours(manifest: Path) -> list[str]:
    """The flavours a manifest names: one a line, ``#`` starts a comment."""
    flavours = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if "/" in name or name.startswith("."):
            raise ConfigError(f"{str(manifest)!r} line {number}: {name!r} is no flavour; allowed: a folder "
                              f"name under {SHARED_DIR}/, one a line")
        flavours.append(name)
    return flavours


def own_wrapper_files(wrappers_dir: Path, platform: str, language: str) -> dict[str, Path]:
    """faasforge's own wrapper files of one platform and language, relative path → file: those of
    ``wrappers/{platform}/{language}/`` plus those of each ``wrappers/shared/{flavour}/{language}/``
    its ``shared.txt`` names, as if they lay in the platform's folder (same names in the image).
    A name given twice (the folder and a flavour, or two flavours) is a ConfigError."""
    own_dir = wrappers_dir / platform / language
    if not own_dir.is_dir():
        return {}
    files = {rel: real for rel, real in walk_files(own_dir, own_dir) if rel != SHARED_MANIFEST}
    origin = dict.fromkeys(files, str(own_dir))
    manifest = own_dir / SHARED_MANIFEST
    for flavour in _shared_flavours(manifest) if manifest.is_file() else []:
        shared_dir = wrappers_dir / SHARED_DIR / flavour / language
        if not shared_dir.is_dir():
            raise ConfigError(f"{str(manifest)!r} names flavour {flavour!r}, but {str(shared_dir)!r} does not exist")
        for rel, real in walk_files(shared_dir, shared_dir):
            if rel in files:
                raise ConfigError(f"wrapper file {rel!r} of {platform} {language} comes from both "
                                  f"{origin[rel]!r} and {str(shared_dir)!r}; allowed: one of them")
            files[rel], origin[rel] = real, str(shared_dir)
    return dict(sorted(files.items()))


def wrapper_files(
    request: ImageRequest, settings: Settings, deployment: Deployment | None = None
) -> dict[str, Path]:
    """The wrapper files of the image: faasforge's own (``own_wrapper_files``: the platform's folder
    and the shared flavours it takes), overlaid file by file by the benchmarks dir's
    ``wrappers/{platform}/{language}/`` (SeBS's layout).

    With a deployment ``files`` list (SeBS's systems.json), a file of the benchmarks dir goes in
    only when listed; of faasforge's own files the helpers (storage, nosql, setup) go in only when
    listed, its platform glue (entry file, shared support modules, ...) always, since SeBS's
    wrappers do not replace it everywhere (``local`` has no handler in SeBS at all).
    """
    own = own_wrapper_files(settings.wrappers_dir, request.platform, request.language)
    theirs_dir = settings.benchmarks_dir / "wrappers" / request.platform / request.language
    theirs = dict(walk_files(theirs_dir, theirs_dir)) if theirs_dir.is_dir() else {}
    files = deployment.files if deployment is not None else None
    if files is None:
        return {**own, **theirs}
    selected = {
        rel: real for rel, real in own.items()
        if _listed(rel, files) or Path(rel.split("/", 1)[0]).stem not in HELPER_STEMS
    }
    selected.update({rel: real for rel, real in theirs.items() if _listed(rel, files)})
    return selected


def _wrapper_destination(request: ImageRequest, rel: str) -> str:
    top = rel.split("/", 1)[0]
    at_root = top == ENTRY_FILES.get(request.language) or rel.startswith("handler.") or (
        top in ROOT_WRAPPER_FILES.get(request.platform, set())
    )
    return rel if at_root else f"function/{rel}"


def _check_module_helpers(
    request: ImageRequest, benchmark: Benchmark, entries: dict[str, ContextEntry], settings: Settings
) -> None:
    extension = HELPER_EXTENSIONS.get(request.language)
    if extension is None:
        return
    for module in benchmark.modules:
        helper = f"{module}{extension}"
        if f"function/{helper}" not in entries:
            raise UsageError(
                f"benchmark {benchmark.name!r} uses module {module!r} (config.json modules) but no "
                f"{helper} wrapper goes into its {request.platform} {request.language} image: "
                f"neither {str(settings.benchmarks_dir / 'wrappers' / request.platform / request.language)!r} "
                f"nor faasforge's own wrappers provide one listed in the systems config's "
                f"{request.platform}.languages.{request.language}.deployment.files"
            )


def init_scripts(benchmark: Benchmark, language: str) -> list[str]:
    """SeBS's order (sebs/benchmark.py add_benchmark_data): the benchmark dir's init.sh, then the
    language dir's. Relative to the benchmark directory."""
    found = []
    for rel in (INIT_SCRIPT, f"{language}/{INIT_SCRIPT}"):
        path = benchmark.path / rel
        if path.exists() or path.is_symlink():
            if not path.is_file() or not os.access(path, os.R_OK):
                raise UsageError(
                    f"init script {str(path)!r} of benchmark {benchmark.name!r} cannot be run: "
                    "allowed: a regular file the user running faasforge may read (it runs as "
                    "`/bin/bash init.sh <output dir> false <arch>`, as SeBS runs it)"
                )
            found.append(rel)
    return found


def _init_inputs(benchmark: Benchmark, language: str) -> tuple[ContextEntry, ...]:
    """The benchmark directory as the init scripts see it (they copy files next to them, e.g.
    ``resources/``), without the other languages' directories; hashed, never in the image."""
    others = (KNOWN_LANGUAGE_DIRS | set(benchmark.languages)) - {language}
    entries = []
    for rel, real in walk_files(benchmark.path, benchmark.path):
        if rel.split("/", 1)[0] in others and "/" in rel:
            continue
        entries.append(ContextEntry(rel, source=real, executable=_executable(real)))
    return tuple(entries)


def _code_entries(request: ImageRequest, benchmark: Benchmark, code_dir: Path) -> dict[str, ContextEntry]:
    """The benchmark's language directory under ``function/``, without its dependency files,
    Dockerfiles, non-code folders and other variants' code."""
    entries: dict[str, ContextEntry] = {}
    variants = {v for v in benchmark.variants(request.language) if v != "default"}
    for rel, real in walk_files(code_dir, benchmark.path):
        top = rel.split("/", 1)[0]
        if _is_dependency_file(request.language, rel) or top in BENCHMARK_DOCKERFILES or top in NOT_CODE:
            continue
        if top in variants and "/" in rel:  # another language variant's code (SeBS's overlay dirs)
            continue
        entries[f"function/{rel}"] = ContextEntry(
            f"function/{rel}", source=real, executable=_executable(real)
        )
    return entries


def _own_helpers(request: ImageRequest, entries: dict[str, ContextEntry], settings: Settings) -> dict[str, bool]:
    """For each storage/nosql helper in the context: faasforge's own (else the benchmarks dir's, SeBS's)."""
    extension = HELPER_EXTENSIONS.get(request.language, "")
    own_dir = settings.wrappers_dir.resolve()  # the platform's folder or the shared layer, as walk_files yields
    return {
        m: entry.source is not None and entry.source.is_relative_to(own_dir)
        for m in MODULES
        if (entry := entries.get(f"function/{m}{extension}")) is not None
    }


def _build_files(dockerfile: Path, settings: Settings) -> dict[str, ContextEntry]:
    """The Dockerfile, .dockerignore and the CA bundle builds trust (an empty file when none)."""
    ca = settings.ca_bundle
    if ca is not None and not ca.is_file():
        raise ConfigError(f"CA bundle {str(ca)!r} (FAASFORGE_BUILD_CA_BUNDLE) does not exist")
    if ca is not None:
        check_ca_bundle(ca)  # certificates only: its COPY layer stays in the image history
    return {
        "Dockerfile": ContextEntry("Dockerfile", source=dockerfile),
        ".dockerignore": ContextEntry(".dockerignore", data=DOCKERIGNORE),
        ".faasforge/ca-bundle.crt": (
            ContextEntry(".faasforge/ca-bundle.crt", source=ca) if ca else
            ContextEntry(".faasforge/ca-bundle.crt", data=b"")
        ),
    }


def plan_context(
    request: ImageRequest,
    benchmark: Benchmark,
    settings: Settings,
    base_image: str,
    builder_image: str,
    base_repository: str = "",
    deployment: Deployment | None = None,
) -> ContextPlan:
    """Decide every file of the build context and its content hash, copying nothing.

    ``deployment`` is the systems config's section for this platform and language (None: no
    section, every wrapper file and no added packages).
    """
    deployment = deployment or Deployment()
    code_dir = benchmark.language_dir(request.language)
    dockerfile, dockerfile_source = find_dockerfile(request, code_dir, settings)
    entries = _code_entries(request, benchmark, code_dir)
    wrappers = wrapper_files(request, settings, deployment)
    for rel, real in wrappers.items():
        dest = _wrapper_destination(request, rel)
        entries[dest] = ContextEntry(dest, source=real, executable=_executable(real))
    _check_module_helpers(request, benchmark, entries, settings)
    if request.language == "python" and "function/__init__.py" not in entries:
        entries["function/__init__.py"] = ContextEntry("function/__init__.py", data=b"")
    helpers = _own_helpers(request, entries, settings)
    for entry in _dependency_entries(request, code_dir, deployment, benchmark.modules, helpers):
        entries[entry.relpath] = entry
    scripts = tuple(init_scripts(benchmark, request.language))
    init_inputs = _init_inputs(benchmark, request.language) if scripts else ()
    if scripts:
        init_timeout_seconds()  # a bad setting is one line now, not after staging
    if languages.handles(request.language):  # Java and C++ lay out their own context
        entries = languages.stage(languages.StageInput(
            request=request, benchmark=benchmark, code_dir=code_dir, wrappers=wrappers, builder_image=builder_image,
            dockerfile=dockerfile, dockerfile_source=dockerfile_source, settings=settings,
            base_repository=base_repository,
        ))
    build_files = _build_files(dockerfile, settings)
    entries.setdefault("Dockerfile", build_files.pop("Dockerfile"))  # a language's own, else this one
    entries.update(build_files)

    build_args = sebs_build_args(request, base_image, builder_image, base_repository)
    ordered = tuple(entries[k] for k in sorted(entries))
    try:
        digest = context_hash(ordered, build_args, base_image, init_inputs)
    except OSError as exc:
        raise UsageError(f"cannot read benchmark file {exc.filename!r}: {exc.strerror}") from None
    return ContextPlan(
        entries=ordered,
        build_args=build_args,
        base_image=base_image,
        dockerfile_source=dockerfile_source,
        content_hash=digest,
        init_scripts=scripts,
        init_inputs=init_inputs,
    )


def sebs_build_args(request: ImageRequest, base_image: str, builder_image: str, base_repository: str) -> dict[str, str]:
    """The build arguments SeBS passes to every ``Dockerfile.function``."""
    return {
        "VERSION": request.version,
        "BASE_IMAGE": base_image,
        "BASE_IMAGE_BUILDER": builder_image,
        "TARGET_ARCHITECTURE": request.architecture,
        "BASE_REPOSITORY": base_repository,
    }


def _executable(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


def materialize(plan: ContextPlan, root: Path | None = None, run_init: bool = True) -> Path:
    """Copy the planned files into a fresh directory under the staging root; return it.

    The copy is checked against the plan's hash, so a benchmark edited mid-run fails loudly
    instead of publishing a tag that lies about its content. Then the benchmark's init.sh
    scripts run on the staged copy (``run_init``), as SeBS runs them before packaging.
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
    try:
        copy_init_inputs(plan, target)
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise StagingError(f"cannot stage into {str(target)!r}: {exc.strerror}") from None
    copied = directory_hash(target, plan.build_args, plan.base_image)
    if copied != plan.content_hash:
        shutil.rmtree(target, ignore_errors=True)
        raise StagingError("the benchmark changed while it was being staged; run again")
    if run_init and plan.init_scripts:
        try:
            run_init_scripts(plan, target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    shutil.rmtree(target / INIT_PREFIX.rstrip("/"), ignore_errors=True)
    return target


def copy_init_inputs(plan: ContextPlan, target: Path) -> None:
    """The benchmark copy the init scripts run in: ``{context}/.faasforge/init/``."""
    for entry in plan.init_inputs:
        dest = target / INIT_PREFIX / entry.relpath
        dest.parent.mkdir(parents=True, exist_ok=True)
        assert entry.source is not None
        shutil.copyfile(entry.source, dest)
        dest.chmod(0o755 if entry.executable else 0o644)


def run_init_scripts(plan: ContextPlan, target: Path, tail_lines: int = 15) -> None:
    """Run each init script as SeBS does: ``/bin/bash <script> <output dir> false <arch>``, the
    output directory being the staged function code. Here the script is the staged copy's and
    runs in its own directory, so the benchmark's files are never touched (SeBS runs the
    source's script from its own working directory). Output goes to the run log."""
    timeout = init_timeout_seconds()
    output_dir = target / "function"
    arch = plan.build_args.get("TARGET_ARCHITECTURE", "x64")
    for rel in plan.init_scripts:
        script = target / INIT_PREFIX / rel
        command = ["/bin/bash", str(script), str(output_dir), "false", arch]
        log.info("running %s (%s %s)", rel, "init.sh <output dir> false", arch)
        tail: deque[str] = deque(maxlen=tail_lines)
        try:
            process = subprocess.Popen(
                command, cwd=script.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            raise InitScriptFailed(rel, f"cannot start /bin/bash: {exc.strerror}", []) from None
        timer = _KillAfter(process, timeout)
        try:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                tail.append(line)
                log.info("%s: %s", rel, line)
            code = process.wait()
        finally:
            timer.cancel()
        if timer.fired:
            raise InitScriptTimeout(
                f"init script {rel!r} did not finish within {timeout:g} s "
                "(FAASFORGE_INIT_TIMEOUT_SECONDS); nothing was built"
            )
        if code != 0:
            raise InitScriptFailed(rel, f"exited with status {code}", list(tail))


class _KillAfter:
    """Kill a process's whole group (its children included) after ``seconds``."""

    def __init__(self, process: subprocess.Popen[bytes], seconds: float) -> None:
        self.fired = False
        self._process = process
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            os.killpg(self._process.pid, signal.SIGKILL)

    def cancel(self) -> None:
        self._timer.cancel()


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
