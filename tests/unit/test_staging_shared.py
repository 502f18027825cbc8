"""The shared wrapper layer: ``wrappers/shared/{flavour}/{language}/`` files that a platform takes
through its ``wrappers/{platform}/{language}/shared.txt`` are staged exactly as its own files."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from faasforge.benchmarks import find_benchmark
from faasforge.errors import ConfigError, UsageError
from faasforge.model import ContextPlan, ImageRequest
from faasforge.resources import config_dir, wrappers_dir
from faasforge.settings import Settings
from faasforge.staging import own_wrapper_files, plan_context
from faasforge.systems import Systems

THUMBNAIL = "215.thumbnail"  # modules: storage
TODO = "140.todo-list"  # modules: nosql


def request(platform: str, benchmark: str = THUMBNAIL, language: str = "python", version: str = "3.11") -> ImageRequest:
    return ImageRequest(platform, benchmark, language, version, "x64")


def plan(req: ImageRequest, benchmarks_dir: Path, wrappers: Path | None = None) -> ContextPlan:
    settings = Settings(benchmarks_dir=benchmarks_dir, **({"wrappers_dir": wrappers} if wrappers else {}))
    deployment = Systems.load(config_dir() / "systems.json").deployment(req.platform, req.language)
    return plan_context(req, find_benchmark(benchmarks_dir, req.benchmark), settings, base_image="b:1",
                        builder_image="b:1", deployment=deployment)


def sources(p: ContextPlan) -> dict[str, Path | None]:
    return {e.relpath: e.source for e in p.entries}


def test_every_manifest_names_existing_flavours_and_no_name_twice() -> None:
    manifests = sorted(wrappers_dir().glob("*/*/shared.txt"))
    assert len(manifests) >= 13, manifests  # aws/gcp/azure/local/openwhisk python+nodejs, aws/gcp/openwhisk java
    for manifest in manifests:
        platform, language = manifest.parent.parent.name, manifest.parent.name
        files = own_wrapper_files(wrappers_dir(), platform, language)  # raises on a missing flavour or a clash
        assert "shared.txt" not in files
        assert any("/shared/" in real.as_posix() for real in files.values()), manifest


@pytest.mark.parametrize("language, helpers", [
    ("python", {"function/storage.py", "function/storage_base.py", "function/helper_base.py"}),
    ("nodejs", {"function/storage.js", "function/storage_base.js"}),
])
def test_local_and_openwhisk_images_take_the_same_shared_helpers(benchmarks_dir: Path, language: str,
                                                                 helpers: set[str]) -> None:
    version = "3.11" if language == "python" else "18"
    local = sources(plan(request("local", language=language, version=version), benchmarks_dir))
    openwhisk = sources(plan(request("openwhisk", language=language, version=version), benchmarks_dir))
    shared = (wrappers_dir() / "shared").resolve()
    for rel in helpers:
        assert local[rel] is not None and local[rel] == openwhisk[rel], rel
        assert local[rel].is_relative_to(shared), local[rel]  # type: ignore[union-attr]
    # the platform's own glue stays its own
    entry = "handler.py" if language == "python" else "handler.js"
    assert local[entry] != openwhisk[entry]


def test_handler_support_is_staged_beside_the_function_for_each_cloud(benchmarks_dir: Path) -> None:
    for platform in ("aws", "gcp", "azure"):
        staged = sources(plan(request(platform), benchmarks_dir))
        assert staged["function/handler_support.py"] == (
            wrappers_dir() / "shared/handler/python/handler_support.py").resolve(), platform
        assert "handler.py" in staged and "handler_support.py" not in staged
    node = sources(plan(request("openwhisk", language="nodejs", version="18"), benchmarks_dir))
    assert "function/handler_support.js" in node and "index.js" in node  # index.js requires it beside function.js


def test_java_takes_the_shared_measurement_into_its_src(benchmarks_dir: Path) -> None:
    for platform in ("aws", "gcp", "openwhisk"):
        version = {"openwhisk": "8"}.get(platform, "17")
        staged = sources(plan(request(platform, "110.dynamic-html", "java", version), benchmarks_dir))
        rel = "function/src/main/java/org/serverlessbench/Measurement.java"
        assert staged[rel] == (wrappers_dir() / "shared/handler/java" / rel.removeprefix("function/")).resolve()
        assert "function/src/main/java/org/serverlessbench/Handler.java" in staged


def test_editing_a_shared_file_changes_the_hash_of_every_image_that_takes_it(
    benchmarks_dir: Path, tmp_path: Path
) -> None:
    wrappers = tmp_path / "wrappers"
    shutil.copytree(wrappers_dir(), wrappers)
    platforms = ("local", "openwhisk", "aws")

    def hashes() -> dict[str, str]:
        return {p: plan(request(p), benchmarks_dir, wrappers).content_hash for p in platforms}

    before = hashes()
    assert before == hashes()
    minio = wrappers / "shared/minio/python/storage.py"  # local and openwhisk take it, aws does not
    minio.write_text(minio.read_text() + "\n# edited\n")
    after_minio = hashes()
    assert after_minio["local"] != before["local"] and after_minio["openwhisk"] != before["openwhisk"]
    assert after_minio["aws"] == before["aws"]
    base = wrappers / "shared/object-storage/python/storage_base.py"  # all three take it
    base.write_text(base.read_text() + "\n# edited\n")
    after_base = hashes()
    assert all(after_base[p] != after_minio[p] for p in platforms)


def requirements_of(benchmarks_dir: Path) -> bytes:
    """local python requirements.txt of the storage sample, without the config's module_packages:
    then only the helper's own SDK line says whose helper staging took it for."""
    deployment = Systems.load(config_dir() / "systems.json").deployment("local", "python")
    bench = find_benchmark(benchmarks_dir, THUMBNAIL)
    p = plan_context(request("local"), bench, Settings(benchmarks_dir=benchmarks_dir), "b:1", "b:1",
                     deployment=dataclasses.replace(deployment, module_packages={}))
    (entry,) = [e for e in p.entries if e.relpath == "requirements.txt"]
    assert entry.data is not None
    return entry.data


def test_the_benchmarks_dir_wrappers_still_override_a_shared_file(benchmarks_dir: Path) -> None:
    # the shared minio helper counts as faasforge's own: its SDK is faasforge's pin
    assert b"its own local storage helper's SDK" in requirements_of(benchmarks_dir)
    theirs = benchmarks_dir / "wrappers/local/python"
    theirs.mkdir(parents=True)
    (theirs / "storage.py").write_text("# the benchmark suite's own storage\n")
    staged = sources(plan(request("local"), benchmarks_dir))
    assert staged["function/storage.py"] == (theirs / "storage.py").resolve()
    # SeBS's helper now, so the SDK is the one SeBS's local run image installs for it
    assert b"minio==5.0.10" in requirements_of(benchmarks_dir)


def test_deployment_files_select_shared_helpers_as_the_platforms_own(benchmarks_dir: Path) -> None:
    systems = Systems.load(config_dir() / "systems.json")
    deployment = systems.deployment("local", "python")
    without_nosql = dataclasses.replace(deployment, files=("handler.py", "storage.py"))
    req = request("local", TODO)
    settings = Settings(benchmarks_dir=benchmarks_dir)
    bench = find_benchmark(benchmarks_dir, TODO)
    full = sources(plan_context(req, bench, settings, "b:1", "b:1", deployment=deployment))
    assert "function/nosql.py" in full and "function/dynamodb.py" in full
    with pytest.raises(UsageError, match="uses module 'nosql'"):  # a helper not listed stays out, shared or not
        plan_context(req, bench, settings, "b:1", "b:1", deployment=without_nosql)


def test_a_manifest_naming_a_missing_flavour_or_a_clash_is_one_config_error(tmp_path: Path) -> None:
    wrappers = tmp_path / "wrappers"
    (wrappers / "knative/python").mkdir(parents=True)
    (wrappers / "knative/python/handler.py").write_text("")
    (wrappers / "knative/python/shared.txt").write_text("# comment\nnowhere\n")
    with pytest.raises(ConfigError, match="names flavour 'nowhere'"):
        own_wrapper_files(wrappers, "knative", "python")
    (wrappers / "shared/clash/python").mkdir(parents=True)
    (wrappers / "shared/clash/python/handler.py").write_text("")
    (wrappers / "knative/python/shared.txt").write_text("clash  # brings a second handler.py\n")
    with pytest.raises(ConfigError, match="'handler.py' of knative python comes from both"):
        own_wrapper_files(wrappers, "knative", "python")
    (wrappers / "knative/python/shared.txt").write_text("../clash\n")
    with pytest.raises(ConfigError, match="is no flavour"):
        own_wrapper_files(wrappers, "knative", "python")
