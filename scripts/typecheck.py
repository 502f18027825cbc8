#!/usr/bin/env python3
"""Run mypy (strict, settings from pyproject.toml) on the faasforge package as it installs.

flows/, tasks/ and registries/ install as faasforge.flows, faasforge.tasks and
faasforge.registries (setuptools' package-dir), which mypy cannot follow in a checkout. This
lays the package out in a temporary directory of symlinks, as a wheel would, and checks that.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = {"flows": "flows", "tasks": "tasks", "registries": "registries"}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="faasforge-typecheck-") as tmp:
        package = Path(tmp) / "faasforge"
        package.mkdir()
        for source in (ROOT / "faasforge").glob("*.py"):
            (package / source.name).symlink_to(source)
        for sub in (ROOT / "faasforge").glob("*/__init__.py"):  # subpackages (faasforge/languages)
            (package / sub.parent.name).symlink_to(sub.parent, target_is_directory=True)
        for name, folder in SUBPACKAGES.items():
            (package / name).symlink_to(ROOT / folder, target_is_directory=True)
        cmd = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "-p", "faasforge"]
        return subprocess.call(cmd, cwd=tmp)


if __name__ == "__main__":
    sys.exit(main())
