"""faasforge as a user installs it from a package index: a wheel built from this tree, installed
into a fresh virtual environment outside the checkout, run from another directory. Its
dependencies come from this interpreter's site-packages (--system-site-packages); faasforge
itself only from the wheel (--no-deps), so nothing resolves relative to the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import cli_environment, registry_digest, run_cli

pytestmark = [pytest.mark.docker, pytest.mark.prefect, pytest.mark.slow]

NOT_SHIPPED = shutil.ignore_patterns(
    ".git", "__pycache__", "*.pyc", "*.egg-info", "build", "dist", "test-artifacts", ".*_cache", "node_modules",
)


def _run(*argv: str | Path, cwd: Path) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{argv}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv's bin directory, faasforge installed there from a wheel of a copy of this tree
    (building in the copy leaves the checkout as it is)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED, symlinks=True)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist", source,
         cwd=work)
    (wheel,) = (work / "dist").glob("faasforge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "faasforge/config/systems.json" in names and "faasforge/flows/build.py" in names
    # the shared wrapper layer and the manifests that name it (staging fails without either)
    assert {"faasforge/wrappers/local/python/shared.txt", "faasforge/wrappers/shared/minio/python/storage.py",
            "faasforge/wrappers/shared/handler/java/src/main/java/org/serverlessbench/Measurement.java"} <= set(names)
    assert not any(n.split("/")[0] in ("flows", "tasks", "registries", "config") for n in names)  # no bare names
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=work)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=work)
    return venv / "bin"


def test_the_installed_package_is_the_wheels_not_the_checkouts(installed: Path, tmp_path: Path) -> None:
    where = _run(
        installed / "python", "-c",
        "import faasforge, faasforge.flows.build as b; from faasforge.resources import samples_dir; "
        "print(faasforge.__file__); print(b.__file__); print(samples_dir())",
        cwd=tmp_path,
    ).split()
    venv = installed.parent.resolve()
    assert all(Path(p).resolve().is_relative_to(venv) for p in where), where


def test_plan_and_build_a_sample_from_another_directory(
    installed: Path, tmp_path: Path, local_registry: str, repository: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = cli_environment(tmp_path)
    image = ["--benchmark", "010.sleep", "--language", "python", "--registry", local_registry,
             "--repository", repository, "--json"]
    faasforge = [str(installed / "faasforge")]

    plan = run_cli(["plan", *image], env, cwd=elsewhere, command=faasforge).records()
    assert [(row["action"], row["reason"]) for row in plan] == [("build", "content not in registry")]

    (record,) = run_cli(["build", *image], env, cwd=elsewhere, command=faasforge, timeout=900).records()
    assert record["image_uri"] == plan[0]["image_uri"]
    assert record["rebuilt"] is True and record["digest"] == registry_digest(record["image_uri"])
    assert not list(elsewhere.iterdir())  # nothing written where it ran
