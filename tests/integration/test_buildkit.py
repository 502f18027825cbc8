"""The BuildKit builder (FAASFORGE_BUILDER=buildkit): the engine's BuildKit through Debian's docker
CLI, the image in the same engine, docker-py for everything else."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import pytest

from faasforge.engine import build_image, buildkit_cli, configured_builder
from faasforge.errors import BuildFailed, InvalidValue
from faasforge.model import ImageRequest
from faasforge.overlay import overlay_path
from faasforge.resources import config_dir
from faasforge.systems import Systems

pytestmark = pytest.mark.docker

DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY own.txt /own.txt
RUN cat /own.txt > /copied.txt
"""


def _base() -> str:
    return Systems.load(config_dir() / "systems.json", overlay_path()).base_image(
        ImageRequest("local", "b", "python", "3.11", "x64")
    )


def test_the_builder_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAASFORGE_BUILDER", raising=False)
    assert configured_builder() == "classic"
    monkeypatch.setenv("FAASFORGE_BUILDER", "BuildKit")
    assert configured_builder() == "buildkit"
    monkeypatch.setenv("FAASFORGE_BUILDER", "kaniko")
    with pytest.raises(InvalidValue, match="unknown builder .FAASFORGE_BUILDER. 'kaniko'; allowed: buildkit, classic"):
        configured_builder()


def test_buildkit_builds_into_the_engine_and_fails_with_the_log_tail(docker_engine, tmp_path: Path) -> None:
    buildkit_cli()  # Debian's docker.io CLI is part of the services (scripts/services.sh)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "own.txt").write_text(f"run {uuid.uuid4().hex}\n")
    tag = f"faasforge-test-buildkit-{uuid.uuid4().hex[:8]}:ok"
    try:
        result = build_image(
            docker_engine, tmp_path, tag, "x64", {"BASE_IMAGE": _base()}, "hash-bk",  # type: ignore[arg-type]
            builder="buildkit",
        )
        inspected = docker_engine.api.inspect_image(tag)  # type: ignore[attr-defined]
        assert inspected["Id"] == result.image_id and result.architecture == "amd64"
        assert inspected["Config"]["Labels"]["org.faasforge.content-hash"] == "hash-bk"
        (tmp_path / "Dockerfile").write_text(DOCKERFILE + "RUN echo failing-step && false\n")
        with pytest.raises(BuildFailed) as caught:
            build_image(
                docker_engine, tmp_path, tag.replace(":ok", ":bad"), "x64", {"BASE_IMAGE": _base()}, "h",  # type: ignore[arg-type]
                builder="buildkit",
            )
        assert any("failing-step" in line for line in caught.value.log_tail)
    finally:
        with contextlib.suppress(Exception):
            docker_engine.images.remove(tag, force=True)  # type: ignore[attr-defined]
