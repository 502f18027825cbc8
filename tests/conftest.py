"""Shared fixtures. Prefect and faasforge state go to temp dirs; services are the real ones
started by scripts/services.sh (Docker engine, registry on 127.0.0.1:5000, QEMU, base images)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
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


# ---------------------------------------------------------------------------- storage servers
# For the storage/nosql helper tests (tests/storage/) and the storage samples under each platform's
# runtime contract (tests/runtime/), all on 127.0.0.1.
def helper_packages() -> dict[str, str]:
    systems = json.loads((ROOT / "config" / "systems.json").read_text())
    merged: dict[str, str] = {}
    for name, platform in systems.items():
        deployment = platform.get("languages", {}).get("nodejs", {}).get("deployment", {}) if name != "general" else {}
        maps = [deployment.get("packages") or {}, *(deployment.get("module_packages") or {}).values()]
        for package, version in (item for mapping in maps for item in mapping.items()):
            if merged.get(package, version) != version:
                raise AssertionError(f"{package}: two pins in config/systems.json ({merged[package]}, {version})")
            merged[package] = version
    return merged


@pytest.fixture(scope="session")
def node_modules(request: pytest.FixtureRequest) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        unavailable("node and npm are needed for the Node.js helper tests (apt-get install nodejs npm)")
    packages = helper_packages()
    digest = hashlib.sha256(json.dumps(packages, sort_keys=True).encode()).hexdigest()[:16]
    root = Path(request.config.cache.mkdir(f"faasforge-node-helpers-{digest}"))
    if not (root / "node_modules" / ".complete").is_file():
        (root / "package.json").write_text(json.dumps({"name": "helpers", "version": "1.0.0", "dependencies": packages}))
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--omit=dev", "--no-package-lock"],
            cwd=root, capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        (root / "node_modules" / ".complete").write_text("\n".join(sorted(packages)))
    return root / "node_modules"


AZURITE_VERSION = "3.37.0"
# Azurite's documented development account (public, the same in every Azurite install).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None, seconds: float = 30) -> None:
    import socket
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise AssertionError(f"server exited with {process.returncode} before listening on {port}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """A Cloud Storage emulator (gcp-storage-emulator, in memory) on 127.0.0.1; yields its URL."""
    from gcp_storage_emulator.server import create_server

    from faasforge.ports import free_port

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def azurite(request: pytest.FixtureRequest, node_modules: Path) -> Iterator[str]:
    """Azurite's Blob service (Microsoft's Storage emulator, from npm, in memory) on 127.0.0.1;
    yields the connection string."""
    from faasforge.ports import free_port

    root = Path(request.config.cache.mkdir(f"faasforge-azurite-{AZURITE_VERSION}"))
    program = root / "node_modules" / ".bin" / "azurite-blob"
    if not program.exists():
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", f"azurite@{AZURITE_VERSION}"],
            cwd=root, capture_output=True, text=True, timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    port = free_port()
    process = subprocess.Popen(
        [str(program), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--inMemoryPersistence", "--silent",
         "--skipApiVersionCheck", "--loose"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        yield (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
               f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")
    finally:
        process.terminate()  # Azurite closes gracefully, waiting for idle keep-alive connections
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
