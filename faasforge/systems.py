"""``systems.json`` in SeBS's format: which base image serves each platform/language/version/arch.

Shape (SeBS ``configs/systems.json``)::

    {"general": {"docker_repository": "..."},
     "<platform>": {"architecture": ["x64", "arm64"],
                    "languages": {"<language>": {"base_images": {"<arch>": {"<version>": "<image>"}}}}}}

Older SeBS files map versions straight to images (``"base_images": {"3.8": "..."}``); those are
read as x64-only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faasforge.errors import ConfigError, InvalidValue
from faasforge.model import ARCHITECTURES, ImageRequest
from faasforge.overlay import load_overlay, merge_patch

NON_PLATFORM_KEYS = {"general"}


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
        if overlay is not None:
            data = merge_patch(data, load_overlay(overlay))
        systems = cls(path=path, data=data)
        for platform in systems.platforms():
            systems._base_images(platform)  # validate shape early, one clear line
        return systems

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
