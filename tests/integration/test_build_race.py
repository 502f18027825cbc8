"""Concurrent builds that share layers, as a matrix runs them: none fails from the engine's
layer race (moby/moby#36573). Tiny images FROM the local base, so a round takes seconds."""

from __future__ import annotations

import contextlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from faasforge.engine import build_image
from faasforge.model import ImageRequest
from faasforge.overlay import overlay_path
from faasforge.resources import config_dir
from faasforge.systems import Systems

pytestmark = [pytest.mark.docker, pytest.mark.slow]

IMAGES = 8
ROUNDS = 5
DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
ARG ROUND
RUN echo "shared by every image of round ${ROUND}" > /shared.txt
COPY own.txt /own.txt
RUN cat /own.txt >> /shared.txt
"""


def test_eight_concurrent_builds_sharing_layers_never_fail(docker_engine, tmp_path: Path) -> None:
    base = Systems.load(config_dir() / "systems.json", overlay_path()).base_image(
        ImageRequest("local", "race", "python", "3.11", "x64")
    )  # the base services.sh provided: public, or the offline stand-in
    run = uuid.uuid4().hex[:8]
    contexts = []
    for index in range(IMAGES):
        context = tmp_path / f"ctx{index}"
        context.mkdir()
        (context / "Dockerfile").write_text(DOCKERFILE)
        (context / "own.txt").write_text(f"image {index} of run {run}\n")
        contexts.append(context)
    tags: list[str] = []
    try:
        for round_no in range(ROUNDS):
            def one(index: int, round_no: int = round_no) -> str:
                tag = f"faasforge-test-race-{run}:r{round_no}-{index}"
                tags.append(tag)
                build_image(
                    docker_engine, contexts[index], tag, "x64",  # type: ignore[arg-type]
                    {"BASE_IMAGE": base, "ROUND": f"{run}-{round_no}"}, f"race-{run}",
                )
                return tag

            with ThreadPoolExecutor(max_workers=IMAGES) as pool:
                built = list(pool.map(one, range(IMAGES)))  # any BuildFailed is raised here
            assert len(built) == IMAGES
    finally:
        for tag in tags:
            with contextlib.suppress(Exception):  # a tag that was never built
                docker_engine.images.remove(tag, force=True)  # type: ignore[attr-defined]
