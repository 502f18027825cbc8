"""``systems.json`` in SeBS's format: which base image serves each platform/language/version/arch.

Shape (SeBS ``configs/systems.json``)::

    {"general": {"docker_repository": "..."},
     "<platform>": {"architecture": ["x64", "arm64"],
                    "languages": {"<language>": {"base_images": {"<arch>": {"<version>": "<image>"}}}}}}

Older SeBS files map versions straight to images (``"base_images": {"3.8": "..."}``); those are
read as x64-only.

Each language may carry SeBS's ``deployment`` section, read as SeBS reads it::

    "deployment": {"files": ["handler.py", "storage.py"],        # wrapper files the platform ships
                   "packages": ["pkg==1.0"],                      # python: requirement lines
                                                                  # nodejs: {"name": "version"}
                   "module_packages": {"storage": ["minio"],      # per config.json module
                                       "nosql": {"boto3": "x"}}}  # (python: a map's keys, as SeBS)

``general.SeBS_version`` names the SeBS release the file matches (``--tag-style sebs``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from faasforge.errors import ConfigError, InvalidValue
from faasforge.model import ARCHITECTURES, ImageRequest
from faasforge.overlay import load_overlay, merge_patch

NON_PLATFORM_KEYS = {"general"}
UNKNOWN_SEBS_VERSION = "unknown"  # what SeBS itself uses when general.SeBS_version is absent
# Languages whose ``packages`` are pip requirement lines; every other language's are a
# name -> version map (Node.js, Java's Maven coordinates).
LINE_PACKAGE_LANGUAGES = {"python"}


@dataclass(frozen=True)
class Packages:
    """Dependencies a deployment adds: pip requirement lines, or name -> version pairs."""

    lines: tuple[str, ...] = ()
    versions: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.lines or self.versions)


@dataclass(frozen=True)
class Deployment:
    """``{platform}.languages.{language}.deployment`` of a systems config.

    ``files`` is None when the section (or its ``files`` key) is absent: then every wrapper
    file goes in, as before deployment sections existed.
    """

    files: tuple[str, ...] | None = None
    packages: Packages = Packages()
    module_packages: Mapping[str, Packages] = field(default_factory=dict)

    def packages_for(self, modules: tuple[str, ...] | list[str]) -> list[tuple[str, Packages]]:
        """``packages`` then ``module_packages`` of each module, in the benchmark's order."""
        found = [("packages", self.packages)]
        for module in modules:
            if module in self.module_packages:
                found.append((f"module_packages.{module}", self.module_packages[module]))
        return found


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Sort ``3.9`` before ``3.10``: numeric parts as numbers."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))


@dataclass(frozen=True)
class Systems:
    """A parsed systems.json."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def load(cls, path: Path, overlay: Path | None = None) -> Systems:
        """Read ``path``; ``overlay`` (faasforge.overlay, a JSON merge patch) is applied over it."""
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"systems config {str(path)!r} does not exist") from None
        except OSError as exc:
            raise ConfigError(f"systems config {str(path)!r} cannot be read: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"systems config {str(path)!r} is not valid JSON: {exc.msg} at line {exc.lineno}"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"systems config {str(path)!r} must hold a JSON object")
        systems = cls(path=path, data=data)._validated()
        if overlay is not None:  # the file is checked on its own first, so its errors name it
            systems = cls(path=path, data=merge_patch(data, load_overlay(overlay)))._validated()
        return systems

    def _validated(self) -> Systems:
        for platform in self.platforms():
            self._base_images(platform)  # validate shape early, one clear line
            for language in self._base_images(platform):
                self.deployment(platform, language)
        self.sebs_version()
        return self

    def _error(self, key: str, allowed: str, value: object) -> ConfigError:
        return ConfigError(
            f"systems config {str(self.path)!r}: {key} must be {allowed}; got {_describe(value)}"
        )

    def sebs_version(self) -> str:
        """``general.SeBS_version`` (SeBS's own fallback, ``unknown``, when absent)."""
        general = self.data.get("general", {})
        if not isinstance(general, dict):
            raise self._error("general", "an object", general)
        version = general.get("SeBS_version", UNKNOWN_SEBS_VERSION)
        if not isinstance(version, str) or not version.strip():
            raise self._error("general.SeBS_version", "a version string such as \"1.2.1\"", version)
        return version.strip()

    def deployment(self, platform: str, language: str) -> Deployment:
        """The language's ``deployment`` section, validated; an empty one when absent."""
        spec = self.data[platform]["languages"].get(language)
        key = f"{platform}.languages.{language}.deployment"
        section = spec.get("deployment") if isinstance(spec, dict) else None
        if section is None:
            return Deployment()
        if not isinstance(section, dict):
            raise self._error(key, "an object with files, packages and module_packages", section)
        files: tuple[str, ...] | None = None
        if "files" in section:
            raw = section["files"]
            if not isinstance(raw, list) or not all(_is_relative_name(f) for f in raw):
                raise self._error(
                    f"{key}.files",
                    "a list of wrapper file names relative to the wrappers directory (no '..', "
                    "not absolute)",
                    raw,
                )
            files = tuple(str(PurePosixPath(f)) for f in raw)
        packages = self._packages(f"{key}.packages", language, section.get("packages"))
        modules_raw = section.get("module_packages", {})
        if modules_raw is None:
            modules_raw = {}
        if not isinstance(modules_raw, dict):
            raise self._error(
                f"{key}.module_packages", "an object mapping module names (storage, nosql) to packages",
                modules_raw,
            )
        module_packages = {
            str(module): self._packages(f"{key}.module_packages.{module}", language, value)
            for module, value in modules_raw.items()
        }
        return Deployment(files=files, packages=packages, module_packages=module_packages)

    def _packages(self, key: str, language: str, value: object) -> Packages:
        """SeBS's shapes: python iterates the value (a list's items, a map's keys); Node.js and
        Java read ``name -> version`` pairs (an empty list means none)."""
        if value is None:
            return Packages()
        if language in LINE_PACKAGE_LANGUAGES:
            if isinstance(value, dict):
                value = list(value)
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() and "\n" not in v for v in value
            ):
                raise self._error(
                    key, 'a list of pip requirement strings (e.g. ["minio==7.2.0"]) or an object '
                    "whose keys are package names", value,
                )
            return Packages(lines=tuple(v.strip() for v in value))
        if isinstance(value, list) and not value:
            return Packages()
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and k.strip() and isinstance(v, str) and v.strip()
            for k, v in value.items()
        ):
            raise self._error(
                key, 'an object mapping package names to versions (e.g. {"uuid": "3.4.0"})', value
            )
        return Packages(versions=tuple((k.strip(), v.strip()) for k, v in value.items()))

    def platforms(self) -> list[str]:
        return sorted(
            k for k, v in self.data.items()
            if k not in NON_PLATFORM_KEYS and isinstance(v, dict) and "languages" in v
        )

    def _platform(self, platform: str) -> dict[str, Any]:
        if platform not in self.platforms():
            raise InvalidValue("platform", platform, self.platforms())
        section: dict[str, Any] = self.data[platform]
        return section

    def _base_images(self, platform: str) -> dict[str, dict[str, dict[str, str]]]:
        """language → arch → version → image, normalised."""
        languages = self.data[platform].get("languages")
        if not isinstance(languages, dict):
            raise ConfigError(f"systems config {str(self.path)!r}: {platform}.languages must be an object")
        result: dict[str, dict[str, dict[str, str]]] = {}
        for language, spec in languages.items():
            images = spec.get("base_images") if isinstance(spec, dict) else None
            if not isinstance(images, dict):
                raise ConfigError(
                    f"systems config {str(self.path)!r}: {platform}.languages.{language}.base_images "
                    "must be an object"
                )
            if images and all(isinstance(v, str) for v in images.values()):
                result[language] = {"x64": dict(images)}
                continue
            per_arch: dict[str, dict[str, str]] = {}
            for arch, versions in images.items():
                if not isinstance(versions, dict) or not all(
                    isinstance(v, str) for v in versions.values()
                ):
                    raise ConfigError(
                        f"systems config {str(self.path)!r}: {platform}.languages.{language}."
                        f"base_images.{arch} must map versions to image names"
                    )
                per_arch[arch] = {str(k): v for k, v in versions.items()}
            result[language] = per_arch
        return result

    def languages(self, platform: str) -> list[str]:
        self._platform(platform)
        return sorted(self._base_images(platform))

    def architectures(self, platform: str) -> list[str]:
        """Architectures the platform accepts (``architecture`` key, else those with images)."""
        section = self._platform(platform)
        declared = section.get("architecture")
        if isinstance(declared, list) and declared:
            return [a for a in ARCHITECTURES if a in declared]
        found = {a for langs in self._base_images(platform).values() for a in langs}
        return [a for a in ARCHITECTURES if a in found]

    def versions(self, platform: str, language: str) -> list[str]:
        images = self._base_images(platform)
        if language not in images:
            raise InvalidValue(f"language for platform {platform!r}", language, images)
        return sorted({v for per_arch in images[language].values() for v in per_arch}, key=version_key)

    def validate(self, request: ImageRequest) -> None:
        """Raise one clear InvalidValue for the first bad field of ``request``."""
        self.base_image(request)

    def base_image(self, request: ImageRequest) -> str:
        """The base image for a request; validates platform, language, version and arch."""
        self._platform(request.platform)
        images = self._base_images(request.platform)
        if request.language not in images:
            raise InvalidValue(f"language for platform {request.platform!r}", request.language, images)
        versions = self.versions(request.platform, request.language)
        if request.version not in versions:
            raise InvalidValue(
                f"version of {request.language} for platform {request.platform!r}",
                request.version,
                versions,
            )
        if request.architecture not in ARCHITECTURES:
            raise InvalidValue("architecture", request.architecture, ARCHITECTURES)
        accepted = self.architectures(request.platform)
        if request.architecture not in accepted:
            raise InvalidValue(
                f"architecture for platform {request.platform!r}", request.architecture, accepted
            )
        per_arch = images[request.language].get(request.architecture, {})
        if request.version not in per_arch:
            available = sorted(images[request.language])
            raise InvalidValue(
                f"architecture for {request.language} {request.version} on {request.platform!r}",
                request.architecture,
                [a for a in available if request.version in images[request.language][a]],
            )
        return per_arch[request.version]

    def builder_image(self, request: ImageRequest) -> str:
        """Image for the dependency stage: ``builder_images`` if given, else the base image."""
        spec = self.data[request.platform]["languages"][request.language]
        builders = spec.get("builder_images", {}) if isinstance(spec, dict) else {}
        image = builders.get(request.architecture, {}).get(request.version) if builders else None
        return image if isinstance(image, str) else self.base_image(request)

    def base_repository(self) -> str:
        general = self.data.get("general", {})
        repo = general.get("docker_repository", "") if isinstance(general, dict) else ""
        return repo if isinstance(repo, str) else ""


def _is_relative_name(value: object) -> bool:
    if not isinstance(value, str) or not value.strip() or "\\" in value:
        return False
    path = PurePosixPath(value)
    return not path.is_absolute() and ".." not in path.parts and str(path) != "."


def _describe(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
