"""Java and C++ staging: the context layout, the staged pom (platform packages, versions mapped onto
Debian's Maven repository), the generated CMake files, and bad input. No engine needed."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from faasforge.benchmarks import find_benchmark
from faasforge.errors import InvalidValue, UsageError
from faasforge.languages import cpp, java
from faasforge.model import ContextPlan, ImageRequest
from faasforge.settings import Settings
from faasforge.staging import plan_context
from tests.helpers import tree_fingerprint

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ROOT / "config" / "systems.json"
HTML_JAVA = ImageRequest("local", "110.dynamic-html", "java", "17", "x64")
SLEEP_CPP = ImageRequest("local", "010.sleep", "cpp", "all", "x64")
DEBIAN_BUILDER = "faasforge/build-java:17-x64"


def plan(request: ImageRequest, benchmarks_dir: Path, builder: str = DEBIAN_BUILDER,
         systems: Path = SYSTEMS) -> ContextPlan:
    settings = Settings(benchmarks_dir=benchmarks_dir, systems_config=systems)
    benchmark = find_benchmark(benchmarks_dir, request.benchmark)
    return plan_context(request, benchmark, settings, base_image="base:1", builder_image=builder,
                        base_repository="example/repo")


def pagerank_cpp(benchmarks_dir: Path, platform: str, cpp_dependencies: list[str]) -> ImageRequest:
    """501.graph-pagerank's C++ image, its config.json's ``cpp_dependencies`` set first."""
    config = benchmarks_dir / "500.scientific/501.graph-pagerank/config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "cpp_dependencies": cpp_dependencies}))
    return ImageRequest(platform, "501.graph-pagerank", "cpp", "all", "x64")


def files(p: ContextPlan) -> dict[str, bytes]:
    return {e.relpath: (e.data if e.data is not None else e.source.read_bytes()) for e in p.entries}  # type: ignore[union-attr]


def test_java_context_merges_wrapper_src_and_fills_the_pom_in_the_staged_copy_only(
    benchmarks_dir: Path,
) -> None:
    before = tree_fingerprint(benchmarks_dir)
    staged = files(plan(HTML_JAVA, benchmarks_dir))
    assert {"Dockerfile", "maven/settings.xml", "function/pom.xml",
            "function/src/main/java/function/Function.java",
            "function/src/main/java/org/serverlessbench/LocalServer.java",
            "function/templates/template.html"} <= set(staged)
    pom = staged["function/pom.xml"].decode()
    assert java.PLACEHOLDER not in pom
    assert ("<groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId>"
            "<version>2.14.0</version>") in pom
    # versions Debian's repository lacks are mapped onto the ones it holds, and said so
    assert "<version>3.10.1</version>" in pom and "<version>3.11.0</version>" not in pom
    assert "<version>0.9.1</version>" in pom and "mapped com.github.spullara.mustache.java:compiler 0.9.10 -> 0.9.1" in pom
    assert b"file:///usr/share/maven-repo" in staged["maven/settings.xml"]
    assert tree_fingerprint(benchmarks_dir) == before  # the user's pom is never edited
    user_pom = (benchmarks_dir / "100.webapps/110.dynamic-html/java/pom.xml").read_text()
    assert java.PLACEHOLDER in user_pom and "3.11.0" in user_pom


def test_central_mode_keeps_the_pom_versions_and_has_no_mirror(
    benchmarks_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAASFORGE_MAVEN", "central")
    staged = files(plan(HTML_JAVA, benchmarks_dir))
    pom = staged["function/pom.xml"].decode()
    assert "<version>3.11.0</version>" in pom and "<version>0.9.10</version>" in pom
    assert b"<mirror>" not in staged["maven/settings.xml"]
    # auto: a builder image that is not faasforge's Debian one resolves from Maven Central
    monkeypatch.delenv("FAASFORGE_MAVEN")
    assert java.maven_mode("maven:3.9.6-amazoncorretto-17") == "central"
    assert java.maven_mode(DEBIAN_BUILDER) == "debian"
    monkeypatch.setenv("FAASFORGE_MAVEN", "nexus")
    with pytest.raises(InvalidValue, match="unknown FAASFORGE_MAVEN 'nexus'; allowed: auto, central, debian"):
        plan(HTML_JAVA, benchmarks_dir)


def test_the_hash_follows_the_platform_packages(benchmarks_dir: Path, tmp_path: Path) -> None:
    systems = json.loads(SYSTEMS.read_text())
    systems["local"]["languages"]["java"]["deployment"]["packages"]["com.google.code.gson:gson"] = "2.10"
    changed = tmp_path / "systems.json"
    changed.write_text(json.dumps(systems))
    first, second = plan(HTML_JAVA, benchmarks_dir), plan(HTML_JAVA, benchmarks_dir, systems=changed)
    assert first.content_hash != second.content_hash
    assert b"<artifactId>gson</artifactId>" in files(second)["function/pom.xml"]


def test_map_to_debian_reads_only_each_block_s_own_coordinates() -> None:
    pom = """<project><build><plugins><plugin>
      <artifactId>maven-shade-plugin</artifactId><version>3.2.4</version>
      <dependencies><dependency><groupId>org.ow2.asm</groupId><artifactId>asm</artifactId>
      <version>1.0</version></dependency></dependencies></plugin></plugins></build>
      <dependencies><dependency><groupId>com.google.code.gson</groupId><artifactId>gson</artifactId>
      <version>2.8.5</version><exclusions><exclusion><groupId>x</groupId><artifactId>y</artifactId>
      </exclusion></exclusions></dependency>
      <dependency><groupId>com.amazonaws</groupId><artifactId>aws-lambda-java-core</artifactId>
      <version>1.2.3</version></dependency>
      <dependency><groupId>a</groupId><artifactId>b</artifactId><version>${b.version}</version></dependency>
      </dependencies></project>"""
    text, mapped, missing = java.map_to_debian(pom)
    assert "org.apache.maven.plugins:maven-shade-plugin 3.2.4 -> 3.4.1" in mapped
    assert "com.google.code.gson:gson 2.8.5 -> 2.10" in mapped
    assert "com.amazonaws:aws-lambda-java-core:1.2.3" in missing
    assert "${b.version}" in text and "<version>2.10</version>" in text


def test_java_benchmark_without_pom_is_refused(benchmarks_dir: Path) -> None:
    (benchmarks_dir / "100.webapps/110.dynamic-html/java/pom.xml").unlink()
    with pytest.raises(UsageError, match=r"java benchmark '110.dynamic-html' has no pom.xml in .*; allowed: a Maven project"):
        plan(HTML_JAVA, benchmarks_dir)


def test_pom_without_placeholder_is_refused_when_the_platform_has_packages(benchmarks_dir: Path) -> None:
    pom = benchmarks_dir / "100.webapps/110.dynamic-html/java/pom.xml"
    pom.write_text(pom.read_text().replace(java.PLACEHOLDER, ""))
    with pytest.raises(UsageError, match="has no <!-- PLATFORM_DEPENDENCIES --> placeholder"):
        plan(HTML_JAVA, benchmarks_dir)


def test_cpp_context_layout_and_cmake(benchmarks_dir: Path) -> None:
    staged = files(plan(SLEEP_CPP, benchmarks_dir))
    assert {"Dockerfile", "CMakeLists.txt", "dependencies.txt", "function/main.cpp",
            "wrapper/handler.cpp", "wrapper/utils.cpp", "wrapper/utils.hpp"} <= set(staged)
    cmake = staged["CMakeLists.txt"].decode()
    assert "add_library(faasforge_wrapper STATIC" in cmake and "add_executable(benchmark" in cmake
    assert staged["dependencies.txt"].decode().splitlines()[1:] == ["libboost-dev", "rapidjson-dev"]
    graph = files(plan(ImageRequest("local", "501.graph-pagerank", "cpp", "all", "x64"), benchmarks_dir))
    assert "libigraph-dev" in graph["dependencies.txt"].decode()
    assert "pkg_check_modules(FAASFORGE_IGRAPH REQUIRED IMPORTED_TARGET igraph)" in graph["CMakeLists.txt"].decode()


def test_aws_cpp_dockerfile_names_sebs_dependency_images(benchmarks_dir: Path) -> None:
    request = pagerank_cpp(benchmarks_dir, "aws", ["igraph", "opencv"])
    staged = files(plan(request, benchmarks_dir))
    dockerfile = staged["Dockerfile"].decode()
    version = json.loads(SYSTEMS.read_text())["general"]["SeBS_version"]
    for name in ("runtime", "boost", "rapidjson", "igraph", "opencv"):
        assert f"FROM spcleth/serverless-benchmarks:dependencies-{name}.aws.cpp.all-{version} AS {name}" in dockerfile
    assert "COPY --from=opencv /opt/opencv /opt/opencv" in dockerfile
    assert "{{" not in dockerfile and 'ENTRYPOINT ["/build/benchmark"]' in dockerfile
    cmake = staged["CMakeLists.txt"].decode()
    assert "aws_lambda_package_target(${PROJECT_NAME})" in cmake and "AWS::aws-lambda-runtime" in cmake


def test_cpp_benchmark_without_sources_is_refused(benchmarks_dir: Path) -> None:
    code = benchmarks_dir / "000.microbenchmarks/010.sleep/cpp"
    (code / "main.cpp").rename(code / "main.txt")
    with pytest.raises(UsageError, match=r"cpp benchmark '010.sleep' has no C\+\+ sources in "):
        plan(SLEEP_CPP, benchmarks_dir)


def test_unknown_cpp_dependency_is_refused(benchmarks_dir: Path) -> None:
    request = pagerank_cpp(benchmarks_dir, "local", ["igraph", "eigen"])
    with pytest.raises(InvalidValue, match=(
        "unknown cpp_dependencies entry of benchmark '501.graph-pagerank' 'eigen'; allowed: boost, hiredis, "
        "igraph, libjpeg-turbo, opencv, rapidjson, runtime, sdk, torch"
    )):
        plan(request, benchmarks_dir)
    pagerank_cpp(benchmarks_dir, "local", ["sdk"])
    with pytest.raises(UsageError, match="'sdk' .the AWS SDK for C\\+\\+. has no Debian package"):
        plan(request, benchmarks_dir)


def test_sebs_benchmarks_stage_for_java_and_cpp(tmp_path: Path) -> None:
    """SeBS's own Java and C++ benchmarks stage with faasforge's wrappers (read-only copy)."""
    sebs = Path(os.environ.get("FAASFORGE_SEBS_BENCHMARKS", "-"))
    if not sebs.is_dir():
        pytest.skip("set FAASFORGE_SEBS_BENCHMARKS to a SeBS checkout's benchmarks/ to run this")
    copy = tmp_path / "sebs"
    for rel in ("000.microbenchmarks/010.sleep", "100.webapps/110.dynamic-html", "500.scientific/503.graph-bfs"):
        shutil.copytree(sebs / rel, copy / rel)
    staged = files(plan(ImageRequest("local", "110.dynamic-html", "java", "17", "x64"), copy))
    assert "function/src/main/java/org/serverlessbench/LocalServer.java" in staged
    assert "<version>3.10.1</version>" in staged["function/pom.xml"].decode()
    bfs = files(plan(ImageRequest("local", "503.graph-bfs", "cpp", "all", "x64"), copy))
    assert "libigraph-dev" in bfs["dependencies.txt"].decode() and "function/main.cpp" in bfs
    assert cpp.DEPENDENCIES["igraph"].debian == ("libigraph-dev",)
