"""The whole pipeline on the real Docker engine and the real local registry, through the flows."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from faasforge.flows.build import build_image, build_images

from faasforge.catalog import Catalog
from faasforge.errors import BuildFailed
from faasforge.ports import free_port
from faasforge.settings import faasforge_home
from tests.helpers import delete_from_registry, registry_digest, tree_fingerprint

pytestmark = [pytest.mark.docker, pytest.mark.prefect]


def images(*cells: tuple[str, str, str, str]) -> list[dict[str, str]]:
    return [
        {"benchmark": b, "language": lang, "version": v, "architecture": a, "platform": "local"}
        for b, lang, v, a in cells
    ]


SLEEP_PY = ("010.sleep", "python", "3.11", "x64")
HTML_PY = ("110.dynamic-html", "python", "3.11", "x64")
HTML_NODE = ("110.dynamic-html", "nodejs", "18", "x64")


def run_matrix(benchmarks_dir: Path, repository: str, registry: str, *cells: tuple[str, str, str, str], **kw: object):
    return build_images(
        images=images(*cells), registry=registry, repository=repository,
        benchmarks_dir=str(benchmarks_dir), **kw,
    )


def test_build_push_record_then_second_run_builds_nothing(
    local_registry: str, benchmarks_dir: Path, repository: str
) -> None:
    before = tree_fingerprint(benchmarks_dir)
    first = run_matrix(benchmarks_dir, repository, local_registry, SLEEP_PY, HTML_PY, HTML_NODE, SLEEP_PY)
    assert len(first) == 3  # the duplicate was dropped
    for record in first:
        assert record.rebuilt and record.reason == "content not in registry"
        assert record.digest == registry_digest(record.image_uri)
        assert record.size_mb and record.size_mb > 10
        assert record.compressed_mb and 0 < record.compressed_mb < record.size_mb
        assert record.build_seconds is not None and record.push_seconds is not None
    catalog = Catalog(faasforge_home() / "catalog.sqlite")
    assert {r.image_uri for r in catalog.all()} == {r.image_uri for r in first}

    second = run_matrix(benchmarks_dir, repository, local_registry, SLEEP_PY, HTML_PY, HTML_NODE)
    assert [r.rebuilt for r in second] == [False, False, False]
    assert all("already in registry" in r.reason for r in second)
    assert [r.digest for r in second] == [r.digest for r in first]
    assert [r.compressed_mb for r in second] == [r.compressed_mb for r in first]
    assert tree_fingerprint(benchmarks_dir) == before  # never moved, modified or deleted


def _layers(docker_engine, image_uri: str) -> list[str]:
    return docker_engine.api.inspect_image(image_uri)["RootFS"]["Layers"]


def test_code_edit_rebuilds_only_that_image_and_reuses_its_dependency_layer(
    docker_engine, local_registry: str, benchmarks_dir: Path, repository: str
) -> None:
    first = {r.benchmark: r for r in run_matrix(benchmarks_dir, repository, local_registry, SLEEP_PY, HTML_PY)}
    code = benchmarks_dir / "100.webapps/110.dynamic-html/python/function.py"
    code.write_text(code.read_text() + "\n# a code-only edit\n")
    second = {r.benchmark: r for r in run_matrix(benchmarks_dir, repository, local_registry, SLEEP_PY, HTML_PY)}
    assert not second["010.sleep"].rebuilt
    assert second["110.dynamic-html"].rebuilt
    assert second["110.dynamic-html"].image_uri != first["110.dynamic-html"].image_uri
    old = _layers(docker_engine, first["110.dynamic-html"].image_uri)
    new = _layers(docker_engine, second["110.dynamic-html"].image_uri)
    shared = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        shared += 1
    # base + dependencies (+ wrapper) layers are reused; only the code layer differs
    assert shared == len(new) - 1 == len(old) - 1


def test_engine_cache_makes_a_rerun_cached_and_still_pushes(
    docker_engine, local_registry: str, benchmarks_dir: Path, repository: str
) -> None:
    kw = dict(benchmark="010.sleep", language="python", version="3.11", architecture="x64",
              registry=local_registry, repository=repository, benchmarks_dir=str(benchmarks_dir))
    first = build_image(**kw)
    delete_from_registry(first.image_uri)
    assert registry_digest(first.image_uri) is None
    second = build_image(**kw)
    assert second.rebuilt and registry_digest(second.image_uri) == second.digest
    assert second.build_seconds == first.build_seconds  # the persisted (cached) build result
    # When the engine no longer holds the image, the cache is refreshed: a real build.
    delete_from_registry(second.image_uri)
    docker_engine.api.remove_image(second.image_uri, force=True)
    third = build_image(**kw)
    assert third.rebuilt and registry_digest(third.image_uri) == third.digest
    assert docker_engine.api.inspect_image(third.image_uri)


def test_arm64_build_on_x64_reports_arm64_and_runs_under_emulation(
    docker_engine, local_registry: str, benchmarks_dir: Path, repository: str
) -> None:
    record = build_image(
        benchmark="010.sleep", language="python", version="3.11", architecture="arm64",
        registry=local_registry, repository=repository, benchmarks_dir=str(benchmarks_dir),
    )
    assert record.rebuilt and record.architecture == "arm64"
    inspected = docker_engine.api.inspect_image(record.image_uri)
    assert inspected["Architecture"] == "arm64"
    out = docker_engine.containers.run(
        record.image_uri, ["python3", "-c", "import platform; print(platform.machine())"],
        remove=True, network_mode="host",
    )
    assert out.decode().strip() == "aarch64"


def test_broken_dockerfile_fails_with_the_log_tail_and_records_nothing(
    local_registry: str, benchmarks_dir: Path, repository: str
) -> None:
    code = benchmarks_dir / "000.microbenchmarks/010.sleep/python"
    (code / "Dockerfile").write_text(
        "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nRUN echo preparing-the-broken-step\n"
        "RUN sh -c 'echo this step is broken >&2; exit 3'\n"
    )
    with pytest.raises(BuildFailed) as info:
        build_image(
            benchmark="010.sleep", language="python", version="3.11", architecture="x64",
            registry=local_registry, repository=repository, benchmarks_dir=str(benchmarks_dir),
        )
    message = str(info.value)
    assert "returned a non-zero code: 3" in message
    assert "this step is broken" in message and "preparing-the-broken-step" in message
    assert not (faasforge_home() / "catalog.sqlite").exists() or not Catalog(
        faasforge_home() / "catalog.sqlite"
    ).all()


@pytest.mark.parametrize("cell", [HTML_PY, HTML_NODE], ids=["python", "nodejs"])
def test_built_image_serves_the_function_over_http(
    docker_engine, local_registry: str, benchmarks_dir: Path, repository: str, cell: tuple[str, str, str, str]
) -> None:
    (record,) = run_matrix(benchmarks_dir, repository, local_registry, cell)
    port = free_port()
    container = docker_engine.containers.run(
        record.image_uri, detach=True, network_mode="host", environment={"PORT": str(port)}
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = requests.post(
                    f"http://127.0.0.1:{port}/", json={"username": "ada", "random_len": 5, "seed": 7}, timeout=5
                )
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        output = body["result"]["output"]
        assert "ada" in json.dumps(output)
    finally:
        container.remove(force=True)


def test_cli_build_json_and_images(local_registry: str, benchmarks_dir: Path, repository: str, tmp_path: Path) -> None:
    env_home = faasforge_home()
    cmd = [sys.executable, "-m", "faasforge", "build", "--benchmark", "010.sleep", "--language", "python",
           "--registry", local_registry, "--repository", repository, "--benchmarks-dir", str(benchmarks_dir), "--json"]
    import os

    env = dict(os.environ, FAASFORGE_HOME=str(env_home))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (record,) = json.loads(done.stdout)
    assert set(record) >= {"benchmark", "platform", "language", "version", "architecture", "image_uri",
                           "digest", "size_mb", "compressed_mb", "rebuilt", "reason"}
    assert record["rebuilt"] is True and record["digest"] == registry_digest(record["image_uri"])
    listed = subprocess.run([sys.executable, "-m", "faasforge", "images", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert listed.returncode == 0
    assert [r["image_uri"] for r in json.loads(listed.stdout)] == [record["image_uri"]]
