"""scripts/services.sh's base-image choice: the public images when the registry it probes answers
and every pull succeeds (no systems overlay then), the offline stand-ins otherwise.

Docker Hub is not reachable here, so the probe and the pulls are pointed at the local registry
(FAASFORGE_DOCKER_HUB_URL, FAASFORGE_PUBLIC_BASES), holding the local base under a test name of its
own. The script runs with a state directory of its own, and builds no base and no stand-in."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from faasforge.model import ImageRequest
from faasforge.overlay import overlay_path
from faasforge.resources import config_dir
from faasforge.systems import Systems
from tests.conftest import REGISTRY, ROOT

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SERVICES = ROOT / "scripts" / "services.sh"
STANDINS = ROOT / "scripts" / "standins.sh"
OFFLINE_OVERLAY = ROOT / "config" / "systems.offline.json"


def services(state: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "FAASFORGE_SERVICES_DIR": str(state),
        "FAASFORGE_BASE_IMAGES": "",
        "FAASFORGE_STANDINS": "",
        "FAASFORGE_DOCKER_HUB_URL": f"http://{REGISTRY}/v2/",
        **env,
    }
    return subprocess.run([str(SERVICES), *args], capture_output=True, text=True, timeout=600, env=environment)


@pytest.fixture
def public_base(docker_engine: Any, local_registry: str) -> Any:
    """The local base pushed as ``{registry}/faasforge-test-public-*/python:3.11-slim`` and absent
    from the engine, so that only a pull brings it back."""
    if os.geteuid() != 0:
        pytest.skip("scripts/services.sh up runs as root")
    base = Systems.load(config_dir() / "systems.json", overlay_path()).base_image(
        ImageRequest("local", "010.sleep", "python", "3.11", "x64")
    )
    reference = f"{local_registry}/faasforge-test-public-{uuid.uuid4().hex[:8]}/python:3.11-slim"
    repository, tag = reference.rsplit(":", 1)
    docker_engine.images.get(base).tag(repository, tag)
    for line in docker_engine.images.push(repository, tag, stream=True, decode=True):
        assert "error" not in line, line
    docker_engine.images.remove(reference)  # an untag: the base keeps the layers
    yield reference
    for image in docker_engine.images.list(name=repository):
        for name in image.tags:  # untag only: the image is the base
            if name.startswith(f"{repository}:"):
                docker_engine.images.remove(name)


def test_public_images_are_pulled_when_the_registry_answers_and_no_overlay_is_used(
    public_base: str, docker_engine: Any, tmp_path: Path
) -> None:
    up = services(tmp_path, "up", FAASFORGE_PUBLIC_BASES=public_base)
    assert up.returncode == 0, up.stderr[-2000:]
    assert f"pulling {public_base}" in up.stdout
    docker_engine.images.get(public_base)  # pulled
    assert (tmp_path / "base-images.mode").read_text().strip() == "public"
    assert services(tmp_path, "overlay").stdout.strip() == ""
    assert standin_bases(tmp_path) == ["python:3.11-slim", "arm64v8/python:3.11-slim", "node:18-slim"]


def standin_bases(state: Path) -> list[str]:
    """What scripts/standins.sh builds the clouds' stand-ins FROM, with this state directory."""
    environment = {**os.environ, "FAASFORGE_SERVICES_DIR": str(state)}
    return [
        subprocess.run(
            [str(STANDINS), "base", key], capture_output=True, text=True, env=environment, check=True
        ).stdout.strip()
        for key in ("aws-python-x64", "aws-python-arm64", "gcp-nodejs-x64")
    ]


def test_a_failed_pull_falls_back_to_the_stand_ins_and_their_overlay(public_base: str, tmp_path: Path) -> None:
    missing = public_base.replace("python:3.11-slim", "python:0.0-absent")
    up = services(tmp_path, "up", FAASFORGE_PUBLIC_BASES=missing)
    assert up.returncode == 0, up.stderr[-2000:]
    assert f"pull of {missing} failed" in up.stderr
    assert (tmp_path / "base-images.mode").read_text().strip() == "stand-ins"
    assert services(tmp_path, "overlay").stdout.strip() == str(OFFLINE_OVERLAY)
    assert standin_bases(tmp_path) == [
        "faasforge/base-python:3.11-x64",
        "faasforge/base-python:3.11-arm64",
        "faasforge/base-nodejs:18-x64",
    ]


def test_no_probe_answer_means_stand_ins_without_a_pull(public_base: str, tmp_path: Path) -> None:
    up = services(tmp_path, "up", FAASFORGE_PUBLIC_BASES=public_base, FAASFORGE_DOCKER_HUB="off")
    assert up.returncode == 0, up.stderr[-2000:]
    assert "pulling" not in up.stdout
    assert (tmp_path / "base-images.mode").read_text().strip() == "stand-ins"
    assert services(tmp_path, "overlay").stdout.strip() == str(OFFLINE_OVERLAY)
