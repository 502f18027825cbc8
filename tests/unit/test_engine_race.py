"""The build step retries the engine's layer race once, and nothing else (a fake API client,
as docker-py's own unit tests use; the real race is exercised in tests/integration)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faasforge.engine import build_image, is_engine_race
from faasforge.errors import BuildFailed

RACE = (
    "failed to export image: failed to create image: failed to get layer "
    "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef: layer does not exist"
)


class FakeApi:
    """``build`` replays one scripted stream per call; ``inspect_image`` describes the result."""

    def __init__(self, streams: list[list[dict[str, Any]]]) -> None:
        self.streams = streams
        self.builds = 0

    def build(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        stream = self.streams[self.builds]
        self.builds += 1
        return iter(stream)

    def inspect_image(self, reference: str) -> dict[str, Any]:
        return {"Id": "sha256:" + "a" * 64, "Size": 1000, "Architecture": "amd64"}


class FakeClient:
    def __init__(self, streams: list[list[dict[str, Any]]]) -> None:
        self.api = FakeApi(streams)


OK = [{"stream": "Step 1/1 : FROM base\n"}, {"aux": {"ID": "sha256:" + "a" * 64}}]


def _build(client: FakeClient, tmp_path: Path, **kwargs: Any) -> Any:
    return build_image(client, tmp_path, "r/x:t", "x64", {}, "hash", **kwargs)  # type: ignore[arg-type]


def test_the_race_is_recognised_by_its_engine_message() -> None:
    assert is_engine_race(RACE)
    assert is_engine_race("failed to register layer: layer does not exist")
    assert not is_engine_race("The command '/bin/sh -c pip install nosuchpkg' returned a non-zero code: 1")


def test_a_build_that_hits_the_race_is_built_again_once(tmp_path: Path) -> None:
    client = FakeClient([[{"error": RACE}], OK])
    result = _build(client, tmp_path)
    assert client.api.builds == 2
    assert result.image_id.startswith("sha256:")


def test_the_race_twice_fails_with_the_engine_message(tmp_path: Path) -> None:
    client = FakeClient([[{"error": RACE}], [{"errorDetail": {"message": RACE}}], OK])
    with pytest.raises(BuildFailed, match="layer does not exist"):
        _build(client, tmp_path)
    assert client.api.builds == 2


def test_a_failing_dockerfile_is_not_retried(tmp_path: Path) -> None:
    client = FakeClient([[{"error": "The command '/bin/sh -c false' returned a non-zero code: 1"}], OK])
    with pytest.raises(BuildFailed, match="non-zero code"):
        _build(client, tmp_path)
    assert client.api.builds == 1
