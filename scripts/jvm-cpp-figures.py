#!/usr/bin/env python3
"""Measure Java and C++ local images: size, cold build (no cached step of this Dockerfile; the base
images present) and a code-only edit rebuild (the benchmark's code changed, nothing else).

    python scripts/jvm-cpp-figures.py [--arch x64] [CELL ...]     CELL: benchmark:language:version

Prints one JSON object per image (seconds, MB) for BENCHMARKS.md. Builds with the engine of the
environment (DOCKER_HOST), in a private copy of the samples; removes what it tagged.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from faasforge import resources
from faasforge.benchmarks import find_benchmark
from faasforge.engine import docker_client
from faasforge.model import DOCKER_PLATFORM, ImageRequest
from faasforge.settings import Settings
from faasforge.staging import materialize, plan_context, remove_context
from faasforge.systems import Systems

DEFAULT_CELLS = ["010.sleep:java:17", "110.dynamic-html:java:17", "010.sleep:cpp:all", "501.graph-pagerank:cpp:all"]
EDITS = {"java": "src/main/java/function/Function.java", "cpp": "main.cpp"}


def build(client, request: ImageRequest, benchmarks: Path, tag: str, nocache: bool) -> tuple[float, int]:
    systems = Systems.load(resources.config_dir() / "systems.json")
    settings = Settings(benchmarks_dir=benchmarks)
    plan = plan_context(request, find_benchmark(benchmarks, request.benchmark), settings,
                        base_image=systems.base_image(request), builder_image=systems.builder_image(request))
    context = materialize(plan)
    started = time.monotonic()
    try:
        for chunk in client.api.build(path=str(context), tag=tag, buildargs=plan.build_args, rm=True, forcerm=True,
                                      platform=DOCKER_PLATFORM[request.architecture], network_mode="host",
                                      nocache=nocache, decode=True):
            if "error" in chunk:
                raise SystemExit(f"{tag}: {chunk['error']}")
    finally:
        remove_context(context)
    return round(time.monotonic() - started, 1), int(client.api.inspect_image(tag)["Size"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", default="x64")
    parser.add_argument("cells", nargs="*", default=DEFAULT_CELLS)
    args = parser.parse_args()
    client = docker_client()
    work = Path(tempfile.mkdtemp(prefix="faasforge-figures-"))
    benchmarks = work / "benchmarks"
    shutil.copytree(resources.samples_dir(), benchmarks)
    try:
        for cell in args.cells:
            name, language, version = cell.split(":")
            request = ImageRequest("local", name, language, version, args.arch)
            tag = f"faasforge-figures/{name}:{language}-{args.arch}"
            cold, size = build(client, request, benchmarks, tag, nocache=True)
            code = find_benchmark(benchmarks, name).path / language / EDITS[language]
            code.write_text(code.read_text() + f"\n// a code-only edit {uuid.uuid4().hex}\n")
            edit, edited_size = build(client, request, benchmarks, tag, nocache=False)
            print(json.dumps({"image": f"{name} {language}-{version} {args.arch}", "size_mb": round(size / 1e6, 1),
                              "cold_s": cold, "code_edit_s": edit, "edited_size_mb": round(edited_size / 1e6, 1)}),
                  flush=True)
            client.images.remove(tag)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
