"""The stand-ins' overlay is a complete JSON merge patch: merged over config/systems.json as
``--systems-overlay`` merges it (faasforge.overlay.merge_patch, through tests.helpers.systems_with),
every base image of the languages it names is a stand-in, so no contract test can pull a public
image. A version added to config/systems.json needs its ``null`` in the overlay."""

from __future__ import annotations

import json
from pathlib import Path

from faasforge.overlay import load_overlay
from faasforge.systems import Systems
from tests.helpers import systems_with
from tests.runtime.conftest import OVERLAY


def test_the_overlay_leaves_only_stand_in_bases(tmp_path: Path) -> None:
    overlay = load_overlay(OVERLAY)
    merged = json.loads(systems_with(tmp_path / "systems.json", overlay).read_text())
    Systems.load(tmp_path / "systems.json")  # still a valid systems config
    named = [(p, lang) for p, section in overlay.items() if isinstance(section, dict) for lang in section["languages"]]
    assert len(named) == 8
    for platform, language in named:
        spec = merged[platform]["languages"][language]
        images = {arch: sorted(versions.values()) for arch, versions in spec["base_images"].items()}
        assert all(image.startswith("faasforge/standin-") for found in images.values() for image in found), images
        assert all(set(versions) == set(spec["versions"]) for versions in spec["base_images"].values()), spec
