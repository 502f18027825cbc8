"""Fail-fast checks against the real engine: emulation, base images."""

from __future__ import annotations

from pathlib import Path

import pytest

from faasforge.engine import check_base_images, check_emulation, engine_architecture
from faasforge.errors import BaseImageMissing, EmulationUnavailable

pytestmark = pytest.mark.docker


def test_foreign_arch_without_qemu_fails_fast_naming_the_fix(docker_engine, tmp_path: Path) -> None:
    foreign = "arm64" if engine_architecture(docker_engine) == "x64" else "x64"
    with pytest.raises(EmulationUnavailable, match="install qemu-user-static"):
        check_emulation(docker_engine, foreign, binfmt_dir=tmp_path)  # an empty binfmt_misc
    check_emulation(docker_engine, foreign)  # the real one has QEMU registered


def test_native_arch_needs_no_emulation(docker_engine, tmp_path: Path) -> None:
    check_emulation(docker_engine, engine_architecture(docker_engine), binfmt_dir=tmp_path)


def test_missing_base_image_is_a_clear_usage_error(docker_engine) -> None:
    check_base_images(docker_engine, ["faasforge/base-python:3.11-x64"])
    with pytest.raises(BaseImageMissing, match="base image 'faasforge/no-such-base:1' is not in the engine"):
        check_base_images(docker_engine, ["faasforge/base-python:3.11-x64", "faasforge/no-such-base:1"])


def test_a_version_without_a_base_image_is_one_line_naming_it(docker_engine) -> None:
    with pytest.raises(BaseImageMissing) as caught:
        check_base_images(docker_engine, ["faasforge/no-such-base:3.9-x64"], for_what="python 3.9 (local x64)")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("base image 'faasforge/no-such-base:3.9-x64' for python 3.9 (local x64) is not in the engine")
