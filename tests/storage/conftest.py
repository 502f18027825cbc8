"""Node.js dependencies of faasforge's own helpers for host-side tests: every platform's
``deployment.packages`` of config/systems.json, installed once per pin set with npm (the registry
is the only thing reached) into pytest's cache."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, services_required


def helper_packages() -> dict[str, str]:
    systems = json.loads((ROOT / "config" / "systems.json").read_text())
    merged: dict[str, str] = {}
    for name, platform in systems.items():
        deployment = platform.get("languages", {}).get("nodejs", {}).get("deployment", {}) if name != "general" else {}
        for package, version in (deployment.get("packages") or {}).items():
            if merged.get(package, version) != version:
                raise AssertionError(f"{package}: two pins in config/systems.json ({merged[package]}, {version})")
            merged[package] = version
    return merged


@pytest.fixture(scope="session")
def node_modules(request: pytest.FixtureRequest) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        message = "node and npm are needed for the Node.js helper tests (apt-get install nodejs npm)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    packages = helper_packages()
    digest = hashlib.sha256(json.dumps(packages, sort_keys=True).encode()).hexdigest()[:16]
    root = Path(request.config.cache.mkdir(f"faasforge-node-helpers-{digest}"))
    if not (root / "node_modules" / ".complete").is_file():
        (root / "package.json").write_text(json.dumps({"name": "helpers", "version": "1.0.0", "dependencies": packages}))
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--omit=dev", "--no-package-lock"],
            cwd=root, capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (root / "node_modules" / ".complete").write_text("\n".join(sorted(packages)))
    return root / "node_modules"
