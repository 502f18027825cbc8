"""Where faasforge's own data lives: templates, wrappers, configs and samples.

They ship as package data (``faasforge.dockerfiles``, ``faasforge.wrappers``, ``faasforge.config``,
``faasforge.samples``; the checkout's top-level folders of the same names) and are found through
importlib.resources, so an installed wheel works from any directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["config_dir", "dockerfiles_dir", "samples_dir", "wrappers_dir"]


def _package_dir(package: str) -> Path:
    # Installed wheels and editable installs both put these packages on the file system.
    return Path(str(resources.files(package)))


def dockerfiles_dir() -> Path:
    """``dockerfiles/{platform}/{language}/Dockerfile.function`` templates."""
    return _package_dir("faasforge.dockerfiles")


def wrappers_dir() -> Path:
    """faasforge's own platform glue, ``wrappers/{platform}/{language}/``."""
    return _package_dir("faasforge.wrappers")


def config_dir() -> Path:
    """``systems.json`` and the example matrix and registries files."""
    return _package_dir("faasforge.config")


def samples_dir() -> Path:
    """The sample benchmarks (SeBS layout): the default ``--benchmarks-dir``."""
    return _package_dir("faasforge.samples")
