"""C++ benchmarks: ``*.cpp``/``*.hpp`` defining ``rapidjson::Document function(const rapidjson::Value&)``.

Staged context (the Dockerfile templates in ``dockerfiles/{platform}/cpp/`` read these names)::

    CMakeLists.txt      generated: the wrapper as a library of its own (``faasforge_wrapper``, built
                        in the dependency stage), the function's sources (``function/*.cpp``) as the
                        executable ``benchmark``, and the libraries config.json ``cpp_dependencies``
                        names (plus the ones every benchmark gets: boost, rapidjson; on aws the
                        Lambda runtime, as SeBS)
    dependencies.txt    local: the Debian packages those libraries come from (one per line)
    wrapper/            the platform wrapper (handler.cpp with main(), utils.*, storage.*, ...)
    function/           the benchmark's language directory
    Dockerfile          aws: the template with SeBS's dependency images filled in
                        (``{{DEPENDENCY_IMAGES}}``, ``{{DEPENDENCY_COPIES}}``)

The names of ``cpp_dependencies`` are SeBS's. On ``aws`` each is a dependency image
``{repository}:dependencies-{name}.aws.cpp.all-{SeBS version}`` (built by SeBS's tools; none is in
Debian). On ``local`` each maps to Debian packages; the AWS SDK and the Lambda runtime have none.
"""

from __future__ import annotations

from dataclasses import dataclass

from faasforge.errors import ConfigError, InvalidValue, UsageError
from faasforge.languages import StageInput, sebs_version
from faasforge.model import ContextEntry

__all__ = [
    "DEPENDENCIES",
    "Dependency",
    "aws_cmake",
    "context_entries",
    "cpp_dependencies",
    "local_cmake",
    "render_aws_dockerfile",
]


@dataclass(frozen=True)
class Dependency:
    """One of SeBS's C++ dependencies: how each platform provides it."""

    name: str
    what: str
    debian: tuple[str, ...] | None  # local: Debian packages (None: not packaged in Debian)
    local_cmake: str  # local: CMake lines linking it into faasforge_deps
    aws_cmake: str  # aws: SeBS's CMake lines (find_package + link) for the benchmark target
    aws_runtime_paths: tuple[str, ...]  # aws: what the function image copies from its image


_PKG = "find_package(PkgConfig REQUIRED)\n"

DEPENDENCIES: dict[str, Dependency] = {
    d.name: d
    for d in (
        Dependency(
            "runtime", "the AWS Lambda C++ runtime", None, "",
            "find_package(aws-lambda-runtime REQUIRED)\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE AWS::aws-lambda-runtime)\n",
            (),
        ),
        Dependency(
            "sdk", "the AWS SDK for C++", None, "",
            "find_package(AWSSDK REQUIRED COMPONENTS s3 dynamodb)\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE ${AWSSDK_LINK_LIBRARIES})\n"
            "target_compile_definitions(${PROJECT_NAME} PRIVATE SEBS_USE_AWS_SDK)\n",
            ("/opt/lib64/libaws*", "/opt/lib64/libs2n*"),
        ),
        Dependency(
            "boost", "Boost", ("libboost-dev",),
            "find_package(Boost REQUIRED)\ntarget_link_libraries(faasforge_deps INTERFACE Boost::boost)\n",
            "find_package(Boost REQUIRED)\n"
            "target_include_directories(${PROJECT_NAME} PRIVATE ${Boost_INCLUDE_DIRS})\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE ${Boost_LIBRARIES})\n",
            ("/opt/lib/libboost*",),
        ),
        Dependency(
            "rapidjson", "RapidJSON", ("rapidjson-dev",), "",
            "target_include_directories(${PROJECT_NAME} PRIVATE /opt/include)\n",
            (),
        ),
        Dependency(
            "opencv", "OpenCV (core, imgproc, imgcodecs)",
            ("libopencv-core-dev", "libopencv-imgproc-dev", "libopencv-imgcodecs-dev"),
            "find_path(FAASFORGE_OPENCV_INCLUDE opencv2/core.hpp PATH_SUFFIXES opencv4 REQUIRED)\n"
            "foreach(module core imgproc imgcodecs)\n"
            "  find_library(FAASFORGE_OPENCV_${module} opencv_${module} REQUIRED)\n"
            "  target_link_libraries(faasforge_deps INTERFACE ${FAASFORGE_OPENCV_${module}})\n"
            "endforeach()\n"
            "target_include_directories(faasforge_deps INTERFACE ${FAASFORGE_OPENCV_INCLUDE})\n",
            "find_package(OpenCV REQUIRED)\n"
            "target_include_directories(${PROJECT_NAME} PRIVATE ${OpenCV_INCLUDE_DIRS})\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE ${OpenCV_LIBS})\n",
            ("/opt/opencv",),
        ),
        Dependency(
            "libjpeg-turbo", "libjpeg-turbo (TurboJPEG API)", ("libturbojpeg0-dev",),
            _PKG + "pkg_check_modules(FAASFORGE_TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)\n"
            "target_link_libraries(faasforge_deps INTERFACE PkgConfig::FAASFORGE_TURBOJPEG)\n",
            "target_include_directories(${PROJECT_NAME} PRIVATE /opt/libjpeg-turbo/include)\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE /opt/libjpeg-turbo/lib64/libturbojpeg.a)\n",
            ("/opt/libjpeg-turbo",),
        ),
        Dependency(
            "igraph", "igraph", ("libigraph-dev",),
            _PKG + "pkg_check_modules(FAASFORGE_IGRAPH REQUIRED IMPORTED_TARGET igraph)\n"
            "target_link_libraries(faasforge_deps INTERFACE PkgConfig::FAASFORGE_IGRAPH)\n",
            "find_package(igraph REQUIRED)\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE igraph::igraph)\n",
            (),
        ),
        Dependency(
            "hiredis", "hiredis", ("libhiredis-dev",),
            _PKG + "pkg_check_modules(FAASFORGE_HIREDIS REQUIRED IMPORTED_TARGET hiredis)\n"
            "target_link_libraries(faasforge_deps INTERFACE PkgConfig::FAASFORGE_HIREDIS)\n",
            "find_package(hiredis REQUIRED)\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE hiredis::hiredis)\n",
            ("/opt/lib/libhiredis*",),
        ),
        Dependency(
            "torch", "LibTorch", None, "",
            "find_package(Torch REQUIRED)\n"
            "target_include_directories(${PROJECT_NAME} PRIVATE ${TORCH_INCLUDE_DIRS})\n"
            "target_link_libraries(${PROJECT_NAME} PRIVATE ${TORCH_LIBRARIES} -lm)\n",
            ("/opt/libtorch",),
        ),
    )
}
ALWAYS = {"local": ("boost", "rapidjson"), "aws": ("runtime", "boost", "rapidjson")}


def cpp_dependencies(inp: StageInput) -> list[str]:
    """The benchmark's config.json ``cpp_dependencies``, validated (one clear line each)."""
    raw = inp.benchmark.config.get("cpp_dependencies", [])
    where = f"cpp_dependencies entry of benchmark {inp.benchmark.name!r}"
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ConfigError(
            f"{str(inp.benchmark.path / 'config.json')!r}: 'cpp_dependencies' must be a list of names; "
            f"allowed: {', '.join(sorted(DEPENDENCIES))}"
        )
    for name in raw:
        if name not in DEPENDENCIES:
            raise InvalidValue(where, name, DEPENDENCIES)
    platform = inp.request.platform
    if platform == "local":
        for name in raw:
            if DEPENDENCIES[name].debian is None:
                available = sorted(n for n, d in DEPENDENCIES.items() if d.debian is not None)
                raise UsageError(
                    f"{where} {name!r} ({DEPENDENCIES[name].what}) has no Debian package, so local C++ "
                    f"images cannot link it; allowed on local: {', '.join(available)}"
                )
    ordered = list(ALWAYS.get(platform, ()))
    ordered += [name for name in raw if name not in ordered]
    return ordered


def local_cmake(deps: list[str], modules: list[str]) -> str:
    lines = [
        "# written by faasforge: local platform, C++ (Debian's libraries)",
        "cmake_minimum_required(VERSION 3.16)",
        "project(benchmark LANGUAGES CXX)",
        "set(CMAKE_CXX_STANDARD 17)",
        "set(CMAKE_CXX_STANDARD_REQUIRED ON)",
        "if(NOT CMAKE_BUILD_TYPE)",
        "  set(CMAKE_BUILD_TYPE Release)",
        "endif()",
        "",
        "# the libraries config.json cpp_dependencies names (+ boost and rapidjson)",
        "add_library(faasforge_deps INTERFACE)",
    ]
    for name in deps:
        lines.append(f"# {name}: {DEPENDENCIES[name].what}")
        lines.append(DEPENDENCIES[name].local_cmake.rstrip())
    lines += [
        "",
        "# the wrapper (HTTP main): built in the dependency stage, before the function's code",
        "file(GLOB FAASFORGE_WRAPPER_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/wrapper/*.cpp)",
        "add_library(faasforge_wrapper STATIC ${FAASFORGE_WRAPPER_SOURCES})",
        "target_include_directories(faasforge_wrapper PUBLIC ${CMAKE_SOURCE_DIR}/wrapper)",
        "find_package(Threads REQUIRED)",
        "target_link_libraries(faasforge_wrapper PUBLIC faasforge_deps Threads::Threads)",
        "",
        "# the function: every *.cpp of the benchmark's cpp/ directory",
        "file(GLOB FUNCTION_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/function/*.cpp)",
        "if(FUNCTION_SOURCES)",
        "  add_executable(benchmark ${FUNCTION_SOURCES})",
        "  target_include_directories(benchmark PRIVATE ${CMAKE_SOURCE_DIR}/function)",
        "  target_link_libraries(benchmark PRIVATE faasforge_wrapper)",
        "endif()",
    ]
    return "\n".join(lines) + "\n"


def aws_cmake(deps: list[str], modules: list[str], wrapper_sources: list[str]) -> str:
    """SeBS's CMake shape: one ``benchmark`` executable packaged by the Lambda runtime's
    ``aws_lambda_package_target`` (target ``aws-lambda-package-benchmark``)."""
    sources = [f"wrapper/{s}" for s in ("handler.cpp", "utils.cpp") if s in wrapper_sources]
    if "storage" in modules and "storage.cpp" in wrapper_sources:
        sources.append("wrapper/storage.cpp")
    if "nosql" in modules and "key-value.cpp" in wrapper_sources:
        sources.append("wrapper/key-value.cpp")
    lines = [
        "# written by faasforge: aws platform, C++ (SeBS's layout: AWS Lambda C++ runtime)",
        "cmake_minimum_required(VERSION 3.9)",
        "project(benchmark LANGUAGES CXX)",
        "set(CMAKE_CXX_STANDARD 17)",
        "file(GLOB FUNCTION_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/function/*.cpp)",
        f"add_executable(${{PROJECT_NAME}} {' '.join(sources)} ${{FUNCTION_SOURCES}})",
        'target_include_directories(${PROJECT_NAME} PRIVATE "wrapper" "function")',
        'target_compile_options(${PROJECT_NAME} PRIVATE "-Wall" "-Wextra")',
    ]
    for name in deps:
        lines.append(f"# {name}: {DEPENDENCIES[name].what}")
        lines.append(DEPENDENCIES[name].aws_cmake.rstrip())
    lines += ["", "# packages the binary and its libraries, as SeBS", "aws_lambda_package_target(${PROJECT_NAME})"]
    return "\n".join(lines) + "\n"


def render_aws_dockerfile(template: str, deps: list[str], repository: str, sebs_version: str) -> str:
    """Fill SeBS's placeholders: one ``FROM`` per dependency image, the runtime files each brings."""
    froms = [
        f"FROM {repository}:dependencies-{name}.aws.cpp.all-{sebs_version} AS {name}" for name in deps
    ]
    copies = []
    for name in deps:
        for path in DEPENDENCIES[name].aws_runtime_paths:
            target = path.rsplit("/", 1)[0] + "/" if "*" in path else path
            copies.append(f"COPY --from={name} {path} {target}")
    for placeholder in ("{{DEPENDENCY_IMAGES}}", "{{DEPENDENCY_COPIES}}"):
        if placeholder not in template:
            raise ConfigError(f"the aws C++ Dockerfile template has no {placeholder} placeholder")
    return template.replace("{{DEPENDENCY_IMAGES}}", "\n".join(froms)).replace(
        "{{DEPENDENCY_COPIES}}", "\n".join(copies) or "# (no dependency files)"
    )


def context_entries(inp: StageInput) -> list[ContextEntry]:
    entries: dict[str, ContextEntry] = {}
    for rel, real in inp.code_files():
        entries[f"function/{rel}"] = ContextEntry(f"function/{rel}", source=real, executable=_executable(real))
    if not any(rel.endswith(".cpp") and rel.count("/") == 1 for rel in entries):
        raise UsageError(
            f"cpp benchmark {inp.benchmark.name!r} has no C++ sources in {str(inp.code_dir)!r}; allowed: "
            "*.cpp files (one defines rapidjson::Document function(const rapidjson::Value&)) and *.hpp headers"
        )
    deps = cpp_dependencies(inp)
    modules = [str(m) for m in inp.benchmark.config.get("modules", []) or []]
    for rel, real in inp.wrappers.items():
        entries[f"wrapper/{rel}"] = ContextEntry(f"wrapper/{rel}", source=real, executable=_executable(real))
    platform = inp.request.platform
    if platform == "aws":
        cmake = aws_cmake(deps, modules, sorted(inp.wrappers))
        if inp.dockerfile_source == "template":
            repository = str(inp.language_section.get("dependency_images") or inp.base_repository)
            dockerfile = render_aws_dockerfile(
                inp.dockerfile.read_text(encoding="utf-8"), deps, repository, sebs_version(inp.settings)
            )
            entries["Dockerfile"] = ContextEntry("Dockerfile", data=dockerfile.encode())
    else:
        cmake = local_cmake(deps, modules)
    packages = sorted({p for name in deps for p in (DEPENDENCIES[name].debian or ())})
    entries["CMakeLists.txt"] = ContextEntry("CMakeLists.txt", data=cmake.encode())
    header = f"# cpp_dependencies: {' '.join(deps)}\n"
    entries["dependencies.txt"] = ContextEntry(
        "dependencies.txt", data=(header + "".join(f"{p}\n" for p in packages)).encode()
    )
    return list(entries.values())


def _executable(path: object) -> bool:
    from pathlib import Path

    assert isinstance(path, Path)
    return bool(path.stat().st_mode & 0o111)
