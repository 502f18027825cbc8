"""Benchmarks in SeBS layout: ``{benchmarks_dir}/{group}/{NNN.name}/{language}/`` + ``config.json``."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faasforge.errors import ConfigError, InvalidValue, UsageError

NAME_RULE = "lowercase letters, digits and single '.', '-' or '_' between them (e.g. 110.dynamic-html)"
_NAME = re.compile(r"^[0-9a-z]+(?:[._-][0-9a-z]+)*$")
NOT_GROUPS = {"wrappers", "__pycache__"}
# config.json ``modules`` SeBS knows (sebs_types.BenchmarkModule); each pulls in a wrapper helper
# (storage.py / nosql.py, .js) and the deployment's ``module_packages`` entry.
MODULES = ("storage", "nosql")
DEFAULT_VARIANT = "default"  # the only language variant faasforge builds (SeBS's default)


@dataclass(frozen=True)
class Benchmark:
    """One benchmark directory and its config.json."""

    name: str
    path: Path
    config: dict[str, Any]

    @property
    def languages(self) -> list[str]:
        declared = self.config.get("languages")
        if isinstance(declared, list) and declared:
            return [name for name, _ in _language_specs(declared)]
        return sorted(p.name for p in self.path.iterdir() if p.is_dir())

    def variants(self, language: str) -> list[str]:
        """SeBS's language variants for ``language`` (``["default"]`` for a plain name)."""
        declared = self.config.get("languages")
        if isinstance(declared, list):
            for name, variants in _language_specs(declared):
                if name == language:
                    return variants
        return [DEFAULT_VARIANT]

    @property
    def modules(self) -> tuple[str, ...]:
        """config.json ``modules`` (validated by read_config): storage, nosql."""
        declared = self.config.get("modules") or []
        return tuple(str(m) for m in declared)

    def language_dir(self, language: str) -> Path:
        """The benchmark's code for ``language``; one clear line when it is missing."""
        path = self.path / language
        if language not in self.languages:
            raise InvalidValue(f"language for benchmark {self.name!r}", language, self.languages)
        variants = self.variants(language)
        if DEFAULT_VARIANT not in variants:
            raise UsageError(
                f"benchmark {self.name!r} implements {language} only as language variant(s) "
                f"{', '.join(variants)} (config.json languages); faasforge builds SeBS's "
                f"{DEFAULT_VARIANT!r} variant only"
            )
        if not path.is_dir():
            raise UsageError(
                f"benchmark {self.name!r} declares language {language!r} but has no directory "
                f"{str(path)!r}"
            )
        _check_readable(path, f"{language} directory of benchmark {self.name!r}")
        return path


def validate_name(name: str) -> str:
    if not _NAME.match(name) or len(name) > 64:
        raise InvalidValue("benchmark name", name, NAME_RULE)
    return name


def check_benchmarks_dir(benchmarks_dir: Path) -> None:
    if not benchmarks_dir.exists():
        raise ConfigError(f"benchmarks directory {str(benchmarks_dir)!r} does not exist")
    if not benchmarks_dir.is_dir():
        raise ConfigError(f"benchmarks directory {str(benchmarks_dir)!r} is not a directory")
    if not os.access(benchmarks_dir, os.R_OK | os.X_OK):
        raise ConfigError(f"benchmarks directory {str(benchmarks_dir)!r} is not readable")


def list_benchmarks(benchmarks_dir: Path) -> dict[str, Path]:
    """Benchmark name → directory, for every ``{group}/{name}/config.json`` found."""
    check_benchmarks_dir(benchmarks_dir)
    found: dict[str, Path] = {}
    try:
        groups = sorted(p for p in benchmarks_dir.iterdir() if p.is_dir())
    except OSError as exc:
        raise ConfigError(f"benchmarks directory {str(benchmarks_dir)!r} cannot be listed: {exc.strerror}") from None
    for group in groups:
        if group.name in NOT_GROUPS or group.name.startswith("."):
            continue
        try:
            children = sorted(group.iterdir())
        except OSError:
            continue
        for child in children:
            try:
                is_benchmark = (child / "config.json").is_file()
            except OSError:  # no permission to look inside: find_benchmark says so if it is wanted
                is_benchmark = child.is_dir()
            if is_benchmark:
                found.setdefault(child.name, child)
    return found


def _check_readable(path: Path, what: str) -> None:
    if not os.access(path, os.R_OK | os.X_OK):
        raise UsageError(
            f"the {what} {str(path)!r} cannot be read (permission denied); allowed: a directory "
            "the user running faasforge may list and enter"
        )


def find_benchmark(benchmarks_dir: Path, name: str) -> Benchmark:
    """Look a benchmark up by name and read its config.json."""
    validate_name(name)
    available = list_benchmarks(benchmarks_dir)
    if not available:
        raise ConfigError(
            f"benchmarks directory {str(benchmarks_dir)!r} holds no benchmarks "
            "(expected {group}/{NNN.name}/config.json)"
        )
    if name not in available:
        raise InvalidValue("benchmark", name, available)
    path = available[name]
    _check_readable(path, f"directory of benchmark {name!r}")
    return Benchmark(name=name, path=path, config=read_config(path / "config.json"))


def read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    except OSError as exc:
        raise ConfigError(f"{str(path)!r} cannot be read: {exc.strerror}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{str(path)!r} must hold a JSON object")
    languages = data.get("languages")
    if languages is not None and not (
        isinstance(languages, list) and all(_is_language_spec(x) for x in languages)
    ):
        raise ConfigError(
            f"{str(path)!r}: 'languages' must be a list of language names or SeBS language "
            'variant objects ({"language": "nodejs", "variants": ["default", ...]})'
        )
    modules = data.get("modules")
    if modules is not None:
        if not isinstance(modules, list) or not all(isinstance(m, str) for m in modules):
            raise ConfigError(
                f"{str(path)!r}: 'modules' must be a list of module names; allowed: {', '.join(MODULES)}"
            )
        for module in modules:
            if module not in MODULES:
                raise ConfigError(
                    f"{str(path)!r}: unknown module {module!r} in 'modules'; allowed: {', '.join(MODULES)}"
                )
    return data


def _is_language_spec(value: object) -> bool:
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, dict) or not isinstance(value.get("language"), str):
        return False
    variants = value.get("variants", [DEFAULT_VARIANT])
    return isinstance(variants, list) and bool(variants) and all(
        isinstance(v, str) and v for v in variants
    )


def _language_specs(declared: list[Any]) -> list[tuple[str, list[str]]]:
    """(language, variants) per config.json ``languages`` entry, as SeBS's LanguageSpec reads it."""
    specs = []
    for entry in declared:
        if isinstance(entry, str):
            specs.append((entry, [DEFAULT_VARIANT]))
        else:
            specs.append((str(entry["language"]), [str(v) for v in entry.get("variants", [DEFAULT_VARIANT])]))
    return specs
