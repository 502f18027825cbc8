"""Languages whose build context is more than a copy: Java (Maven) and C++ (CMake).

``staging.plan_context`` hands these languages to :func:`context_entries`, which returns every
file of the context except the common ones (Dockerfile template, ``.dockerignore``, CA bundle).
Each language module (``java``, ``cpp``) is plain and pure: it reads the benchmark, the wrappers
and the platform's ``deployment`` section of systems.json, and decides the staged files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from faasforge.benchmarks import Benchmark
from faasforge.model import ContextEntry, ImageRequest
from faasforge.settings import Settings

__all__ = ["LANGUAGES", "StageInput", "context_entries", "handles", "language_section", "sebs_version", "stage"]

# The benchmark's own files that never enter function/: its Dockerfile and SeBS's data scripts.
NOT_CODE = {"Dockerfile", "Dockerfile.function", "init.sh"}


@dataclass(frozen=True)
class StageInput:
    """What a language stager reads (never writes)."""

    request: ImageRequest
    benchmark: Benchmark
    code_dir: Path
    wrappers: dict[str, Path]  # relative path -> file, faasforge's overlaid by the benchmarks dir's
    builder_image: str
    dockerfile: Path
    dockerfile_source: str  # "benchmark" | "template"
    settings: Settings
    base_repository: str = ""  # systems.json general.docker_repository

    @property
    def language_section(self) -> dict[str, Any]:
        """systems.json ``{platform}.languages.{language}`` ({} when absent)."""
        return language_section(self.settings.systems_config, self.request.platform, self.request.language)

    @property
    def deployment(self) -> dict[str, Any]:
        """``{platform}.languages.{language}.deployment`` ({} when absent)."""
        section = self.language_section.get("deployment", {})
        return section if isinstance(section, dict) else {}

    def code_files(self) -> Iterator[tuple[str, Path]]:
        """The benchmark's language directory, minus its Dockerfile and data scripts."""
        from faasforge.staging import walk_files

        for rel, real in walk_files(self.code_dir, self.benchmark.path):
            if rel.split("/", 1)[0] not in NOT_CODE:
                yield rel, real


def _stagers() -> dict[str, Callable[[StageInput], list[ContextEntry]]]:
    from faasforge.languages import cpp, java

    return {"java": java.context_entries, "cpp": cpp.context_entries}


LANGUAGES = ("java", "cpp")


def handles(language: str) -> bool:
    return language in LANGUAGES


def context_entries(inp: StageInput) -> list[ContextEntry]:
    return _stagers()[inp.request.language](inp)


def stage(inp: StageInput) -> dict[str, ContextEntry]:
    """The context's files for a Java or C++ image (a ``Dockerfile`` entry replaces the template)."""
    return {entry.relpath: entry for entry in context_entries(inp)}


def language_section(systems_config: Path, platform: str, language: str) -> dict[str, Any]:
    """``{platform}.languages.{language}`` of a systems.json ({} when absent)."""
    try:
        stat = systems_config.stat()
    except OSError:
        return {}
    return _language_section(str(systems_config), stat.st_mtime_ns, platform, language)


def sebs_version(settings: Settings) -> str:
    """The SeBS version dependency images are tagged with: the setting, else general.SeBS_version."""
    if settings.sebs_version:
        return settings.sebs_version
    try:
        stat = settings.systems_config.stat()
    except OSError:
        return "unknown"
    return _sebs_version(str(settings.systems_config), stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _sebs_version(path: str, _mtime: int) -> str:
    try:
        version = json.loads(Path(path).read_text(encoding="utf-8"))["general"]["SeBS_version"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown"  # SeBS's own fallback
    return str(version)


@lru_cache(maxsize=64)
def _language_section(path: str, _mtime: int, platform: str, language: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        section = data[platform]["languages"][language]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    return section if isinstance(section, dict) else {}
