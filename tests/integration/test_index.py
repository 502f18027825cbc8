"""Multi-architecture indexes (--index) and deploy-by-digest references, on the real engine and
registry: the index tag pulls the x64 image on this x64 engine and the arm64 one with
--platform linux/arm64."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from faasforge.flows.build import build_images

from faasforge.index import image_index, index_name
from faasforge.model import ImageRecord
from tests.helpers import ACCEPT

ROOT = Path(__file__).resolve().parents[2]


def _docker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.docker
@pytest.mark.prefect
@pytest.mark.slow
def test_index_over_both_architectures_pulls_and_runs_each(
    docker_engine, local_registry: str, benchmarks_dir: Path, repository: str
) -> None:
    images = [
        {"benchmark": "010.sleep", "language": "python", "version": "3.11", "architecture": arch, "platform": "local"}
        for arch in ("x64", "arm64")
    ]
    records = build_images(
        images=images, registry=local_registry, repository=repository, benchmarks_dir=str(benchmarks_dir),
        index=True,
    )
    assert len(records) == 2
    index_uri = records[0].index_uri
    assert index_uri and {r.index_uri for r in records} == {index_uri}
    assert ":function.local.010.sleep.python-3.11-index-" in index_uri
    host, _, rest = index_uri.partition("/")
    repo, _, tag = rest.rpartition(":")
    reply = requests.head(f"http://{host}/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10)
    assert reply.headers["Content-Type"] == "application/vnd.oci.image.index.v1+json"
    for record in records:  # deploy by digest: repository@sha256:...
        assert record.digest_uri == f"{local_registry}/{repository}@{record.digest}"
        assert record.to_json()["digest_uri"] == record.digest_uri and record.to_json()["index_uri"] == index_uri
    try:
        for record in records:
            _docker("rmi", "-f", record.image_uri)
        pulled = _docker("pull", index_uri)
        assert pulled.returncode == 0, pulled.stderr
        arch = _docker("image", "inspect", "-f", "{{.Architecture}}", index_uri).stdout.strip()
        assert arch == "amd64"
        _docker("rmi", "-f", index_uri)
        ran = _docker("run", "--rm", "--platform", "linux/arm64", "--entrypoint", "uname", index_uri, "-m")
        assert ran.returncode == 0 and ran.stdout.strip() == "aarch64", ran.stderr
        by_digest = _docker("pull", records[0].digest_uri or "")
        assert by_digest.returncode == 0, by_digest.stderr
    finally:
        _docker("rmi", "-f", index_uri, *(r.digest_uri or r.image_uri for r in records))


def _record(arch: str, content_hash: str, tag_tail: str) -> ImageRecord:
    return ImageRecord(
        platform="local", benchmark="010.sleep", language="python", version="3.11", architecture=arch,
        image_uri=f"127.0.0.1:5000/r:function.local.010.sleep.python-3.11-{arch}{tag_tail}",
        digest="sha256:" + "0" * 64, content_hash=content_hash, size_mb=None, compressed_mb=None,
        build_seconds=None, push_seconds=None, rebuilt=True, reason="",
    )


def test_the_index_tag_is_content_addressed_and_the_body_canonical() -> None:
    x64, arm = _record("x64", "a" * 64, "-aaaaaaaaaaaa"), _record("arm64", "b" * 64, "-bbbbbbbbbbbb")
    name = index_name([x64, arm], "hash")
    assert name.tag.startswith("function.local.010.sleep.python-3.11-index-") and name.repository == "r"
    assert index_name([arm, x64], "hash") == name
    assert index_name([x64, _record("arm64", "c" * 64, "-cccccccccccc")], "hash") != name
    sebs = index_name([_record("x64", "a" * 64, "-1.2.0"), _record("arm64", "b" * 64, "-1.2.0")], "sebs")
    assert sebs.tag == "function.local.010.sleep.python-3.11-1.2.0"
    child = {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "sha256:1", "size": 5}
    body, media_type = image_index([("x64", child), ("arm64", {**child, "digest": "sha256:2"})])
    assert image_index([("arm64", {**child, "digest": "sha256:2"}), ("x64", child)])[0] == body
    parsed = json.loads(body)
    assert media_type == parsed["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert sorted(m["platform"]["architecture"] for m in parsed["manifests"]) == ["amd64", "arm64"]


@pytest.mark.parametrize(("platform", "why"), [
    ("aws", "Lambda takes single-architecture images only"),
    ("gcp", "Cloud Run runs x64 images only"),
    ("azure", "Azure Functions runs x64 images only"),
])
def test_index_is_refused_in_one_line_for_platforms_without_indexes(tmp_path: Path, platform: str, why: str) -> None:
    env = {**os.environ, "FAASFORGE_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect")}
    result = subprocess.run(
        [sys.executable, "-m", "faasforge", "build", "--benchmark", "010.sleep", "--language", "python",
         "--platform", platform, "--index"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"faasforge: error: --index publishes a multi-architecture image index, which platform {platform!r} "
        f"does not take ({why}); allowed: local, openwhisk"
    ]
