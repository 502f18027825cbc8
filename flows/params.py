"""Flow parameters: what every image of a run shares, as the strings a UI or deployment passes,
and the Workspace they make."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from faasforge.registries import open_workspace

from faasforge.model import ImageRequest
from faasforge.pipeline import Workspace
from faasforge.settings import Settings

Platform = Literal["local", "aws", "gcp", "azure", "openwhisk"]
Language = Literal["python", "nodejs"]
Arch = Literal["x64", "arm64"]
TagStyle = Literal["hash", "sebs"]


@dataclass(frozen=True)
class SharedParams:
    """The parameters of ``build_image``, ``build_images`` and ``nightly_matrix`` besides the
    image itself; ``as_params()`` hands them on to another flow or deployment run."""

    registry: str | None = None
    repository: str | None = None
    force: bool = False
    tag_style: str = "hash"
    benchmarks_dir: str | None = None
    systems_config: str | None = None
    registries_config: str | None = None

    def as_params(self) -> dict[str, Any]:
        """The parameters that are set (a deployment's defaults stand for the others)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def settings(self) -> Settings:
        defaults = Settings()
        return Settings(
            benchmarks_dir=_path(self.benchmarks_dir) or defaults.benchmarks_dir,
            systems_config=_path(self.systems_config) or defaults.systems_config,
            registry=self.registry or None,
            repository=self.repository or None,
            tag_style=self.tag_style,
            registries_config=_path(self.registries_config) or defaults.registries_config,
        )

    def workspace(self) -> Workspace:
        return open_workspace(self.settings())


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def to_request(image: dict[str, Any] | ImageRequest) -> ImageRequest:
    """A matrix cell given as flow parameters (platform and architecture default local, x64)."""
    if isinstance(image, ImageRequest):
        return image
    return ImageRequest(
        platform=str(image.get("platform", "local")),
        benchmark=str(image["benchmark"]),
        language=str(image["language"]),
        version=str(image["version"]),
        architecture=str(image.get("architecture", "x64")),
    )
