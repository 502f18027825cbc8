"""Fixtures for the runtime-contract tests: stand-in base images (scripts/standins.sh) that carry
each platform's real runtime client, a systems.json pointing the platforms at them
(scripts/standins/systems.overlay.json over config/systems.json), and a builder that stages and
builds one function image on the real engine without a registry."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from faasforge.benchmarks import find_benchmark
from faasforge.engine import build_image
from faasforge.model import ImageRequest
from faasforge.overlay import load_overlay, overlay_path
from faasforge.settings import Settings
from faasforge.staging import materialize, plan_context, remove_context
from faasforge.systems import Systems
from tests.conftest import ROOT, SAMPLES, unavailable
from tests.helpers import systems_with

STANDINS = ROOT / "scripts" / "standins.sh"
OVERLAY = ROOT / "scripts" / "standins" / "systems.overlay.json"
SEBS_WRAPPERS = Path(__file__).resolve().parents[1] / "fixtures" / "sebs_wrappers"
X64_STANDINS = (
    "aws-python-x64", "aws-nodejs-x64", "gcp-python-x64", "gcp-nodejs-x64", "openwhisk-python-x64",
    "openwhisk-nodejs-x64", "azure-python-x64", "azure-nodejs-x64",
)
VERSIONS = {"python": "3.11", "nodejs": "18"}
Builder = Callable[..., str]


@pytest.fixture(scope="session")
def standins(docker_engine: object) -> tuple[str, ...]:
    """Ensure the x64 stand-ins (idempotent; CI builds them in scripts/services.sh)."""
    result = subprocess.run([str(STANDINS), "up", *X64_STANDINS], capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        unavailable(f"stand-in base images could not be built: {result.stderr.strip()[-800:]}")
    return X64_STANDINS


@pytest.fixture(scope="session")
def standin_systems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """config/systems.json under the local bases' overlay (stand-ins when offline, as the suite's
    FAASFORGE_SYSTEMS_OVERLAY), then the stand-ins' overlay: both JSON merge patches."""
    offline = overlay_path()
    patches = [load_overlay(offline)] if offline is not None else []
    return systems_with(tmp_path_factory.mktemp("systems") / "systems.json", *patches, load_overlay(OVERLAY))


@pytest.fixture(scope="session")
def sebs_benchmarks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples plus wrappers/ in SeBS's shape, as a SeBS checkout's benchmarks/ has them."""
    target = tmp_path_factory.mktemp("sebs") / "benchmarks"
    shutil.copytree(SAMPLES, target)
    shutil.copytree(SEBS_WRAPPERS, target / "wrappers", ignore=shutil.ignore_patterns("README.md"))
    return target


@pytest.fixture(scope="session")
def build_function(docker_engine: object, standins: tuple[str, ...], standin_systems: Path) -> Builder:
    """Stage and build one function image (no registry); returns its tag, content-addressed."""
    built: dict[tuple[object, ...], str] = {}

    def build(platform: str, language: str, benchmark: str = "010.sleep", benchmarks_dir: Path = SAMPLES,
              architecture: str = "x64", systems: Path | None = None) -> str:
        key = (platform, language, benchmark, benchmarks_dir, architecture, systems)
        if key in built:
            return built[key]
        systems_path = systems or standin_systems
        config = Systems.load(systems_path)
        request = ImageRequest(platform, benchmark, language, VERSIONS[language], architecture)
        settings = Settings(benchmarks_dir=benchmarks_dir, systems_config=systems_path)
        plan = plan_context(
            request, find_benchmark(benchmarks_dir, benchmark), settings,
            base_image=config.base_image(request), builder_image=config.builder_image(request),
            base_repository=config.base_repository(), deployment=config.deployment(platform, language),
        )  # the deployment section as the product passes it (pipeline.stage): its files and SDKs
        context = materialize(plan)
        tag = f"faasforge-test/runtime-{platform}-{language}-{benchmark}:{architecture}-{plan.hash12}"
        try:
            build_image(docker_engine, context, tag, architecture, plan.build_args, plan.content_hash)  # type: ignore[arg-type]
        finally:
            remove_context(context)
        built[key] = tag
        return tag

    return build


ECHO_PY = '''import os

def handler(event):
    keys = ["MINIO_STORAGE_CONNECTION_URL", "MINIO_STORAGE_ACCESS_KEY", "NOSQL_STORAGE_TABLE_x"]
    return {"result": {"event": sorted(event), "request_id": event.get("request-id"),
                       "env": {k: os.environ.get(k) for k in keys}}}
'''
ECHO_JS = '''exports.handler = async function (event) {
  const keys = ['MINIO_STORAGE_CONNECTION_URL', 'MINIO_STORAGE_ACCESS_KEY', 'NOSQL_STORAGE_TABLE_x'];
  const env = {};
  for (const k of keys) env[k] = process.env[k] === undefined ? null : process.env[k];
  return { result: { event: Object.keys(event).sort(), request_id: event['request-id'], env } };
};
'''


def samples_with(root: Path, name: str, files: dict[str, str]) -> Path:
    """A copy of the samples plus one made-up benchmark ``000.microbenchmarks/{name}``: its
    config.json (languages: the folders ``files`` writes into) and ``files`` (relative path → text)."""
    shutil.copytree(SAMPLES, root)
    bench = root / "000.microbenchmarks" / name
    languages = list(dict.fromkeys(rel.split("/", 1)[0] for rel in files))
    for rel, text in {"config.json": json.dumps({"timeout": 60, "memory": 128, "languages": languages}),
                      **files}.items():
        (bench / rel).parent.mkdir(parents=True, exist_ok=True)
        (bench / rel).write_text(text)
    return root


@pytest.fixture(scope="session")
def echo_benchmarks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return samples_with(tmp_path_factory.mktemp("echo") / "benchmarks", "090.echo", {
        "python/function.py": ECHO_PY,
        "python/requirements.txt": "",
        "nodejs/function.js": ECHO_JS,
        "nodejs/package.json": '{"name": "echo", "version": "1.0.0"}\n',
    })


BROKEN_DOCKERFILE = """ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL org.faasforge.platform="local" org.faasforge.language="python"
CMD ["python3", "-c", "import sys; print('cannot start: FAASFORGE_TEST_SETTING is not set', flush=True); sys.exit(3)"]
"""


@pytest.fixture(scope="session")
def broken_benchmarks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A benchmark whose own Dockerfile builds an image that exits at once: it never answers."""
    return samples_with(tmp_path_factory.mktemp("broken") / "benchmarks", "091.broken", {
        "python/function.py": "def handler(event):\n    return {'result': 1}\n",
        "python/Dockerfile": BROKEN_DOCKERFILE,
    })
