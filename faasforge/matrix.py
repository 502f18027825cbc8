"""Matrices of images: from CLI flags or a TOML file, expanded and deduplicated.

A matrix file::

    benchmarks = ["010.sleep", "110.dynamic-html"]   # or "all"
    platforms = ["local", "aws"]
    architectures = ["x64", "arm64"]
    [languages]                                       # language → versions ("all" or omitted: all)
    python = ["3.11"]
    nodejs = "all"

    [[include]]                                        # exact extra images, validated strictly
    benchmark = "010.sleep"
    platform = "local"
    language = "python"
    version = "3.11"
    architecture = "arm64"

Cells a platform cannot build (GCP has no arm64, a benchmark without Node.js code) are left out of
the expanded product and reported; a value that fits no platform at all is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from faasforge.benchmarks import find_benchmark, list_benchmarks, validate_name
from faasforge.defaults import DEFAULT_CONCURRENCY
from faasforge.errors import ConfigError, InvalidValue, UsageError
from faasforge.model import ARCHITECTURES, ImageRequest
from faasforge.systems import Systems


@dataclass
class Matrix:
    """The images to build, in order, each once; and the cells left out with why."""

    requests: list[ImageRequest]
    excluded: list[tuple[ImageRequest, str]] = field(default_factory=list)
    duplicates: int = 0


def dedupe(requests: Iterable[ImageRequest]) -> tuple[list[ImageRequest], int]:
    """Unique requests in first-seen order, and how many duplicates were dropped."""
    seen: set[ImageRequest] = set()
    unique: list[ImageRequest] = []
    total = 0
    for request in requests:
        total += 1
        if request not in seen:
            seen.add(request)
            unique.append(request)
    return unique, total - len(unique)


def expand(
    systems: Systems,
    benchmarks_dir: Path,
    benchmarks: Sequence[str] | None,
    platforms: Sequence[str],
    languages: dict[str, Sequence[str] | None] | None,
    architectures: Sequence[str],
    include: Sequence[ImageRequest] = (),
) -> Matrix:
    """The product of the given values, keeping only cells some platform can build."""
    all_benchmarks = list_benchmarks(benchmarks_dir)
    names = list(all_benchmarks) if not benchmarks else [validate_name(b) for b in benchmarks]
    for platform in platforms:
        if platform not in systems.platforms():
            raise InvalidValue("platform", platform, systems.platforms())
    for arch in architectures:
        if arch not in ARCHITECTURES:
            raise InvalidValue("architecture", arch, ARCHITECTURES)
    known_languages = {lang for p in platforms for lang in systems.languages(p)}
    for language in languages or {}:
        if language not in known_languages:
            raise InvalidValue("language", language, known_languages)
    cells: list[ImageRequest] = []
    excluded: list[tuple[ImageRequest, str]] = []
    for name in names:
        benchmark = find_benchmark(benchmarks_dir, name)
        for platform in platforms:
            wanted = languages or {lang: None for lang in benchmark.languages}
            for language, versions in wanted.items():
                if language not in systems.languages(platform):
                    continue
                available = systems.versions(platform, language)
                chosen = available if not versions else list(versions)
                for version in chosen:
                    for arch in architectures:
                        request = ImageRequest(platform, name, language, version, arch)
                        reason = _unbuildable(systems, request, benchmark.languages, available)
                        if reason:
                            excluded.append((request, reason))
                        else:
                            cells.append(request)
    _check_versions_exist(systems, platforms, languages)
    for request in include:
        systems.validate(request)
        find_benchmark(benchmarks_dir, request.benchmark).language_dir(request.language)
        cells.append(request)
    unique, duplicates = dedupe(cells)
    return Matrix(unique, excluded, duplicates)


def _unbuildable(
    systems: Systems, request: ImageRequest, benchmark_languages: list[str], available: list[str]
) -> str | None:
    if request.language not in benchmark_languages:
        return f"benchmark has no {request.language} code"
    if request.version not in available:
        return f"{request.platform} has no {request.language} {request.version}"
    if request.architecture not in systems.architectures(request.platform):
        return f"{request.platform} does not accept {request.architecture}"
    try:
        systems.base_image(request)
    except InvalidValue:
        return f"{request.platform} has no {request.architecture} base image for {request.language} {request.version}"
    return None


def _check_versions_exist(
    systems: Systems, platforms: Sequence[str], languages: dict[str, Sequence[str] | None] | None
) -> None:
    for language, versions in (languages or {}).items():
        if not versions:
            continue
        offered = {
            v for p in platforms if language in systems.languages(p) for v in systems.versions(p, language)
        }
        for version in versions:
            if version not in offered:
                raise InvalidValue(f"version of {language}", version, offered)


def _string_list(data: dict[str, Any], key: str, path: Path, default: list[str] | None) -> list[str] | None:
    value = data.get(key, default)
    if value is None or value == "all":
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"matrix {str(path)!r}: {key!r} must be a list of strings or \"all\"")
    return list(value)


ALLOWED_KEYS = {"benchmarks", "platforms", "architectures", "languages", "include", "concurrency"}
INCLUDE_KEYS = ("benchmark", "platform", "language", "version", "architecture")


def load_matrix_file(path: Path, systems: Systems, benchmarks_dir: Path) -> tuple[Matrix, int | None]:
    """Parse a TOML matrix file; returns the matrix and its optional ``concurrency``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"matrix file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"matrix file {str(path)!r} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"matrix file {str(path)!r} cannot be read: {exc.strerror}") from None
    unknown = set(data) - ALLOWED_KEYS
    if unknown:
        raise InvalidValue(f"key in matrix file {str(path)!r}", sorted(unknown)[0], ALLOWED_KEYS)
    benchmarks = _string_list(data, "benchmarks", path, None)
    platforms = _string_list(data, "platforms", path, ["local"]) or systems.platforms()
    architectures = _string_list(data, "architectures", path, ["x64"]) or list(ARCHITECTURES)
    languages_raw = data.get("languages")
    languages: dict[str, Sequence[str] | None] | None = None
    if languages_raw is not None:
        if not isinstance(languages_raw, dict):
            raise ConfigError(f"matrix {str(path)!r}: [languages] must map language names to versions")
        languages = {str(k): _string_list(languages_raw, k, path, None) for k in languages_raw}
    include_raw = data.get("include", [])
    if not isinstance(include_raw, list) or not all(isinstance(i, dict) for i in include_raw):
        raise ConfigError(f"matrix {str(path)!r}: [[include]] entries must be tables")
    include = []
    for entry in include_raw:
        missing = [k for k in INCLUDE_KEYS if not isinstance(entry.get(k), str)]
        if missing:
            raise ConfigError(f"matrix {str(path)!r}: an [[include]] entry lacks {missing[0]!r}")
        include.append(ImageRequest(**{k: entry[k] for k in INCLUDE_KEYS}))
    concurrency = data.get("concurrency")
    if concurrency is not None and (not isinstance(concurrency, int) or concurrency < 1):
        raise InvalidValue("concurrency", concurrency, "a whole number of at least 1")
    if not benchmarks and not include and not list_benchmarks(benchmarks_dir):
        raise UsageError(f"matrix {str(path)!r} selects no benchmarks")
    matrix = expand(systems, benchmarks_dir, benchmarks, platforms, languages, architectures, include)
    return matrix, concurrency


def choose_concurrency(given: int | None, from_file: int | None = None) -> int:
    """Images at once: the one asked for, else the matrix file's ``concurrency``, else 2."""
    return given or from_file or DEFAULT_CONCURRENCY
