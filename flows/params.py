"""Flow parameters: what every image of a run shares, as the strings a UI or deployment passes,
and the Workspace they make."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, TypeVar, get_type_hints

from faasforge.registries import open_workspace

from faasforge.errors import ConfigError
from faasforge.model import ImageRequest
from faasforge.pipeline import Workspace
from faasforge.resources import config_dir
from faasforge.settings import Settings

Platform = Literal["local", "aws", "gcp", "azure", "openwhisk"]
Language = Literal["python", "nodejs"]
Arch = Literal["x64", "arm64"]
TagStyle = Literal["hash", "sebs"]
DEFAULT_MATRIX_FILE = "config/nightly.toml"
R = TypeVar("R")


def _param(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class SharedParams:
    """The parameters of ``build_image`` and ``build_images`` (``nightly_matrix``) besides the
    images themselves; ``as_params()`` hands them on to another flow or deployment run. Each
    field's ``doc`` is its description in the flows' parameter schema (``with_shared_params``)."""

    registry: str | None = _param(
        None, "registry host[:port][/namespace] (default: the platform's, 127.0.0.1:5000 for local)"
    )
    repository: str | None = _param(None, "repository name in the registry (default: the platform's convention)")
    force: bool = _param(False, "rebuild even if the registry already holds the tag")
    tag_style: TagStyle = _param("hash", "hash (content-addressed tags) or sebs (SeBS's tags)")
    benchmarks_dir: str | None = _param(
        None, "benchmarks directory on the build host (default: faasforge's samples)"
    )
    systems_config: str | None = _param(
        None, "systems.json on the build host (default: faasforge's config/systems.json)"
    )
    registries_config: str | None = _param(
        None, "cloud registries TOML on the build host (default: $FAASFORGE_REGISTRIES_CONFIG)"
    )
    smoke_event: dict[str, Any] | None = _param(
        None, "build --smoke: call each image built in the run once with this event"
    )

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


def with_shared_params(fn: Callable[..., R]) -> Callable[..., R]:
    """``fn(..., *, shared: SharedParams, ...)`` as a function that takes SharedParams' fields one
    by one, in ``shared``'s place, typed, with their defaults, and documented in its docstring's
    ``Args:`` (which must be its last section, if it has one): Prefect reads a flow's parameter
    schema (the UI's form, a deployment's parameters) from the signature and docstring, so each
    field appears there as a parameter of its own. A field ``fn`` declares itself (``smoke_event``)
    keeps ``fn``'s place and description and reaches ``fn`` both ways. ``fn`` is called with
    keyword arguments only."""
    own = inspect.signature(fn, eval_str=True)
    hints = get_type_hints(SharedParams)
    expanded = [f for f in fields(SharedParams) if f.name not in own.parameters]
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params: list[inspect.Parameter] = []
    for p in own.parameters.values():
        if p.name == "shared":
            params += [inspect.Parameter(f.name, keyword, default=f.default, annotation=hints[f.name])
                       for f in expanded]
        else:
            params.append(p.replace(kind=keyword))
    signature = own.replace(parameters=params)
    names = [p.name for p in own.parameters.values() if p.name != "shared"]

    def with_params(*args: Any, **kwargs: Any) -> R:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = bound.arguments
        shared = SharedParams(**{f.name: values[f.name] for f in fields(SharedParams)})
        return fn(**{name: values[name] for name in names}, shared=shared)

    doc = inspect.cleandoc(fn.__doc__ or "")
    _, args, after = f"\n{doc}".partition("\nArgs:\n")
    if any(line and not line.startswith(" ") for line in after.splitlines()):
        raise TypeError(f"{fn.__qualname__}: with_shared_params needs Args: as the docstring's last section")
    doc += "" if args else "\n\nArgs:"
    with_params.__doc__ = doc + "".join(f"\n    {f.name}: {f.metadata['doc']}" for f in expanded)
    with_params.__signature__ = signature  # type: ignore[attr-defined]
    for attribute in ("__module__", "__name__", "__qualname__"):
        setattr(with_params, attribute, getattr(fn, attribute))
    return with_params


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def resolve_matrix_file(matrix_file: str) -> Path:
    """A path as given (relative to the working directory), else one of faasforge's own
    ``config/`` files by name (``config/nightly.toml``)."""
    path = Path(matrix_file).expanduser()
    if path.is_absolute() or path.exists():
        return path
    parts = path.parts
    candidate = config_dir().joinpath(*(parts[1:] if parts[:1] == ("config",) else parts))
    if candidate.exists():
        return candidate
    raise ConfigError(f"matrix file {matrix_file!r} does not exist (looked in {Path.cwd()} and {config_dir()})")


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
