"""SeBS's dependency rule, deployment packages and init.sh in real images (real engine, real
registry; arm64 under QEMU)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faasforge.model import ImageRequest
from faasforge.pipeline import Workspace, build_staged, resolve_image, stage_context
from faasforge.resources import config_dir
from faasforge.settings import Settings, faasforge_home
from faasforge.staging import remove_context
from tests.helpers import registry_tags, tree_fingerprint

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# Two versions of a small pure-Python package: .3.11 and .arm.3.11 conflict, as SeBS's own
# 210.thumbnailer pins (Pillow 9.0.0 vs 10.0.0) do; installing both files would fail.
X64_PIN, ARM_PIN = "six==1.16.0", "six==1.17.0"
INIT = """#!/bin/bash
echo "$3" > "$1/arch.txt"
echo "init ran for $3"
"""
PROBE = (
    "import importlib.metadata as m, pathlib; "
    "print(m.version('six'), m.version('idna'), pathlib.Path('/function/function/arch.txt').read_text().strip())"
)


def pinned_benchmark(root: Path) -> Path:
    bench = root / "900.tests" / "900.pins"
    code = bench / "python"
    code.mkdir(parents=True)
    (bench / "config.json").write_text(json.dumps({"timeout": 10, "memory": 128, "languages": ["python"], "modules": []}))
    (code / "function.py").write_text("def handler(event):\n    return {'ok': True}\n")
    (code / "requirements.txt").write_text("# nothing for every version\n")
    (code / "requirements.txt.3.11").write_text(X64_PIN + "\n")
    (code / "requirements.txt.arm.3.11").write_text(ARM_PIN + "\n")
    (code / "init.sh").write_text(INIT)  # no exec bit, as SeBS's own: run through /bin/bash
    return bench


def systems_with_package(tmp_path: Path) -> Path:
    data = json.loads((config_dir() / "systems.json").read_text())
    data["local"]["languages"]["python"]["deployment"] = {
        "files": ["handler.py"], "packages": ["idna==3.10"], "module_packages": {}}
    path = tmp_path / "systems.json"
    path.write_text(json.dumps(data))
    return path


def test_each_architecture_gets_the_pin_sebs_rule_picks_plus_deployment_packages_and_init_output(
    docker_engine, local_registry: str, tmp_path: Path, repository: str
) -> None:
    benchmarks = tmp_path / "benchmarks"
    bench = pinned_benchmark(benchmarks)
    before = tree_fingerprint(bench)
    ws = Workspace.from_settings(Settings(
        benchmarks_dir=benchmarks, systems_config=systems_with_package(tmp_path),
        registry=local_registry, repository=repository,
    ))
    seen = {}
    for arch in ("x64", "arm64"):
        resolved = resolve_image(ImageRequest("local", "900.pins", "python", "3.11", arch), ws)
        context = stage_context(resolved)
        try:
            build_staged(docker_engine, context, resolved)
        finally:
            remove_context(context)
        out = docker_engine.containers.run(resolved.image_uri, ["python3", "-c", PROBE], remove=True)
        seen[arch] = out.decode().split()
        docker_engine.images.remove(resolved.image_uri, force=True)
    assert seen == {"x64": ["1.16.0", "3.10", "x64"], "arm64": ["1.17.0", "3.10", "arm64"]}
    assert tree_fingerprint(bench) == before  # init.sh ran on the staged copy only


def test_failing_init_sh_fails_the_build_in_one_line_nothing_pushed_or_recorded(
    local_registry: str, tmp_path: Path, repository: str
) -> None:
    benchmarks = tmp_path / "benchmarks"
    bench = pinned_benchmark(benchmarks)
    (bench / "python" / "init.sh").write_text("echo fetching ffmpeg\necho 'curl: (6) Could not resolve host' >&2\nexit 6\n")
    env = dict(os.environ, FAASFORGE_HOME=str(faasforge_home()))
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")  # a busy shared machine
    done = subprocess.run(
        [sys.executable, "-m", "faasforge", "build", "--benchmark", "900.pins", "--benchmarks-dir", str(benchmarks),
         "--registry", local_registry, "--repository", repository],
        capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("faasforge: error:")]
    assert len(errors) == 1, done.stderr[-2000:]
    assert "init script 'python/init.sh' failed (exited with status 6)" in errors[0]
    assert "Could not resolve host" in errors[0]
    assert registry_tags(local_registry, repository) == []
    catalog = faasforge_home() / "catalog.sqlite"
    if catalog.exists():
        from faasforge.catalog import Catalog

        assert Catalog(catalog).all() == []
