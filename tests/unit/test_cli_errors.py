"""Bad input: one clear line naming the value and the allowed ones, exit 2, nothing built or recorded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faasforge.cli import main
from faasforge.settings import faasforge_home

CASES = [
    (["--benchmark", "010.sleep", "--platform", "heroku"], "unknown platform 'heroku'; allowed: aws, azure, gcp, local, openwhisk"),
    (["--benchmark", "010.sleep", "--language", "ruby"], "unknown language for platform 'local' 'ruby'; allowed: cpp, java, nodejs, python"),
    (["--benchmark", "010.sleep", "--language", "python", "--version", "2.7"], "'2.7'; allowed: 3.11"),
    (["--benchmark", "010.sleep", "--arch", "riscv"], "unknown architecture 'riscv'; allowed: arm64, x64"),
    (["--benchmark", "999.missing"], "unknown benchmark '999.missing'; allowed: 010.sleep, 110.dynamic-html, 140.todo-list, 215.thumbnail"),
    (["--benchmark", "../etc"], "unknown benchmark name '../etc'; allowed: lowercase"),
    (["--benchmark", "a/b"], "unknown benchmark name 'a/b'"),
    (["--benchmark", "Big Name"], "unknown benchmark name 'Big Name'"),
    (["--benchmark", "010.sleep", "--platform", "gcp", "--arch", "arm64"], "unknown architecture for platform 'gcp' 'arm64'; allowed: x64"),
    (["--benchmark", "010.sleep", "--registry", "http://bad host"], "unknown registry 'http://bad host'"),
    (["--benchmark", "010.sleep", "--tag-style", "latest"], "unknown tag style 'latest'; allowed: hash, sebs"),
]


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[c[1][:40] for c in CASES])
@pytest.mark.parametrize("command", ["build", "plan"])
def test_bad_input_is_one_line_and_exit_2(
    command: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([command, *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("faasforge: error: ") and message in lines[0]
    assert not (faasforge_home() / "catalog.sqlite").exists()


def test_missing_benchmarks_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--benchmark", "010.sleep", "--benchmarks-dir", str(tmp_path / "nope")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_empty_benchmarks_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["plan", "--benchmark", "010.sleep", "--benchmarks-dir", str(tmp_path)])
    assert code == 2
    assert "holds no benchmarks" in capsys.readouterr().err


def test_usage_errors_from_argparse_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", "--no-such-flag"])
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_no_traceback_from_the_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "faasforge", "build", "--benchmark", "010.sleep", "--platform", "mars"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
