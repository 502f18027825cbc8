"""Servers and packages for the storage/nosql helper tests, all on 127.0.0.1 (moto's S3/DynamoDB
server is the shared ``moto_storage`` fixture of tests/conftest.py):

- ``node_modules``: every platform's Node.js ``deployment`` packages (and module_packages) of
  config/systems.json,
  installed once per pin set with npm into pytest's cache;
- ``gcs_emulator``: gcp-storage-emulator (Python, in memory) for Cloud Storage;
- ``azurite``: Microsoft's Azurite Blob service (npm, cached the same way, in memory).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, unavailable


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
        message = "node and npm are needed for the Node.js helper tests (apt-get install nodejs npm)"
        unavailable(message)
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
