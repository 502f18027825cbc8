"""Helpers for the Java and C++ image tests: build one image from a staged context (the plain
pipeline pieces: plan, materialize, engine build), call a local image, and the stand-in bases for
the cloud templates (built FROM faasforge's local Java/C++ bases, offline, in seconds)."""

from __future__ import annotations

import io
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from faasforge.benchmarks import find_benchmark
from faasforge.engine import build_image
from faasforge.model import BuildResult, ImageRequest
from faasforge.ports import free_port
from faasforge.settings import Settings
from faasforge.staging import materialize, plan_context, remove_context
from faasforge.systems import Systems
from tests.helpers import systems_with

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ROOT / "config" / "systems.json"


@dataclass
class Built:
    result: BuildResult
    lines: list[str]

    def cached(self, marker: str) -> bool:
        """Whether the build step whose instruction contains ``marker`` came from the cache."""
        for i, line in enumerate(self.lines):
            if line.startswith("Step ") and marker in line:
                following = [x for x in self.lines[i + 1:i + 3] if x.strip()]
                return bool(following) and "Using cache" in following[0]
        raise AssertionError(f"no build step containing {marker!r}")


def build(client: Any, request: ImageRequest, benchmarks_dir: Path, tag: str, systems: Path = SYSTEMS) -> Built:
    settings = Settings(benchmarks_dir=benchmarks_dir, systems_config=systems)
    config = Systems.load(systems)
    plan = plan_context(
        request, find_benchmark(benchmarks_dir, request.benchmark), settings,
        base_image=config.base_image(request), builder_image=config.builder_image(request),
        base_repository=config.base_repository(),
    )
    context = materialize(plan)
    lines: list[str] = []
    try:
        result = build_image(client, context, tag, request.architecture, plan.build_args, plan.content_hash,
                             on_line=lines.append)
    finally:
        remove_context(context)
    return Built(result, lines)


def call_local(client: Any, image: str, event: dict[str, Any], platform: str = "linux/amd64",
               timeout: float = 120) -> dict[str, Any]:
    """Run a local image on a free port, POST one event, return the JSON reply."""
    port = free_port()
    container = client.containers.run(image, detach=True, network_mode="host", platform=platform,
                                      environment={"PORT": str(port)})
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = requests.post(f"http://127.0.0.1:{port}/", json=event, timeout=60)
                break
            except requests.ConnectionError:
                container.reload()
                if container.status == "exited" or time.monotonic() > deadline:
                    raise AssertionError(f"{image} did not answer: {container.logs()[-2000:]!r}") from None
                time.sleep(0.3)
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body
    finally:
        container.remove(force=True)


# ----------------------------------------------------------------------------------- stand-ins
_LAMBDA_ENTRYPOINT = b"""#!/bin/sh
# stand-in for the Lambda base images' /lambda-entrypoint.sh: Lambda's runtime interface client
# for Java (Maven Central) and C++ (GitHub) is not in Debian, so this one only says what it got.
echo "stand-in Lambda entrypoint: would run handler '$*' from ${LAMBDA_TASK_ROOT}" >&2
exit 64
"""

# Stand-in for com.amazonaws:aws-lambda-java-core (Maven Central only): the two types the wrapper
# compiles against, so the aws Java template builds to the end here.
_LAMBDA_CORE = {
    "com/amazonaws/services/lambda/runtime/Context.java":
        b"package com.amazonaws.services.lambda.runtime;\n"
        b"public interface Context { String getAwsRequestId(); }\n",
    "com/amazonaws/services/lambda/runtime/RequestHandler.java":
        b"package com.amazonaws.services.lambda.runtime;\n"
        b"public interface RequestHandler<I, O> { O handleRequest(I input, Context context); }\n",
}
_LAMBDA_CORE_POM = b"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>com.amazonaws</groupId><artifactId>aws-lambda-java-core</artifactId><version>1.2.3</version>
<description>faasforge test stand-in</description></project>
"""

STANDINS: dict[str, tuple[str, dict[str, bytes]]] = {
    "faasforge/standin-aws-java:17-x64": (
        "FROM faasforge/base-java:17-x64\n"
        "ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime\n"
        "COPY lambda-entrypoint.sh /lambda-entrypoint.sh\n"
        "WORKDIR /var/task\n"
        'ENTRYPOINT ["/lambda-entrypoint.sh"]\n',
        {"lambda-entrypoint.sh": _LAMBDA_ENTRYPOINT},
    ),
    "faasforge/build-java:17-x64-standin-aws": (
        "FROM faasforge/build-java:17-x64\n"
        "COPY api/ /tmp/api/\n"
        "RUN set -e; d=/usr/share/maven-repo/com/amazonaws/aws-lambda-java-core/1.2.3; mkdir -p $d /tmp/classes; "
        "javac --release 8 -d /tmp/classes $(find /tmp/api -name '*.java'); "
        "jar cf $d/aws-lambda-java-core-1.2.3.jar -C /tmp/classes .; "
        "cp /tmp/api/pom.xml $d/aws-lambda-java-core-1.2.3.pom; rm -rf /tmp/api /tmp/classes\n",
        {**{f"api/{k}": v for k, v in _LAMBDA_CORE.items()}, "api/pom.xml": _LAMBDA_CORE_POM},
    ),
    "faasforge/standin-gcp-java:17-x64": ("FROM faasforge/base-java:17-x64\n", {}),
    "faasforge/standin-openwhisk-java:8-x64": (
        # OpenWhisk's Java runtime starts its action proxy; the stand-in keeps the shape.
        'FROM faasforge/base-java:17-x64\nCMD ["java", "-jar", "/javaAction/proxy.jar"]\n', {},
    ),
    "faasforge/standin-aws-cpp:all-x64": (
        "FROM faasforge/base-cpp:all-x64\n"
        "ENV LAMBDA_TASK_ROOT=/var/task\n"
        "COPY lambda-entrypoint.sh /lambda-entrypoint.sh\n"
        'ENTRYPOINT ["/lambda-entrypoint.sh"]\n',
        {"lambda-entrypoint.sh": _LAMBDA_ENTRYPOINT},
    ),
    # SeBS's C++ build image runs cmake3 (Amazon Linux); Debian's cmake under that name.
    "faasforge/build-cpp:all-x64-standin-aws": (
        "FROM faasforge/build-cpp:all-x64\nRUN ln -s /usr/bin/cmake /usr/local/bin/cmake3\n", {},
    ),
}


def build_standin(client: Any, tag: str) -> None:
    dockerfile, files = STANDINS[tag]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in {"Dockerfile": dockerfile.encode(), **files}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    client.images.build(fileobj=buffer, custom_context=True, tag=tag, network_mode="none", rm=True,
                        labels={"org.faasforge.standin": "jvm-cpp-tests"})


# The cloud Java/C++ entries on the stand-ins, as a JSON merge patch (null removes a key).
JVM_CPP_OVERLAY: dict[str, Any] = {
    "aws": {"languages": {
        "java": {"base_images": {"x64": {"11": None, "17": "faasforge/standin-aws-java:17-x64"}, "arm64": None},
                 "builder_images": {"x64": {"11": None, "17": "faasforge/build-java:17-x64-standin-aws"}, "arm64": None}},
        "cpp": {"base_images": {"x64": {"all": "faasforge/standin-aws-cpp:all-x64"}},
                "builder_images": {"x64": {"all": "faasforge/build-cpp:all-x64-standin-aws"}}},
    }},
    "gcp": {"languages": {"java": {"base_images": {"x64": {"11": None, "17": "faasforge/standin-gcp-java:17-x64"}},
                                   "builder_images": {"x64": {"11": None, "17": "faasforge/build-java:17-x64"}}}}},
    "openwhisk": {"languages": {"java": {"base_images": {"x64": {"8": "faasforge/standin-openwhisk-java:8-x64"}},
                                         "builder_images": {"x64": {"8": "faasforge/build-java:17-x64"}}}}},
}


def standin_systems(path: Path) -> Path:
    """config/systems.json with the cloud Java/C++ entries pointed at the stand-ins."""
    return systems_with(path, JVM_CPP_OVERLAY, base=SYSTEMS)
