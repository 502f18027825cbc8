"""Build a Workspace from flow parameters (strings a UI or deployment can pass)."""

from __future__ import annotations

from pathlib import Path

from faasforge.pipeline import Workspace
from faasforge.settings import Settings


def make_workspace(
    registry: str | None = None,
    repository: str | None = None,
    tag_style: str = "hash",
    benchmarks_dir: str | None = None,
    systems_config: str | None = None,
) -> Workspace:
    defaults = Settings()
    settings = Settings(
        benchmarks_dir=Path(benchmarks_dir).expanduser() if benchmarks_dir else defaults.benchmarks_dir,
        systems_config=Path(systems_config).expanduser() if systems_config else defaults.systems_config,
        registry=registry or None,
        repository=repository or None,
        tag_style=tag_style,
    )
    return Workspace.from_settings(settings)
