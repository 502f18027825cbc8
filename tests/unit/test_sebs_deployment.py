"""SeBS's deployment sections, config.json modules and language variants, the dependency-file
rule and init.sh, decided without building: systems.json parsing, staging plans, the CLI's
one-line errors (exit 2, nothing built or recorded)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from faasforge.benchmarks import find_benchmark
from faasforge.cli import main
from faasforge.errors import ConfigError, InitScriptFailed, InitScriptTimeout, UsageError
from faasforge.model import ImageRequest
from faasforge.resources import config_dir
from faasforge.settings import Settings, faasforge_home
from faasforge.staging import materialize, plan_context
from faasforge.systems import Systems
from tests.helpers import tree_fingerprint

PROJECT_SYSTEMS = config_dir() / "systems.json"


def write_systems(tmp_path: Path, edit: dict[str, object] | None = None, name: str = "systems.json") -> Path:
    """The project's systems.json with ``edit`` applied: ``"local.python.deployment": {...}``."""
    data = json.loads(PROJECT_SYSTEMS.read_text())
    for dotted, value in (edit or {}).items():
        platform, language, key = dotted.split(".", 2)
        data[platform]["languages"][language][key] = value
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def make_benchmark(root: Path, name: str = "900.deps", language: str = "python", config: dict | None = None,
                   files: dict[str, str] | None = None) -> Path:
    """A benchmark in SeBS layout under ``root/900.tests/``; ``files`` relative to its language dir."""
    bench = root / "900.tests" / name
    (bench / language).mkdir(parents=True)
    (bench / "config.json").write_text(json.dumps(
        config or {"timeout": 10, "memory": 128, "languages": [language], "modules": []}
    ))
    default_code = {"python": {"function.py": "def handler(event):\n    return {'ok': True}\n"},
                    "nodejs": {"function.js": "exports.handler = async () => ({ok: true});\n"}}[language]
    for rel, text in {**default_code, **(files or {})}.items():  # relative to the language dir
        path = bench / language / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return bench


def plan_for(benchmarks: Path, systems: Path, request: ImageRequest):
    settings = Settings(benchmarks_dir=benchmarks, systems_config=systems)
    sy = Systems.load(systems)
    return plan_context(
        request, find_benchmark(benchmarks, request.benchmark), settings, base_image="b:1", builder_image="b:1",
        deployment=sy.deployment(request.platform, request.language),
    )


def staged_text(plan, relpath: str) -> str:
    (entry,) = [e for e in plan.entries if e.relpath == relpath]
    return (entry.data if entry.data is not None else entry.source.read_bytes()).decode()


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("faasforge: error: ")
    return err[0]


# ------------------------------------------------------------------ systems.json deployment sections
def test_sebs_shapes_are_read_as_sebs_reads_them(tmp_path: Path) -> None:
    path = write_systems(tmp_path, {
        "openwhisk.python.deployment": {"files": ["__main__.py", "storage.py"], "packages": [],
                                        "module_packages": {"storage": {"minio": "^5.0.10"},
                                                            "nosql": ["boto3==1.28.3"]}},
        "local.nodejs.deployment": {"files": ["storage.js"], "packages": {"minio": "7.0.16"}},
    })
    data = json.loads(path.read_text())
    data["general"] = {"SeBS_version": "1.2.1"}
    path.write_text(json.dumps(data))
    systems = Systems.load(path)
    ow = systems.deployment("openwhisk", "python")
    assert ow.files == ("__main__.py", "storage.py")
    # SeBS iterates a module's value: a map gives its keys (package names), a list its lines
    assert ow.module_packages["storage"].lines == ("minio",)
    assert ow.module_packages["nosql"].lines == ("boto3==1.28.3",)
    assert systems.deployment("local", "nodejs").packages.versions == (("minio", "7.0.16"),)
    assert systems.sebs_version() == "1.2.1"


def test_project_config_names_the_sebs_version_it_matches() -> None:
    assert Systems.load(PROJECT_SYSTEMS).sebs_version() == "1.2.1"


MALFORMED = [
    ("local.python.deployment", "storage.py", "local.languages.python.deployment must be an object"),
    ("local.python.deployment", {"files": "handler.py"}, "local.languages.python.deployment.files must be a list"),
    ("local.python.deployment", {"files": ["../secrets"]}, "deployment.files must be a list of wrapper file names"),
    ("local.python.deployment", {"packages": "minio"}, "local.languages.python.deployment.packages must be a list of pip"),
    ("local.python.deployment", {"packages": [3]}, "deployment.packages must be a list of pip requirement strings"),
    ("local.python.deployment", {"module_packages": ["minio"]},
     "local.languages.python.deployment.module_packages must be an object mapping module names"),
    ("local.python.deployment", {"module_packages": {"storage": "minio"}},
     "local.languages.python.deployment.module_packages.storage must be a list of pip"),
    ("local.nodejs.deployment", {"packages": ["minio"]},
     "local.languages.nodejs.deployment.packages must be an object mapping package names to versions"),
    ("local.nodejs.deployment", {"packages": {"minio": 7}}, "nodejs.deployment.packages must be an object"),
]


@pytest.mark.parametrize(("key", "value", "message"), MALFORMED, ids=[m[2][:50] for m in MALFORMED])
@pytest.mark.parametrize("command", ["plan", "build"])
def test_malformed_deployment_section_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, key: str, value: object, message: str
) -> None:
    systems = write_systems(tmp_path, {key: value})
    code = main([command, "--benchmark", "010.sleep", "--systems-config", str(systems)])
    assert code == 2
    line = one_line_error(capsys)
    assert message in line and "got " in line
    assert not (faasforge_home() / "catalog.sqlite").exists()


def test_malformed_sebs_version_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_systems(tmp_path)
    data = json.loads(path.read_text())
    data["general"]["SeBS_version"] = 1.2
    path.write_text(json.dumps(data))
    assert main(["plan", "--benchmark", "010.sleep", "--systems-config", str(path)]) == 2
    assert "general.SeBS_version must be a version string" in one_line_error(capsys)


# ------------------------------------------------------------------ config.json modules and variants
@pytest.mark.parametrize("command", ["plan", "build"])
def test_unknown_module_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    make_benchmark(tmp_path, config={"timeout": 1, "memory": 128, "languages": ["python"], "modules": ["queue"]})
    code = main([command, "--benchmark", "900.deps", "--benchmarks-dir", str(tmp_path)])
    assert code == 2
    line = one_line_error(capsys)
    assert "unknown module 'queue'" in line and "allowed: storage, nosql" in line
    assert not (faasforge_home() / "catalog.sqlite").exists()


def test_language_variant_objects_are_accepted_and_other_variants_stay_out(tmp_path: Path) -> None:
    make_benchmark(
        tmp_path, language="nodejs",
        config={"timeout": 1, "memory": 128, "modules": [],
                "languages": [{"language": "nodejs", "variants": ["default", "bun"]}]},
        files={"bun/function.js": "// bun variant\n"},
    )
    plan = plan_for(tmp_path, PROJECT_SYSTEMS, ImageRequest("local", "900.deps", "nodejs", "18", "x64"))
    paths = {e.relpath for e in plan.entries}
    assert "function/function.js" in paths
    assert not [p for p in paths if "/bun/" in p or p.startswith("function/bun")]  # SeBS's overlay dir for another variant


def test_benchmark_with_only_other_variants_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_benchmark(tmp_path, language="nodejs", config={
        "timeout": 1, "memory": 128, "modules": [], "languages": [{"language": "nodejs", "variants": ["llrt"]}]})
    assert main(["plan", "--benchmark", "900.deps", "--benchmarks-dir", str(tmp_path)]) == 2
    line = one_line_error(capsys)
    assert "implements nodejs only as language variant(s) llrt" in line and "'default' variant only" in line


def test_module_without_a_helper_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_benchmark(tmp_path, config={"timeout": 1, "memory": 128, "languages": ["python"], "modules": ["nosql"]})
    systems = write_systems(tmp_path, {"local.python.deployment": {"files": ["handler.py"]}})
    code = main(["plan", "--benchmark", "900.deps", "--benchmarks-dir", str(tmp_path), "--systems-config", str(systems)])
    assert code == 2
    assert "uses module 'nosql' (config.json modules) but no nosql.py wrapper" in one_line_error(capsys)


# ------------------------------------------------------------------ dependency files
RULE = [  # (files present, arch, the files the staged requirements.txt holds)
    ({".3.11", ".arm.3.11"}, "x64", ["requirements.txt", "requirements.txt.3.11"]),
    ({".3.11", ".arm.3.11"}, "arm64", ["requirements.txt", "requirements.txt.arm.3.11"]),
    ({".3.11"}, "arm64", ["requirements.txt", "requirements.txt.3.11"]),
    ({".arm.3.11"}, "x64", ["requirements.txt"]),
    (set(), "arm64", ["requirements.txt"]),
]


@pytest.mark.parametrize(("present", "arch", "expected"), RULE)
def test_python_dependency_files_follow_sebs_container_rule(
    tmp_path: Path, present: set[str], arch: str, expected: list[str]
) -> None:
    files = {"requirements.txt": "base-pkg\n"}
    files.update({f"requirements.txt{s}": f"pin{s.replace('.', '-')}\n" for s in present})
    make_benchmark(tmp_path, files=files)
    plan = plan_for(tmp_path, PROJECT_SYSTEMS, ImageRequest("local", "900.deps", "python", "3.11", arch))
    text = staged_text(plan, "requirements.txt")
    headers = [line[2:] for line in text.splitlines() if line.startswith("# requirements.txt")]
    assert headers == expected
    assert "base-pkg" in text


def test_nodejs_versioned_package_json_replaces_and_deployment_packages_merge(tmp_path: Path) -> None:
    bench = make_benchmark(tmp_path, language="nodejs", config={
        "timeout": 1, "memory": 128, "languages": ["nodejs"], "modules": ["storage"]}, files={
        "package.json": json.dumps({"name": "x", "dependencies": {"plain": "1.0.0"}}),
        "package.json.18": json.dumps({"name": "x", "dependencies": {"versioned": "2.0.0", "uuid": "^10.0.0"}}),
        "package-lock.json": "{}",
        "storage.js": "// not a wrapper: the benchmark's own file\n",
    })
    (tmp_path / "wrappers" / "local" / "nodejs").mkdir(parents=True)
    (tmp_path / "wrappers" / "local" / "nodejs" / "storage.js").write_text("// SeBS-shaped helper\n")
    systems = write_systems(tmp_path, {"local.nodejs.deployment": {
        "files": ["storage.js"], "packages": {"versioned": "3.0.0", "aws-sdk": "2.1692.0"}}})
    before = tree_fingerprint(bench)
    plan = plan_for(tmp_path, systems, ImageRequest("local", "900.deps", "nodejs", "18", "x64"))
    staged = json.loads(staged_text(plan, "package.json"))
    assert staged["dependencies"] == {
        "versioned": "3.0.0",  # the deployment's version wins, as SeBS's merge
        "uuid": "^10.0.0",  # faasforge's local additions never replace a declared one
        "aws-sdk": "2.1692.0",
        "minio": "7.0.16",  # SeBS's local run image installs minio itself: added for storage
    }
    assert "package-lock.json" not in {e.relpath for e in plan.entries}  # no longer matches
    assert tree_fingerprint(bench) == before


def test_python_deployment_and_module_packages_are_appended(tmp_path: Path) -> None:
    make_benchmark(tmp_path, config={"timeout": 1, "memory": 128, "languages": ["python"], "modules": ["storage"]},
                   files={"requirements.txt": "jinja2\n", "requirements.txt.3.11": "minio==7.2.0\n"})
    systems = write_systems(tmp_path, {"local.python.deployment": {
        "files": ["storage.py"], "packages": ["idna==3.10"],
        "module_packages": {"storage": {"six": "any"}, "nosql": ["boto3"]}}})
    (tmp_path / "wrappers" / "local" / "python").mkdir(parents=True)
    (tmp_path / "wrappers" / "local" / "python" / "storage.py").write_text("# helper\n")
    plan = plan_for(tmp_path, systems, ImageRequest("local", "900.deps", "python", "3.11", "x64"))
    lines = [x for x in staged_text(plan, "requirements.txt").splitlines() if x and not x.startswith("#")]
    # benchmark files, packages, the storage module's (a map's keys); no nosql; no second minio
    assert lines == ["jinja2", "minio==7.2.0", "idna==3.10", "six"]


def test_deployment_package_changes_the_tag(
    tmp_path: Path, local_registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def tag(systems: Path) -> str:
        assert main(["plan", "--benchmark", "010.sleep", "--language", "python", "--systems-config",
                     str(systems), "--registry", local_registry, "--json"]) == 0
        return str(json.loads(capsys.readouterr().out)[0]["image_uri"])

    plain = tag(PROJECT_SYSTEMS)
    one = tag(write_systems(tmp_path, {"local.python.deployment": {"files": ["handler.py"], "packages": ["idna==3.9"]}}, "a.json"))
    other = tag(write_systems(tmp_path, {"local.python.deployment": {"files": ["handler.py"], "packages": ["idna==3.10"]}}, "b.json"))
    assert len({plain, one, other}) == 3


def test_sebs_tag_style_uses_the_systems_config_version(
    tmp_path: Path, local_registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_systems(tmp_path)
    data = json.loads(path.read_text())
    data["general"]["SeBS_version"] = "9.8.7"
    path.write_text(json.dumps(data))
    for systems, version in ((PROJECT_SYSTEMS, "1.2.1"), (path, "9.8.7")):
        assert main(["plan", "--benchmark", "010.sleep", "--language", "python", "--tag-style", "sebs",
                     "--systems-config", str(systems), "--registry", local_registry, "--json"]) == 0
        uri = json.loads(capsys.readouterr().out)[0]["image_uri"]
        assert uri.endswith(f":function.local.010.sleep.python-3.11-x64-{version}")


# ------------------------------------------------------------------ wrapper files
def test_benchmarks_dir_wrappers_override_per_files(tmp_path: Path) -> None:
    make_benchmark(tmp_path, config={"timeout": 1, "memory": 128, "languages": ["python"], "modules": ["storage"]})
    theirs = tmp_path / "wrappers" / "local" / "python"
    theirs.mkdir(parents=True)
    (theirs / "storage.py").write_text("# SeBS-shaped storage helper\n")
    (theirs / "unlisted.py").write_text("# not in deployment.files\n")
    ow = tmp_path / "wrappers" / "openwhisk" / "python"
    ow.mkdir(parents=True)
    (ow / "__main__.py").write_text("# action entry\n")
    (ow / "storage.py").write_text("# ow storage\n")
    systems = write_systems(tmp_path, {
        "local.python.deployment": {"files": ["storage.py"]},
        "openwhisk.python.deployment": {"files": ["__main__.py", "storage.py"]},
    })
    local = plan_for(tmp_path, systems, ImageRequest("local", "900.deps", "python", "3.11", "x64"))
    sources = {e.relpath: e.source for e in local.entries}
    assert sources["function/storage.py"] == theirs / "storage.py"
    assert "function/unlisted.py" not in sources
    # SeBS's local wrapper has no handler: faasforge's own HTTP handler is always in
    assert sources["handler.py"] == Settings().wrappers_dir / "local" / "python" / "handler.py"

    ow_plan = plan_for(tmp_path, systems, ImageRequest("openwhisk", "900.deps", "python", "3.11", "x64"))
    paths = {e.relpath for e in ow_plan.entries}
    assert "function/storage.py" in paths and "function/__main__.py" not in paths  # as SeBS


# ------------------------------------------------------------------ init.sh
INIT = """#!/bin/bash
DIR=$1
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
echo "args: $2 $3"
cp -r "${SCRIPT_DIR}/../resources" "$DIR/"
echo "$3" > "$DIR/arch.txt"
echo ran >> MARKER
"""


def init_benchmark(tmp_path: Path, body: str = INIT) -> tuple[Path, Path]:
    marker = tmp_path / "init-ran.txt"
    bench = make_benchmark(tmp_path, files={"init.sh": body.replace("MARKER", str(marker))})
    (bench / "resources").mkdir()
    (bench / "resources" / "data.bin").write_bytes(b"\x00\x01")
    return bench, marker


def test_init_sh_runs_on_the_staged_copy_never_for_plan(
    tmp_path: Path, local_registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bench, marker = init_benchmark(tmp_path)
    os.chmod(bench / "python" / "init.sh", 0o644)  # as in SeBS: run through /bin/bash, no exec bit needed
    before = tree_fingerprint(bench)
    assert main(["plan", "--benchmark", "900.deps", "--benchmarks-dir", str(tmp_path),
                 "--registry", local_registry]) == 0
    assert not marker.exists()
    plan = plan_for(tmp_path, PROJECT_SYSTEMS, ImageRequest("local", "900.deps", "python", "3.11", "arm64"))
    assert plan.init_scripts == ("python/init.sh",)
    assert not marker.exists()
    context = materialize(plan, tmp_path / "staging")
    assert marker.read_text() == "ran\n"
    assert (context / "function" / "arch.txt").read_text() == "arm64\n"
    assert (context / "function" / "resources" / "data.bin").read_bytes() == b"\x00\x01"
    assert not (context / "function" / "init.sh").exists()
    assert not (context / ".faasforge-init").exists()  # the benchmark copy is gone before the build
    assert tree_fingerprint(bench) == before


def test_init_inputs_are_in_the_hash_output_is_not(tmp_path: Path) -> None:
    bench, _ = init_benchmark(tmp_path)
    request = ImageRequest("local", "900.deps", "python", "3.11", "x64")
    first = plan_for(tmp_path, PROJECT_SYSTEMS, request).content_hash
    (bench / "python" / "init.sh").write_text(INIT + "echo changed\n")
    second = plan_for(tmp_path, PROJECT_SYSTEMS, request).content_hash
    (bench / "resources" / "data.bin").write_bytes(b"other")
    third = plan_for(tmp_path, PROJECT_SYSTEMS, request).content_hash
    assert len({first, second, third}) == 3


def test_failing_init_sh_is_one_error_with_its_last_lines(tmp_path: Path) -> None:
    init_benchmark(tmp_path, "echo preparing-data\necho 'download failed: no route' >&2\nexit 7\n")
    plan = plan_for(tmp_path, PROJECT_SYSTEMS, ImageRequest("local", "900.deps", "python", "3.11", "x64"))
    with pytest.raises(InitScriptFailed) as info:
        materialize(plan, tmp_path / "staging")
    message = str(info.value)
    assert "\n" not in message and info.value.exit_code == 1
    assert "init script 'python/init.sh' failed (exited with status 7)" in message
    assert "preparing-data | download failed: no route" in message
    assert list((tmp_path / "staging").iterdir()) == []  # nothing left staged


def test_init_sh_timeout_is_a_setting_and_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_benchmark(tmp_path, "sleep 30 &\nwait\n")
    monkeypatch.setenv("FAASFORGE_INIT_TIMEOUT_SECONDS", "0.5")
    plan = plan_for(tmp_path, PROJECT_SYSTEMS, ImageRequest("local", "900.deps", "python", "3.11", "x64"))
    with pytest.raises(InitScriptTimeout) as info:
        materialize(plan, tmp_path / "staging")
    assert info.value.exit_code == 2 and "\n" not in str(info.value)
    assert "did not finish within 0.5 s (FAASFORGE_INIT_TIMEOUT_SECONDS)" in str(info.value)
    monkeypatch.setenv("FAASFORGE_INIT_TIMEOUT_SECONDS", "soon")
    with pytest.raises(UsageError, match="FAASFORGE_INIT_TIMEOUT_SECONDS 'soon'; allowed: a positive number"):
        plan_for(tmp_path, PROJECT_SYSTEMS, ImageRequest("local", "900.deps", "python", "3.11", "x64"))


def test_init_sh_that_cannot_be_run_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = make_benchmark(tmp_path)
    (bench / "init.sh").mkdir()  # not a script bash can run
    assert main(["build", "--benchmark", "900.deps", "--benchmarks-dir", str(tmp_path)]) == 2
    line = one_line_error(capsys)
    assert "init script" in line and "cannot be run" in line
    assert not (faasforge_home() / "catalog.sqlite").exists()


def test_config_error_type_for_bad_package_json(tmp_path: Path) -> None:
    make_benchmark(tmp_path, language="nodejs", files={"package.json": "{not json"})
    with pytest.raises(ConfigError, match="package.json' is not valid JSON"):
        plan_for(tmp_path, PROJECT_SYSTEMS, ImageRequest("local", "900.deps", "nodejs", "18", "x64"))


@pytest.mark.parametrize("helper", ["sebs", "own", "none"])
def test_local_gets_the_sdk_of_the_storage_helper_it_ships(tmp_path: Path, helper: str) -> None:
    make_benchmark(tmp_path)  # no modules declared: SeBS's 020/030 import storage anyway
    if helper == "sebs":
        theirs = tmp_path / "wrappers" / "local" / "python"
        theirs.mkdir(parents=True)
        (theirs / "storage.py").write_text("import minio\n")
    files = ["handler.py"] if helper == "none" else ["storage.py"]
    systems = write_systems(tmp_path, {"local.python.deployment": {"files": files}})
    plan = plan_for(tmp_path, systems, ImageRequest("local", "900.deps", "python", "3.11", "x64"))
    lines = [x for x in staged_text(plan, "requirements.txt").splitlines() if x and not x.startswith("#")]
    own = Systems.load(PROJECT_SYSTEMS).deployment("local", "python").module_packages.get("storage")
    expected = {
        "sebs": ["minio==5.0.10"],  # what SeBS's local run image gives its helper (the API it uses)
        "own": list(own.lines) if own else [],  # faasforge's helper: faasforge's own pin
        "none": [],
    }[helper]
    assert lines == expected
    other = plan_for(tmp_path, systems, ImageRequest("aws", "900.deps", "python", "3.11", "x64"))
    assert "minio==5" not in staged_text(other, "requirements.txt")  # only local's run image does that
