"""Fixtures of the reliability suite: real ``python -m faasforge`` processes in an isolated
environment, a private registry behind a fault-injecting proxy, and the ledger RELIABILITY.md is
rendered from (set ``FAASFORGE_RELIABILITY_REPORT`` to a path to write it)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import FAASFORGE, CliResult, cli_environment, registry_tags, run_cli, tree_fingerprint
from tests.reliability.faultproxy import FaultProxy, PrivateRegistry, any_request
from tests.reliability.ledger import Ledger, Row, clean

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "benchmarks"
REGISTRY = os.environ.get("FAASFORGE_TEST_REGISTRY", "127.0.0.1:5000")
SLEEP = "000.microbenchmarks/010.sleep"
HTML = "100.webapps/110.dynamic-html"

LEDGER = Ledger()
_OUTCOME = pytest.StashKey[dict[str, object]]()
FINGERPRINTS = {"checked": 0, "changed": 0}


# ---------------------------------------------------------------- the ledger
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    state = item.stash.setdefault(_OUTCOME, {"ok": True, "seconds": 0.0})
    if report.failed or report.skipped:
        state["ok"] = False
    state["seconds"] = float(state["seconds"]) + report.duration  # type: ignore[arg-type]
    if report.when == "teardown":
        LEDGER.settle(item.nodeid, bool(state["ok"]), float(state["seconds"]))  # type: ignore[arg-type]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("FAASFORGE_RELIABILITY_REPORT")
    if target and LEDGER.rows:
        path = Path(target)
        if not path.is_absolute():
            path = ROOT / path
        path.write_text(LEDGER.render(time.monotonic() - LEDGER.started))


class CaseLog:
    """What a test hands the ledger: ``ledger.add("Faults", "case", done=..., happened=...)``."""

    def __init__(self, nodeid: str) -> None:
        self.nodeid = nodeid

    def add(self, section: str, case: str, *, done: str, happened: str, **counts: int) -> None:
        LEDGER.add(Row(section, case, done, clean(happened), self.nodeid, dict(counts)))


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> CaseLog:
    return CaseLog(request.node.nodeid)


# ---------------------------------------------------------------- the CLI as a real process
@pytest.fixture(scope="session")
def prefect_db() -> Iterator[Path]:
    """A migrated Prefect database, copied into each run's PREFECT_HOME: the ephemeral server
    then starts like it does on a machine that ran faasforge before (no migrations)."""
    home = Path(tempfile.mkdtemp(prefix="faasforge-prefect-template-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    yield home / "prefect.db"
    shutil.rmtree(home, ignore_errors=True)


Result = CliResult  # what a test sees of a finished command


class Cli:
    """Runs ``python -m faasforge`` with its own FAASFORGE_HOME, PREFECT_HOME, staging dir and HOME;
    the benchmark copy is fingerprinted around every run (it must stay byte-identical)."""

    def __init__(self, tmp: Path, prefect_db: Path) -> None:
        self.tmp = tmp
        self.home = tmp / "faasforge-home"
        self.staging = tmp / "staging"
        self.user_home = tmp / "user-home"
        self.prefect_home = tmp / "prefect-home"
        self.benchmarks = tmp / "benchmarks"
        self.repository = f"rel-{uuid.uuid4().hex[:10]}"
        self._prefect_db = prefect_db
        self.user_home.mkdir(parents=True)
        shutil.copytree(SAMPLES, self.benchmarks, symlinks=True)
        self.env = cli_environment(tmp)  # faasforge-home, staging, prefect-home under tmp
        self.env.update(
            HOME=str(self.user_home),
            FAASFORGE_RETRY_ATTEMPTS="3",
            FAASFORGE_RETRY_BACKOFF_SECONDS="0.25",
            PYTHONDONTWRITEBYTECODE="1",
        )

    @property
    def catalog(self) -> Path:
        return self.home / "catalog.sqlite"

    def bench(self, relative: str = SLEEP) -> Path:
        return self.benchmarks / relative

    def command(self, *args: str, common: bool = True) -> list[str]:
        argv = [*FAASFORGE, *args]
        if common and args and args[0] in ("build", "build-matrix", "plan"):
            if "--benchmarks-dir" not in args:
                argv += ["--benchmarks-dir", str(self.benchmarks)]
            if "--repository" not in args:
                argv += ["--repository", self.repository]
        return argv

    def _prepare(self) -> None:
        self.prefect_home.mkdir(exist_ok=True)
        db = self.prefect_home / "prefect.db"
        if not db.exists():
            shutil.copyfile(self._prefect_db, db)

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 300, prefix: list[str] | None = None,
        common: bool = True,
    ) -> Result:
        self._prepare()
        before = tree_fingerprint(self.benchmarks)
        argv = (prefix or []) + self.command(*args, common=common)
        result = run_cli(argv, {**self.env, **(env or {})}, cwd=self.tmp, timeout=timeout, command=())
        self.check_benchmarks_unchanged(before)
        return result

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start the command in its own process group (so a test can SIGKILL all of it)."""
        self._prepare()
        return subprocess.Popen(
            self.command(*args), env={**self.env, **(env or {})}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=self.tmp, stdin=subprocess.DEVNULL, start_new_session=True,
        )

    def check_benchmarks_unchanged(self, before: dict[str, str]) -> None:
        FINGERPRINTS["checked"] += 1
        after = tree_fingerprint(self.benchmarks)
        if after != before:
            FINGERPRINTS["changed"] += 1
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        assert not changed, f"the benchmark directory changed: {changed[:5]}"

    def catalog_rows(self) -> int:
        if not self.catalog.exists():
            return 0
        try:
            with sqlite3.connect(self.catalog) as db:
                return int(db.execute("SELECT COUNT(*) FROM images").fetchone()[0]) + int(
                    db.execute("SELECT COUNT(*) FROM history").fetchone()[0]
                )
        except sqlite3.OperationalError:  # a run is creating it right now: no tables yet
            return 0

    def staged(self) -> list[Path]:
        return sorted(self.staging.iterdir()) if self.staging.is_dir() else []


@pytest.fixture
def cli(tmp_path: Path, prefect_db: Path) -> Cli:
    return Cli(tmp_path, prefect_db)


def engine_images(client: object, registry: str, repository: str) -> list[str]:
    images = client.images.list(name=f"{registry}/{repository}")  # type: ignore[attr-defined]
    return [t for image in images for t in image.tags]


def assert_nothing_happened(cli: Cli, client: object | None = None, registry: str = REGISTRY) -> None:
    """Nothing built, pushed, recorded or left staged for this test's repository."""
    assert cli.catalog_rows() == 0, "something was recorded"
    assert cli.staged() == [], f"staging directories were left: {cli.staged()}"
    if client is not None:
        assert registry_tags(registry, cli.repository) == [], "something was pushed"
        assert engine_images(client, registry, cli.repository) == [], "something was built"


# ---------------------------------------------------------------- a private registry with faults
@dataclass
class Faulty:
    registry: PrivateRegistry
    proxy: FaultProxy

    @property
    def address(self) -> str:
        return self.proxy.address

    def reset(self) -> None:
        self.proxy.set_mode("pass")
        self.proxy.match = any_request
        self.proxy._hooks.clear()
        self.proxy.requests.clear()
        if self.registry.process is None or self.registry.process.poll() is not None:
            self.registry.start()
        if self.proxy._server is None:
            self.proxy.listen_again()


@pytest.fixture(scope="session")
def fault_registry() -> Iterator[Faulty]:
    """One private registry and one proxy for the whole session: the proxy's port stays the same,
    so the engine mounts the base layers it pushed before instead of uploading them again."""
    registry = PrivateRegistry().start()
    proxy = FaultProxy(registry.address)
    yield Faulty(registry, proxy)
    proxy.close()
    registry.close()


@pytest.fixture
def faulty(fault_registry: Faulty, docker_engine: object) -> Iterator[Faulty]:
    fault_registry.reset()
    yield fault_registry
    fault_registry.reset()
