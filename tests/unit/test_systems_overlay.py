"""Public base images by default for local, and the systems overlay (a JSON merge patch) that
points local at the offline stand-ins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faasforge.errors import ConfigError
from faasforge.model import ImageRequest
from faasforge.overlay import merge_patch
from faasforge.systems import Systems

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ROOT / "config" / "systems.json"
OFFLINE = ROOT / "config" / "systems.offline.json"


def test_local_lists_the_public_images_sebs_uses() -> None:
    systems = Systems.load(SYSTEMS)
    assert systems.versions("local", "python") == ["3.8", "3.9", "3.10", "3.11", "3.12"]
    assert systems.versions("local", "nodejs") == ["16", "18", "20", "22"]
    assert systems.base_image(ImageRequest("local", "010.sleep", "python", "3.9", "x64")) == "python:3.9-slim"
    assert systems.base_image(ImageRequest("local", "010.sleep", "nodejs", "20", "x64")) == "node:20-slim"
    assert systems.base_image(ImageRequest("local", "010.sleep", "python", "3.12", "arm64")) == "arm64v8/python:3.12-slim"


def test_the_offline_overlay_points_local_at_stand_ins_under_their_own_names() -> None:
    systems = Systems.load(SYSTEMS, OFFLINE)
    assert systems.versions("local", "python") == ["3.11"] and systems.versions("local", "nodejs") == ["18"]
    for arch in ("x64", "arm64"):
        assert systems.base_image(ImageRequest("local", "b", "python", "3.11", arch)) == f"faasforge/base-python:3.11-{arch}"
        assert systems.base_image(ImageRequest("local", "b", "nodejs", "18", arch)) == f"faasforge/base-nodejs:18-{arch}"
    images = json.dumps(json.loads(OFFLINE.read_text()).get("local"))
    assert "python:3" not in images.replace("faasforge/base-python:3", "")  # never an official name
    assert Systems.load(SYSTEMS, OFFLINE).base_image(ImageRequest("aws", "b", "python", "3.11", "x64")) == \
        Systems.load(SYSTEMS).base_image(ImageRequest("aws", "b", "python", "3.11", "x64"))


def test_merge_patch_follows_rfc_7386() -> None:
    target = {"a": {"b": 1, "c": 2}, "d": [1, 2], "e": "x"}
    assert merge_patch(target, {"a": {"b": None, "z": 3}, "d": [9], "e": None}) == {"a": {"c": 2, "z": 3}, "d": [9]}
    assert target == {"a": {"b": 1, "c": 2}, "d": [1, 2], "e": "x"}  # not modified


def test_a_bad_overlay_is_one_line_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"systems overlay '.*missing.json' \(FAASFORGE_SYSTEMS_OVERLAY / --systems-overlay\) does not exist"):
        Systems.load(SYSTEMS, tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        Systems.load(SYSTEMS, broken)


def test_the_cli_takes_the_overlay_by_flag_and_by_environment(tmp_path: Path) -> None:
    env = {**os.environ, "FAASFORGE_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("FAASFORGE_SYSTEMS_OVERLAY", None)
    base = [sys.executable, "-m", "faasforge", "plan", "--benchmark", "010.sleep", "--language", "python",
            "--version", "3.9", "--registry", "127.0.0.1:9", "--json"]
    refused = subprocess.run([*base, "--systems-overlay", str(OFFLINE)], capture_output=True, text=True,
                             env=env, cwd=ROOT, timeout=120)
    assert refused.returncode == 2
    assert "unknown version of python for platform 'local' '3.9'; allowed: 3.11" in refused.stderr
    by_env = subprocess.run(base, capture_output=True, text=True, env={**env, "FAASFORGE_SYSTEMS_OVERLAY": str(OFFLINE)},
                            cwd=ROOT, timeout=120)
    assert by_env.returncode == 2 and "allowed: 3.11" in by_env.stderr
