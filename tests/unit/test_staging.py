"""Staging: the context layout, the content hash, and that the benchmark is only ever read."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from faasforge.benchmarks import find_benchmark
from faasforge.errors import ConfigError, UsageError
from faasforge.model import ImageRequest
from faasforge.settings import Settings
from faasforge.staging import clean_stale_staging, materialize, plan_context

PY = ImageRequest("local", "110.dynamic-html", "python", "3.11", "x64")
PY_ARM = ImageRequest("local", "110.dynamic-html", "python", "3.11", "arm64")
NODE = ImageRequest("local", "110.dynamic-html", "nodejs", "18", "x64")


def tree_digest(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() + oct(path.stat().st_mode)
        else:
            out[rel] = "dir" + oct(path.stat().st_mode)
    return out


def plan(request: ImageRequest, benchmarks_dir: Path, **settings: object):
    s = Settings(benchmarks_dir=benchmarks_dir, **settings)  # type: ignore[arg-type]
    benchmark = find_benchmark(benchmarks_dir, request.benchmark)
    return plan_context(request, benchmark, s, base_image="base:1", builder_image="base:1")


def paths(p) -> set[str]:
    return {e.relpath for e in p.entries}


def test_python_context_layout(benchmarks_dir: Path) -> None:
    p = plan(PY, benchmarks_dir)
    names = paths(p)
    assert {"Dockerfile", ".dockerignore", "requirements.txt", "handler.py",
            "function/function.py", "function/__init__.py", "function/storage.py",
            "function/templates/template.html", ".faasforge/ca-bundle.crt"} <= names
    assert "function/requirements.txt" not in names and "function/init.sh" not in names
    assert p.build_args["VERSION"] == "3.11" and p.build_args["TARGET_ARCHITECTURE"] == "x64"
    assert set(p.build_args) == {"VERSION", "BASE_IMAGE", "BASE_IMAGE_BUILDER", "TARGET_ARCHITECTURE", "BASE_REPOSITORY"}


def test_per_version_and_arm_requirements_are_honoured(benchmarks_dir: Path) -> None:
    code = benchmarks_dir / "100.webapps/110.dynamic-html/python"
    (code / "requirements.txt.arm.3.11").write_text("arm-only-package==1.0\n")
    req = {e.relpath: e for e in plan(PY, benchmarks_dir).entries}["requirements.txt"].data or b""
    req_arm = {e.relpath: e for e in plan(PY_ARM, benchmarks_dir).entries}["requirements.txt"].data or b""
    assert b"jinja2" in req and b"markupsafe" in req  # requirements.txt + requirements.txt.3.11
    assert b"arm-only-package" not in req and b"arm-only-package" in req_arm


def test_package_json_version_file_replaces_package_json(benchmarks_dir: Path) -> None:
    code = benchmarks_dir / "100.webapps/110.dynamic-html/nodejs"
    (code / "package.json.18").write_text('{"name": "v18", "dependencies": {}}\n')
    entry = {e.relpath: e for e in plan(NODE, benchmarks_dir).entries}["package.json"]
    staged = json.loads(entry.data if entry.data is not None else entry.source.read_bytes())  # type: ignore[union-attr]
    assert staged["name"] == "v18"  # package.json.18 won (the local storage helper's SDK merged in)
    assert "handler.js" in paths(plan(NODE, benchmarks_dir))


def test_hash_is_stable_across_locations_and_tracks_content(benchmarks_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    shutil.copytree(benchmarks_dir, other)
    assert plan(PY, benchmarks_dir).content_hash == plan(PY, other).content_hash
    before = plan(PY, other).content_hash
    (other / "100.webapps/110.dynamic-html/python/function.py").write_text("def handler(e):\n    return 1\n")
    assert plan(PY, other).content_hash != before
    assert plan(PY_ARM, benchmarks_dir).content_hash != plan(PY, benchmarks_dir).content_hash


def test_ca_bundle_is_staged_but_not_hashed(benchmarks_dir: Path, tmp_path: Path) -> None:
    ca1, ca2 = tmp_path / "a.pem", tmp_path / "b.pem"
    ca1.write_text("-----BEGIN CERTIFICATE-----\none\n-----END CERTIFICATE-----\n")
    ca2.write_text("-----BEGIN CERTIFICATE-----\ntwo\n-----END CERTIFICATE-----\n")
    assert plan(PY, benchmarks_dir, ca_bundle=ca1).content_hash == plan(PY, benchmarks_dir, ca_bundle=ca2).content_hash
    with pytest.raises(ConfigError, match="does not exist"):
        plan(PY, benchmarks_dir, ca_bundle=tmp_path / "missing.pem")


def test_secrets_and_vcs_never_enter_the_context(benchmarks_dir: Path) -> None:
    code = benchmarks_dir / "100.webapps/110.dynamic-html/python"
    (code / ".git").mkdir()
    (code / ".git" / "config").write_text("[core]")
    (code / ".env").write_text("TOKEN=secret")
    (code / ".env.local").write_text("TOKEN=secret")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "x.pyc").write_bytes(b"\0")
    names = paths(plan(PY, benchmarks_dir))
    assert not any(".git" in n or ".env" in n or "__pycache__" in n for n in names)


def test_symlink_outside_the_benchmark_is_refused(benchmarks_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("not yours")
    (benchmarks_dir / "100.webapps/110.dynamic-html/python/leak.txt").symlink_to(outside)
    with pytest.raises(UsageError, match="points outside the benchmark"):
        plan(PY, benchmarks_dir)


def test_symlink_inside_the_benchmark_is_followed(benchmarks_dir: Path) -> None:
    code = benchmarks_dir / "100.webapps/110.dynamic-html/python"
    (code / "alias.html").symlink_to(code / "templates" / "template.html")
    assert "function/alias.html" in paths(plan(PY, benchmarks_dir))


def test_benchmark_wrappers_overlay_the_projects_file_by_file(benchmarks_dir: Path) -> None:
    own = benchmarks_dir / "wrappers/local/python"
    own.mkdir(parents=True)
    (own / "storage.py").write_text("# the benchmark suite's own storage\n")
    entries = {e.relpath: e for e in plan(PY, benchmarks_dir).entries}
    assert entries["function/storage.py"].source == (own / "storage.py").resolve()
    assert entries["handler.py"].source is not None and "wrappers/local/python" in str(entries["handler.py"].source)


def test_benchmark_dockerfile_wins_over_the_template(benchmarks_dir: Path) -> None:
    code = benchmarks_dir / "000.microbenchmarks/010.sleep/python"
    (code / "Dockerfile").write_text("FROM scratch\n")
    p = plan(ImageRequest("local", "010.sleep", "python", "3.11", "x64"), benchmarks_dir)
    assert p.dockerfile_source == "benchmark"
    assert "function/Dockerfile" not in paths(p)


def test_missing_template_names_the_pair(benchmarks_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no Dockerfile for platform 'local' and language 'python'"):
        plan(PY, benchmarks_dir, dockerfiles_dir=tmp_path / "none")


def test_materialize_copies_and_leaves_the_benchmark_untouched(benchmarks_dir: Path, tmp_path: Path) -> None:
    before = tree_digest(benchmarks_dir)
    p = plan(PY, benchmarks_dir)
    context = materialize(p, tmp_path / "staging")
    assert (context / "function" / "templates" / "template.html").is_file()
    assert (context / "handler.py").is_file()
    assert tree_digest(benchmarks_dir) == before


def test_stale_staging_dirs_of_dead_processes_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "staging"
    dead = root / "abcdef012345-999999999-deadbeef"
    mine = root / f"abcdef012345-{os.getpid()}-cafebabe"
    dead.mkdir(parents=True)
    mine.mkdir()
    assert clean_stale_staging(root) == [dead]
    assert mine.exists() and not dead.exists()


def test_a_ca_bundle_with_a_private_key_is_refused_without_its_content(benchmarks_dir: Path, tmp_path: Path) -> None:
    """The bundle's COPY layer stays in the image history: certificates only."""
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(
        "-----BEGIN CERTIFICATE-----\nMIIBpublic\n-----END CERTIFICATE-----\n"
        "-----BEGIN PRIVATE KEY-----\nMIIEsecretkeymaterial\n-----END PRIVATE KEY-----\n"
    )
    with pytest.raises(ConfigError, match="holds PRIVATE KEY blocks; allowed: PEM certificates only") as caught:
        plan(PY, benchmarks_dir, ca_bundle=bundle)
    assert "secretkeymaterial" not in str(caught.value)
    bundle.write_text("not a pem file\n")
    with pytest.raises(ConfigError, match="holds no PEM certificate"):
        plan(PY, benchmarks_dir, ca_bundle=bundle)
