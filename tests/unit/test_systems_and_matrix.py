from __future__ import annotations

import json
from pathlib import Path

import pytest

from faasforge.errors import ConfigError, InvalidValue
from faasforge.matrix import dedupe, load_matrix_file
from faasforge.model import ImageRequest
from faasforge.resources import config_dir
from faasforge.systems import Systems

SYSTEMS = Systems.load(config_dir() / "systems.json")


def test_every_platform_and_language_is_configured() -> None:
    assert {"local", "aws", "gcp", "azure", "openwhisk"} <= set(SYSTEMS.platforms())
    for platform in ("local", "aws", "gcp", "azure", "openwhisk"):
        assert {"python", "nodejs"} <= set(SYSTEMS.languages(platform))
    assert SYSTEMS.architectures("aws") == ["x64", "arm64"]
    assert SYSTEMS.architectures("gcp") == ["x64"]


def test_base_image_lookup() -> None:
    assert SYSTEMS.base_image(ImageRequest("local", "b", "python", "3.11", "arm64")) == "arm64v8/python:3.11-slim"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (ImageRequest("heroku", "b", "python", "3.11", "x64"), "unknown platform 'heroku'; allowed: "),
        (ImageRequest("local", "b", "ruby", "3.11", "x64"), "unknown language for platform 'local' 'ruby'; allowed: cpp, java, nodejs, python"),
        (ImageRequest("local", "b", "python", "2.7", "x64"), "unknown version of python for platform 'local' '2.7'; allowed: 3.10, 3.11, 3.12, 3.8, 3.9"),
        (ImageRequest("local", "b", "python", "3.11", "riscv"), "unknown architecture 'riscv'; allowed: arm64, x64"),
        (ImageRequest("gcp", "b", "python", "3.11", "arm64"), "unknown architecture for platform 'gcp' 'arm64'; allowed: x64"),
    ],
)
def test_bad_requests_name_the_value_and_the_allowed(request_: ImageRequest, message: str) -> None:
    with pytest.raises(InvalidValue) as info:
        SYSTEMS.validate(request_)
    assert message in str(info.value)


def test_sebs_style_file_without_architecture_level(tmp_path: Path) -> None:
    path = tmp_path / "systems.json"
    path.write_text(json.dumps({"general": {}, "openwhisk": {"languages": {"python": {"base_images": {"3.9": "openwhisk/action-python-v3.9"}}}}}))
    systems = Systems.load(path)
    assert systems.architectures("openwhisk") == ["x64"]
    assert systems.base_image(ImageRequest("openwhisk", "b", "python", "3.9", "x64")) == "openwhisk/action-python-v3.9"


@pytest.mark.parametrize("text", ["{not json", "[]", '{"local": {"languages": {"python": {"base_images": 3}}}}'])
def test_malformed_systems_json_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "systems.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match="systems config"):
        Systems.load(path)


def test_dedupe_keeps_first_order() -> None:
    a = ImageRequest("local", "a", "python", "3.11", "x64")
    b = ImageRequest("local", "b", "python", "3.11", "x64")
    assert dedupe([a, b, a, a]) == ([a, b], 2)


def test_matrix_file_expands_skips_unbuildable_cells_and_dedupes(tmp_path: Path, benchmarks_dir: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'benchmarks = ["010.sleep", "110.dynamic-html", "010.sleep"]\n'
        'platforms = ["local", "gcp"]\narchitectures = ["x64", "arm64"]\n'
        '[languages]\npython = ["3.11"]\n'
        '[[include]]\nbenchmark = "010.sleep"\nplatform = "local"\nlanguage = "python"\nversion = "3.11"\narchitecture = "x64"\n'
    )
    matrix, concurrency = load_matrix_file(path, SYSTEMS, benchmarks_dir)
    assert concurrency is None
    cells = {(r.platform, r.benchmark, r.architecture) for r in matrix.requests}
    assert ("local", "010.sleep", "arm64") in cells and ("gcp", "010.sleep", "x64") in cells
    assert not any(p == "gcp" and a == "arm64" for p, _, a in cells)
    assert len(matrix.requests) == len(set(matrix.requests)) == 6
    assert matrix.duplicates >= 1
    assert any("does not accept arm64" in why for _, why in matrix.excluded)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("benchmarks = [", "is not valid TOML"),
        ("benchmark = ['x']", "unknown key in matrix file"),
        ("platforms = ['mars']", "unknown platform 'mars'"),
        ("architectures = 'sparc'", "unknown architecture 'sparc'"),
        ("benchmarks = ['999.nope']", "unknown benchmark '999.nope'"),
        ("[languages]\npython = ['1.0']", "unknown version of python '1.0'"),
        ("concurrency = 0", "unknown concurrency 0"),
    ],
)
def test_bad_matrix_files(tmp_path: Path, benchmarks_dir: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises((ConfigError, InvalidValue), match=message.replace("[", "\\[")):
        load_matrix_file(path, SYSTEMS, benchmarks_dir)
