"""Bad input through the real ``python -m faasforge`` process: one clear line naming the value and
what is allowed, exit 2 (1 for a failed build), no traceback, nothing on stdout, nothing built,
pushed, recorded or staged, and the benchmark directory byte-identical.

tests/unit/test_cli_errors.py covers other values in-process; these are different ones.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    REGISTRY,
    ROOT,
    SLEEP,
    Cli,
    Result,
    assert_nothing_happened,
    engine_images,
)

pytestmark = pytest.mark.docker

NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
SYSTEMS = ROOT / "config" / "systems.json"


@dataclass
class Case:
    id: str
    done: str
    fragment: str
    args: Callable[[Cli], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    prefix: list[str] | None = None
    code: int = 2
    common: bool = True


def _systems(cli: Cli, edit: Callable[[dict], None] | None = None, text: str | None = None) -> str:
    path = cli.tmp / "systems.json"
    if text is not None:
        path.write_text(text)
    else:
        data = json.loads(SYSTEMS.read_text())
        if edit:
            edit(data)
        path.write_text(json.dumps(data))
    return str(path)


def _matrix(cli: Cli, text: str) -> str:
    path = cli.tmp / "matrix.toml"
    path.write_text(text)
    return str(path)


def _config(cli: Cli, text: str, bench: str = SLEEP) -> None:
    (cli.bench(bench) / "config.json").write_text(text)


def _long_version(data: dict) -> None:
    data["local"]["languages"]["python"]["base_images"]["x64"]["3.11." + "0" * 80] = "faasforge/base-python:3.11-x64"


def _ruby(cli: Cli) -> list[str]:
    code = cli.bench() / "ruby"
    code.mkdir()
    (code / "function.rb").write_text("def handler(event) = event\n")
    _config(cli, '{"timeout": 10, "memory": 128, "languages": ["python", "nodejs", "ruby"]}')
    systems = _systems(cli, lambda d: d["local"]["languages"].__setitem__(
        "ruby", {"base_images": {"x64": {"3.2": "faasforge/base-ruby:3.2-x64"}}}))
    return ["build", "--benchmark", "010.sleep", "--language", "ruby", "--systems-config", systems]


def _empty_benchmark(cli: Cli) -> list[str]:
    empty = cli.benchmarks / "000.microbenchmarks" / "020.empty"
    empty.mkdir()
    (empty / "config.json").write_text('{"timeout": 10, "memory": 128}\n')
    return ["build", "--benchmark", "020.empty"]


def _chmod(path: Path, mode: int) -> Path:
    path.chmod(mode)
    return path


def _symlink(cli: Cli, name: str, target: str) -> None:
    (cli.bench() / "python" / name).symlink_to(target)


def build(*args: str) -> Callable[[Cli], list[str]]:
    return lambda cli: ["build", *args]


def build_matrix(text: str) -> Callable[[Cli], list[str]]:
    """``build-matrix`` of a matrix file holding ``text``."""
    return lambda cli: ["build-matrix", _matrix(cli, text)]


CASES = [
    # ---- names
    Case("name-capitals", "`--benchmark 010.Sleep` (capital letter)", "unknown benchmark name '010.Sleep'; allowed: lowercase",
         build("--benchmark", "010.Sleep")),
    Case("name-space", "`--benchmark '010 sleep'` (a space)", "unknown benchmark name '010 sleep'",
         build("--benchmark", "010 sleep")),
    Case("name-slash", "`--benchmark 000.microbenchmarks/010.sleep` (a path with `/`)",
         "unknown benchmark name '000.microbenchmarks/010.sleep'", build("--benchmark", "000.microbenchmarks/010.sleep")),
    Case("name-dotdot", "`--benchmark 010.sleep/..` (`..`)", "unknown benchmark name '010.sleep/..'",
         build("--benchmark", "010.sleep/..")),
    Case("name-too-long", "a 65-character benchmark name", "unknown benchmark name 'aaaa",
         build("--benchmark", "a" * 65)),
    Case("name-empty", "`--benchmark ,` (an empty list)", "name at least one --benchmark", build("--benchmark", ",")),
    # ---- platform, language, version, architecture
    Case("platform-matrix", "matrix file with `platforms = [\"lambda\"]`", "unknown platform 'lambda'; allowed: aws, azure, gcp, local, openwhisk",
         build_matrix('benchmarks = ["010.sleep"]\nplatforms = ["lambda"]\n')),
    Case("language-matrix", "matrix file with `[languages] ruby = [\"3.2\"]`", "unknown language 'ruby'; allowed: cpp, java, nodejs, python",
         build_matrix('benchmarks = ["010.sleep"]\n[languages]\nruby = ["3.2"]\n')),
    Case("version", "`--language nodejs --version 99`", "unknown version of nodejs for platform 'local' '99'; allowed: 18",
         build("--benchmark", "010.sleep", "--language", "nodejs", "--version", "99")),
    Case("arch-case", "`--arch ARM64` (wrong case)", "unknown architecture 'ARM64'; allowed: arm64, x64",
         build("--benchmark", "010.sleep", "--arch", "ARM64")),
    Case("arch-refused-flags", "`--platform openwhisk --arch arm64`", "unknown architecture for platform 'openwhisk' 'arm64'; allowed: x64",
         build("--benchmark", "010.sleep", "--platform", "openwhisk", "--arch", "arm64")),
    Case("arch-refused-include", "matrix `[[include]]` of gcp arm64", "unknown architecture for platform 'gcp' 'arm64'; allowed: x64",
         build_matrix('benchmarks = ["010.sleep"]\n[[include]]\nbenchmark = "010.sleep"\n'
                      'platform = "gcp"\nlanguage = "python"\nversion = "3.11"\narchitecture = "arm64"\n')),
    Case("tag-too-long", "a language version that makes the tag 134 characters (systems.json)",
         "unknown image tag (too long) 'function.local.010.sleep.python-3.11.000",
         lambda cli: ["build", "--benchmark", "010.sleep", "--language", "python", "--version", "3.11." + "0" * 80,
                      "--systems-config", _systems(cli, _long_version)]),
    # ---- the benchmark directory
    Case("benchmarks-dir-file", "`--benchmarks-dir` naming a file", "is not a directory",
         lambda cli: ["build", "--benchmark", "010.sleep", "--benchmarks-dir", str(cli.bench() / "config.json")]),
    Case("benchmark-empty", "a benchmark directory with only config.json", "benchmark '020.empty' has no code in a language platform 'local' builds",
         _empty_benchmark),
    Case("benchmark-unreadable", "the benchmark directory `chmod 000`, run without root's DAC override",
         "the directory of benchmark '010.sleep'",
         lambda cli: (_chmod(cli.bench(), 0), ["build", "--benchmark", "010.sleep"])[1], prefix=NO_DAC),
    Case("language-dir-unreadable", "`python/` `chmod 000`, run without root's DAC override",
         "the python directory of benchmark '010.sleep'",
         lambda cli: (_chmod(cli.bench() / "python", 0), ["build", "--benchmark", "010.sleep", "--language", "python"])[1],
         prefix=NO_DAC),
    Case("file-unreadable", "`function.py` `chmod 000`, run without root's DAC override", "cannot read benchmark file",
         lambda cli: (_chmod(cli.bench() / "python" / "function.py", 0),
                      ["build", "--benchmark", "010.sleep", "--language", "python"])[1], prefix=NO_DAC),
    Case("language-dir-missing", "config.json declares nodejs, `nodejs/` deleted",
         "benchmark '010.sleep' declares language 'nodejs' but has no directory",
         lambda cli: (shutil.rmtree(cli.bench() / "nodejs"), ["build", "--benchmark", "010.sleep", "--language", "nodejs"])[1]),
    Case("language-not-in-benchmark", "`--language nodejs` for a benchmark whose config.json lists only python",
         "unknown language for benchmark '010.sleep' 'nodejs'; allowed: python",
         lambda cli: (_config(cli, '{"languages": ["python"]}'), ["build", "--benchmark", "010.sleep", "--language", "nodejs"])[1]),
    Case("config-json-syntax", "config.json cut off mid-object", "config.json' is not valid JSON",
         lambda cli: (_config(cli, '{"timeout": 10, "languages": ['), ["build", "--benchmark", "010.sleep"])[1]),
    Case("config-json-languages", "config.json with `\"languages\": \"python\"`", "'languages' must be a list of language names",
         lambda cli: (_config(cli, '{"languages": "python"}'), ["build", "--benchmark", "010.sleep"])[1]),
    Case("config-json-array", "config.json holding a JSON array", "must hold a JSON object",
         lambda cli: (_config(cli, '["python"]'), ["build", "--benchmark", "010.sleep"])[1]),
    # ---- systems.json
    Case("systems-syntax", "systems.json that is not JSON", "is not valid JSON",
         lambda cli: ["build", "--benchmark", "010.sleep", "--systems-config", _systems(cli, text='{"local": {')]),
    Case("systems-shape", "systems.json with `base_images` a string", "local.languages.python.base_images must be an object",
         lambda cli: ["build", "--benchmark", "010.sleep", "--systems-config",
                      _systems(cli, text='{"local": {"languages": {"python": {"base_images": "x"}}}}')]),
    Case("systems-missing", "`--systems-config` naming no file", "does not exist",
         lambda cli: ["build", "--benchmark", "010.sleep", "--systems-config", str(cli.tmp / "nope.json")]),
    # ---- matrix files
    Case("matrix-syntax", "matrix TOML with an unclosed list", "is not valid TOML",
         build_matrix('benchmarks = ["010.sleep"\n')),
    Case("matrix-unknown-key", "matrix with `benchmark =` (singular)", "unknown key in matrix file",
         build_matrix('benchmark = ["010.sleep"]\n')),
    Case("matrix-type", "matrix with `benchmarks = 5`", "'benchmarks' must be a list of strings",
         build_matrix("benchmarks = 5\n")),
    Case("matrix-include", "matrix `[[include]]` without platform/language", "an [[include]] entry lacks 'platform'",
         build_matrix('benchmarks = ["010.sleep"]\n[[include]]\nbenchmark = "010.sleep"\n')),
    Case("matrix-nothing", "matrix of gcp × arm64 only (every cell left out)", "selects no image that a platform can build",
         build_matrix('benchmarks = ["010.sleep"]\nplatforms = ["gcp"]\narchitectures = ["arm64"]\n')),
    Case("matrix-concurrency", "matrix with `concurrency = 0`", "unknown concurrency 0; allowed: a whole number of at least 1",
         build_matrix('benchmarks = ["010.sleep"]\nconcurrency = 0\n')),
    Case("concurrency-flag", "`--concurrency 0`", "unknown concurrency 0; allowed: a whole number of at least 1",
         build("--benchmark", "010.sleep", "--concurrency", "0")),
    # ---- what the image is built from and pushed to
    Case("no-dockerfile", "a ruby benchmark on local, where no `dockerfiles/local/ruby/` template exists",
         "no Dockerfile for platform 'local' and language 'ruby'", _ruby),
    Case("registry-scheme", "`--registry ftp://127.0.0.1:5000`", "unknown registry 'ftp://127.0.0.1:5000'; allowed: host[:port]",
         build("--benchmark", "010.sleep", "--registry", "ftp://127.0.0.1:5000")),
    Case("registry-port", "`--registry 127.0.0.1:70000`", "unknown registry '127.0.0.1:70000'",
         build("--benchmark", "010.sleep", "--registry", "127.0.0.1:70000")),
    Case("registry-namespace", "`--registry 127.0.0.1:5000/Team` (capitals in the namespace)", "unknown registry '127.0.0.1:5000/Team'",
         build("--benchmark", "010.sleep", "--registry", "127.0.0.1:5000/Team")),
    Case("repository", "`--repository Team/Functions`", "unknown repository name 'Team/Functions'",
         lambda cli: ["build", "--benchmark", "010.sleep", "--repository", "Team/Functions"]),
    Case("symlink-file-outside", "`python/passwd` → `/etc/passwd`", "points outside the benchmark (to '/etc/passwd')",
         lambda cli: (_symlink(cli, "passwd", "/etc/passwd"), ["build", "--benchmark", "010.sleep", "--language", "python"])[1]),
    Case("symlink-dir-outside", "`python/up` → `../../../..` (a directory above the benchmark)", "points outside the benchmark",
         lambda cli: (_symlink(cli, "up", "../../../.."), ["build", "--benchmark", "010.sleep", "--language", "python"])[1]),
    Case("symlink-broken", "`python/data` → a file that does not exist", "is broken",
         lambda cli: (_symlink(cli, "data", "missing.bin"), ["build", "--benchmark", "010.sleep", "--language", "python"])[1]),
    Case("ca-bundle", "`FAASFORGE_BUILD_CA_BUNDLE=/nonexistent/ca.pem`", "CA bundle '/nonexistent/ca.pem' (FAASFORGE_BUILD_CA_BUNDLE) does not exist",
         build("--benchmark", "010.sleep"), env={"FAASFORGE_BUILD_CA_BUNDLE": "/nonexistent/ca.pem"}),
    Case("retry-env", "`FAASFORGE_RETRY_ATTEMPTS=many`", "FAASFORGE_RETRY_ATTEMPTS",
         build("--benchmark", "010.sleep"), env={"FAASFORGE_RETRY_ATTEMPTS": "many"}),
    # ---- the command line itself
    Case("flag-missing-value", "`build --benchmark` with no value", "argument --benchmark: expected one argument",
         lambda cli: ["build", "--benchmark"], common=False),
    Case("flag-not-a-number", "`--concurrency two`", "argument --concurrency: invalid int value: 'two'",
         build("--benchmark", "010.sleep", "--concurrency", "two")),
    Case("unknown-command", "`faasforge deploy`", "invalid choice: 'deploy'", lambda cli: ["deploy"], common=False),
]


@pytest.fixture
def restore_modes(cli: Cli) -> Iterator[None]:
    yield
    for path in [cli.bench(), *cli.bench().rglob("*")] if cli.bench().exists() else []:
        if not path.is_symlink():
            os.chmod(path, 0o755 if path.is_dir() else 0o644)


def assert_refused(result: Result, code: int, fragment: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr[-3000:])
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.lines) == 1, result.stderr
    line = result.lines[0]
    assert line.startswith("faasforge: error: "), line
    assert fragment in line, line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_in_one_line(
    case: Case, cli: Cli, docker_engine: object, local_registry: str, restore_modes: None, ledger
) -> None:
    args = case.args(cli)
    result = cli.run(*args, env=case.env, prefix=case.prefix, common=case.common, timeout=60)
    assert_refused(result, case.code, case.fragment)
    assert_nothing_happened(cli, docker_engine)
    ledger.add("Bad input", case.id, done=case.done, happened=result.summary())


def test_unreadable_case_really_denies_access(cli: Cli, restore_modes: None) -> None:
    """The unreadable cases are meaningful: without DAC override, root cannot list a 000 dir."""
    import subprocess

    locked = _chmod(cli.bench() / "python", 0)
    denied = subprocess.run([*NO_DAC, "ls", str(locked)], capture_output=True, text=True)
    assert denied.returncode != 0 and "Permission denied" in denied.stderr


# ---- the two that only surface inside the flow, during the build
def test_base_image_that_does_not_exist(cli: Cli, docker_engine: object, local_registry: str, ledger) -> None:
    systems = _systems(cli, lambda d: d["local"]["languages"]["python"]["base_images"]["x64"].__setitem__(
        "3.11", "faasforge/no-such-base:3.11-x64"))
    result = cli.run("build", "--benchmark", "010.sleep", "--language", "python", "--version", "3.11",
                     "--systems-config", systems, env={"FAASFORGE_SYSTEMS_OVERLAY": ""})  # this file's images only
    assert_refused(result, 2, "base image 'faasforge/no-such-base:3.11-x64' for python 3.11 (local x64) is not in "
                   "the engine and cannot be pulled")
    assert "(log: " in result.error_line
    log = Path(result.error_line.rsplit("(log: ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text()  # the traceback went to the log file, not the console
    assert_nothing_happened(cli, docker_engine)
    ledger.add("Bad input", "base-image-missing", done="systems.json names a base image that exists nowhere "
               "(found during the build, inside the Prefect flow)", happened=result.summary())


def test_requirements_that_fail_to_install(cli: Cli, docker_engine: object, local_registry: str, ledger) -> None:
    req = cli.bench() / "python" / "requirements.txt"
    req.write_text("faasforge-vendored-helper @ file:///nonexistent/faasforge-vendored-helper\n")
    result = cli.run("build", "--benchmark", "010.sleep", "--language", "python")
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert "\x1b[" not in result.stderr  # pip's colours are stripped from the log tail
    errors = [ln for ln in result.lines if ln.startswith("faasforge: error: ")]
    assert len(errors) == 1 and result.lines[0] == errors[0], result.stderr
    assert "build of " in errors[0] and "failed" in errors[0]
    tail = result.lines[1:]
    assert tail[0].strip() == "last lines of the build log:"
    assert all(ln.startswith("    ") for ln in tail[1:]) and len(tail) > 2
    assert "/nonexistent/faasforge-vendored-helper" in "\n".join(tail)
    assert_nothing_happened(cli, docker_engine)
    assert not engine_images(docker_engine, REGISTRY, cli.repository)
    pip_error = next(ln.strip() for ln in reversed(tail) if "/nonexistent/" in ln)
    ledger.add("Bad input", "requirements-fail", done="requirements.txt names a dependency that cannot be installed "
               "(found by pip inside the build)",
               happened=f"exit 1, one error line `build of <image> failed` + {len(tail) - 1} lines of build log, "
               f"ending: {pip_error}")

