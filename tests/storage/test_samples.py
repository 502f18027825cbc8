"""The storage and nosql samples, run on the host with faasforge's ``local`` helpers against moto:
their input.py prepares the bucket/table as SeBS would, the function answers, and the sample's own
validate_output accepts the answer (and the stored thumbnail). The images: tests/storage/test_images.py."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.storage.support import THUMBNAIL, TODO_LIST, SeBSInput, copy_helpers

SIZES = ("test", "small", "large")


def run_python_sample(sample: Path, tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, event: dict):
    """Lay the function out as an image does (function/ + helpers) under a unique package name."""
    package = f"faasforge_sample_{uuid.uuid4().hex[:8]}"
    code = tmp_path / package
    shutil.copytree(sample / "python", code)
    copy_helpers("local", "python", code)
    (code / "__init__.py").write_text("")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = __import__(f"{package}.function", fromlist=["handler"])
        return module.handler(json.loads(json.dumps(event)))
    finally:
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]


@pytest.fixture(scope="session")
def sample_node_modules(request: pytest.FixtureRequest, node_modules: Path) -> str:
    """NODE_PATH with the helpers' packages and the samples' own dependencies (jpeg-js)."""
    dependencies: dict[str, str] = {}
    for sample in (THUMBNAIL, TODO_LIST):
        dependencies |= json.loads((sample / "nodejs" / "package.json").read_text()).get("dependencies", {})
    digest = hashlib.sha256(json.dumps(dependencies, sort_keys=True).encode()).hexdigest()[:16]
    root = Path(request.config.cache.mkdir(f"faasforge-sample-deps-{digest}"))
    if not (root / "node_modules" / ".complete").is_file():
        (root / "package.json").write_text(json.dumps({"name": "samples", "version": "1.0.0", "dependencies": dependencies}))
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"], cwd=root,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        (root / "node_modules" / ".complete").write_text("")
    return f"{root / 'node_modules'}{os.pathsep}{node_modules}"


def run_node_sample(sample: Path, tmp_path: Path, env: dict[str, str], node_path: str, event: dict):
    code = tmp_path / "function"
    shutil.copytree(sample / "nodejs", code)
    copy_helpers("local", "nodejs", code)
    script = ("require(process.argv[1]).handler(JSON.parse(process.argv[2]))"
              ".then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); })")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MINIO_", "NOSQL_"))}
    done = subprocess.run(["node", "-e", script, str(code / "function.js"), json.dumps(event)],
                          env=base | env | {"NODE_PATH": node_path, "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("size", SIZES)
def test_thumbnail_python(size: str, moto_storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = SeBSInput(THUMBNAIL, size, moto_storage)
    output = run_python_sample(THUMBNAIL, tmp_path, moto_storage.env_local(), monkeypatch, prepared.config)
    assert prepared.validate(output, "python") is None
    assert output["result"]["key"] in moto_storage.keys(prepared.bucket, prepared.output_paths[0])


@pytest.mark.parametrize("size", SIZES)
def test_thumbnail_nodejs(size: str, moto_storage, tmp_path: Path, sample_node_modules: str) -> None:
    prepared = SeBSInput(THUMBNAIL, size, moto_storage)
    output = run_node_sample(THUMBNAIL, tmp_path, moto_storage.env_local(), sample_node_modules, prepared.config)
    assert prepared.validate(output, "nodejs") is None
    assert output["result"]["key"] in moto_storage.keys(prepared.bucket, prepared.output_paths[0])


@pytest.mark.parametrize("size", SIZES)
def test_todo_list_python(size: str, moto_storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = SeBSInput(TODO_LIST, size, moto_storage)
    output = run_python_sample(TODO_LIST, tmp_path, moto_storage.env_local(prepared.tables), monkeypatch, prepared.config)
    assert prepared.validate(output, "python") is None


@pytest.mark.parametrize("size", SIZES)
def test_todo_list_nodejs(size: str, moto_storage, tmp_path: Path, sample_node_modules: str) -> None:
    prepared = SeBSInput(TODO_LIST, size, moto_storage)
    output = run_node_sample(TODO_LIST, tmp_path, moto_storage.env_local(prepared.tables), sample_node_modules,
                             prepared.config)
    assert prepared.validate(output, "nodejs") is None


def test_validate_output_rejects_wrong_answers(moto_storage) -> None:
    """The checks can fail: a missing key, a key outside the output prefix, a wrong list."""
    thumbnail = SeBSInput(THUMBNAIL, "test", moto_storage)
    assert "no thumbnail key" in thumbnail.validate({"result": {}}, "python")
    assert "not under the output prefix" in thumbnail.validate({"result": {"key": "elsewhere/x.jpg"}}, "python")
    todo = SeBSInput(TODO_LIST, "small", moto_storage)
    assert "expected" in todo.validate({"result": [{"items": [], "open": [], "done": []}]}, "python")
