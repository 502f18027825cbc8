"""Shared fixtures. Prefect and faasforge state go to temp dirs; services are the real ones
started by scripts/services.sh (Docker engine, registry on 127.0.0.1:5000, QEMU, base images)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

# Isolate Prefect before anything imports it.
_PREFECT_HOME = tempfile.mkdtemp(prefix="faasforge-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The local Prefect server takes 8-16 s to answer on an idle 2-core machine and over 20 s (Prefect's
# default limit) while builds load it: the suite waits longer rather than failing at random.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
# Tests log through Prefect's loggers outside flow runs too (e.g. the console-rule tests).
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
os.environ.pop("PREFECT_API_URL", None)

ROOT = Path(__file__).resolve().parents[1]


def _systems_overlay() -> None:
    """The tests build on the base images scripts/services.sh provided: public ones when Docker
    Hub answered (mode file says "public"), else its offline stand-ins through the project's
    overlay (config/systems.offline.json). An overlay set by the caller wins."""
    if os.environ.get("FAASFORGE_SYSTEMS_OVERLAY"):
        return
    state = Path(os.environ.get("FAASFORGE_SERVICES_DIR", "/var/tmp/faasforge-services")) / "base-images.mode"
    try:
        mode = state.read_text().strip()
    except OSError:
        mode = "stand-ins"
    if mode != "public":
        os.environ["FAASFORGE_SYSTEMS_OVERLAY"] = str(ROOT / "config" / "systems.offline.json")


_systems_overlay()
SAMPLES = ROOT / "benchmarks"
REGISTRY = os.environ.get("FAASFORGE_TEST_REGISTRY", "127.0.0.1:5000")


def services_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("FAASFORGE_REQUIRE_SERVICES") == "1"


def unavailable(message: str) -> NoReturn:
    """A service or tool a test needs is missing: the test fails where services are required
    (CI, FAASFORGE_REQUIRE_SERVICES=1), else it is skipped with ``message``."""
    if services_required():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def faasforge_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "faasforge-home"
    monkeypatch.setenv("FAASFORGE_HOME", str(home))
    monkeypatch.setenv("FAASFORGE_STAGING_DIR", str(tmp_path / "staging"))
    return home


@pytest.fixture
def benchmarks_dir(tmp_path: Path) -> Path:
    """A private copy of the sample benchmarks that a test may edit."""
    target = tmp_path / "benchmarks"
    shutil.copytree(SAMPLES, target, symlinks=True)
    return target


@pytest.fixture
def repository() -> str:
    """A fresh repository name, so tests never see each other's images."""
    return f"faasforge-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[object]:
    import docker

    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:  # noqa: BLE001
        message = f"Docker engine not reachable ({exc}); run scripts/services.sh up"
        unavailable(message)
    yield client
    client.close()


@pytest.fixture(scope="session")
def local_registry(docker_engine: object) -> str:
    import requests

    try:
        requests.get(f"http://{REGISTRY}/v2/", timeout=3).raise_for_status()
    except Exception as exc:  # noqa: BLE001
        message = f"registry {REGISTRY} not reachable ({exc}); run scripts/services.sh up"
        unavailable(message)
    return REGISTRY


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Prefect stops its ephemeral server at interpreter exit and logs through handlers bound to
    # pytest's (by then closed) capture streams; don't print a spurious logging traceback.
    import logging

    logging.raiseExceptions = False


@pytest.fixture(scope="session")
def moto_storage() -> Iterator[object]:
    """One moto server on 127.0.0.1 for S3 and DynamoDB (tests/fakes/moto.py)."""
    from tests.fakes.moto import MotoStorage

    server = MotoStorage().start()
    try:
        yield server
    finally:
        server.stop()
