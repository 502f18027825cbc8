"""Faults with real processes: a registry stopped, killed mid-push, answering 500s, resetting
connections or slow (through tests/reliability/faultproxy.py); the Docker engine unreachable;
the flow SIGKILLed mid-build and rerun; the staging directory out of space."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import unavailable
from tests.helpers import ACCEPT, registry_tags
from tests.reliability.conftest import Cli, Faulty, Result, assert_nothing_happened
from tests.reliability.faultproxy import SeenRequest, any_request, from_engine, from_faasforge

pytestmark = pytest.mark.docker


def unique_code(cli: Cli, language: str = "python") -> None:
    """Give this test's copy of 010.sleep a code layer no other test pushed (so the engine must
    upload it instead of mounting it from another repository)."""
    name, comment = ("function.py", "#") if language == "python" else ("function.js", "//")
    path = cli.bench() / language / name
    path.write_text(path.read_text() + f"\n{comment} {uuid.uuid4().hex}\n")


def build_through(cli: Cli, faulty: Faulty, *extra: str) -> Result:
    return cli.run("build", "--benchmark", "010.sleep", "--language", "python", "--registry", faulty.address,
                   "--json", *extra)


def registry_manifest_is_valid(registry: str, repository: str, tag: str) -> str:
    """GET the manifest straight from the registry; every blob it names must be there in full.
    Returns the manifest digest (sha256 of its bytes, as the registry reports it)."""
    base = f"http://{registry}/v2/{repository}"
    reply = requests.get(f"{base}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10)
    reply.raise_for_status()
    digest = "sha256:" + hashlib.sha256(reply.content).hexdigest()
    assert reply.headers["Docker-Content-Digest"] == digest
    manifest = reply.json()
    for blob in [manifest["config"], *manifest["layers"]]:
        head = requests.head(f"{base}/blobs/{blob['digest']}", timeout=10)
        assert head.status_code == 200, (blob, head.status_code)
        assert int(head.headers["Content-Length"]) == blob["size"]
    return digest


def log_of(result: Result) -> str:
    match = re.search(r"\(log: ([^)]+)\)", result.stderr)
    assert match, result.stderr
    return Path(match.group(1)).read_text()


def manifest_head(req: SeenRequest) -> bool:
    return from_faasforge(req) and req.method == "HEAD" and "/manifests/" in req.path


_CHECKED: set[str] = set()


def first_check(req: SeenRequest) -> bool:
    """faasforge's first manifest check of an image (later ones, its retries, are not matched)."""
    if not manifest_head(req) or req.path in _CHECKED:
        return False
    _CHECKED.add(req.path)
    return True


def test_registry_stopped_before_the_push(cli: Cli, faulty: Faulty, ledger) -> None:
    def stop() -> None:
        faulty.proxy.stop_listening()  # nothing answers on the registry's port any more
        faulty.registry.stop()

    faulty.proxy.hook(manifest_head, stop, before=False)  # right after the "is it there?" check
    result = build_through(cli, faulty)
    assert result.returncode == 1, result.stderr[-3000:]
    assert result.stdout == "" and "Traceback" not in result.stderr
    error = result.lines[-1]
    assert error.startswith("faasforge: error: push of ") and "failed after 3 attempts" in error
    assert "connection refused" in error
    warnings = [ln for ln in result.lines[:-1]]
    assert len(warnings) == 2 and all("retrying in" in w for w in warnings), result.stderr
    assert "attempt 1 of 3, retrying in 0.25s" in warnings[0] and "attempt 2 of 3, retrying in 0.50s" in warnings[1]
    stamps = [int(h) * 3600 + int(m) * 60 + float(sec) for h, m, sec in
              re.findall(r"^(\d\d):(\d\d):(\d\d\.\d{3}) \| WARNING .*push of", log_of(result), re.M)]
    assert len(stamps) == 2 and stamps[1] - stamps[0] >= 0.25 - 0.01  # the back-off really waited
    assert_nothing_happened(cli)
    ledger.add("Faults", "registry stopped before the push",
               done="registry SIGTERMed and its port closed right after faasforge's manifest check",
               happened=f"2 retries {stamps[1] - stamps[0]:.2f} s apart (back-off 0.25 s, 0.5 s), then "
               f"{result.summary()}; nothing recorded")


def test_registry_killed_mid_push_then_rerun(cli: Cli, faulty: Faulty, ledger) -> None:
    unique_code(cli)
    # SIGKILL when the engine sends the manifest: the layers are uploaded, the image is not yet
    # published. (Killed during a layer upload instead, the engine itself retries that layer
    # 5 times over ~50 s before the push fails; the outcome for faasforge is the same.)
    faulty.proxy.hook(lambda r: from_engine(r) and r.method == "PUT" and "/manifests/" in r.path,
                      faulty.registry.kill)
    first = build_through(cli, faulty)
    assert first.returncode == 1 and "Traceback" not in first.stderr, first.stderr[-3000:]
    assert first.lines[-1].startswith("faasforge: error: push of ") and "failed after 3 attempts" in first.lines[-1]
    assert cli.catalog_rows() == 0
    assert faulty.registry.process is None  # it really died

    faulty.registry.start()  # same storage, same port: partial uploads are still in it
    second = build_through(cli, faulty)
    assert second.returncode == 0, second.stderr[-3000:]
    (record,) = json.loads(second.stdout)
    assert record["rebuilt"] is True
    tag = record["image_uri"].rsplit(":", 1)[1]
    digest = registry_manifest_is_valid(faulty.registry.address, cli.repository, tag)
    assert record["digest"] == digest
    assert cli.catalog_rows() == 2  # one image row + one history row
    ledger.add("Faults", "registry killed mid-push, rerun",
               done="registry SIGKILLed as the engine sent the manifest (layers uploaded, image not yet published); "
               "restarted on its storage, command rerun",
               happened=f"rerun exit 0, manifest {digest[:19]}… valid and every blob complete, 1 record; the killed "
               f"run: 2 push retries, then {first.summary()}; nothing recorded")


@pytest.mark.parametrize(
    ("mode", "match", "faults", "what"),
    [
        ("http500-first-3", lambda r: first_check(r) or (from_engine(r) and r.method == "PUT" and "/manifests/" in r.path),
         3, "500 for faasforge's first manifest check and for the push's first 2 manifest PUTs"),
        ("reset-first-2", lambda r: first_check(r) or from_engine(r), 2,
         "connection reset for faasforge's first manifest check and the engine's first request"),
        ("slow-400ms", any_request, None, "every request held 400 ms"),
    ],
    ids=["http500", "reset", "slow"],
)
def test_registry_behind_a_faulty_proxy(
    cli: Cli, faulty: Faulty, ledger, mode: str, match, faults: int | None, what: str
) -> None:
    faulty.proxy.set_mode(mode)
    faulty.proxy.match = match
    result = build_through(cli, faulty)
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = json.loads(result.stdout)
    assert record["rebuilt"] is True
    tag = record["image_uri"].rsplit(":", 1)[1]
    assert record["digest"] == registry_manifest_is_valid(faulty.registry.address, cli.repository, tag)
    injected = faulty.proxy.faults()
    if faults is not None:
        assert len(injected) == faults
        retries = [ln for ln in result.lines if "retrying in" in ln]
        assert retries and "Traceback" not in result.stderr, result.stderr
    else:
        assert len(injected) == len(faulty.proxy.requests) > 5
    assert cli.catalog_rows() == 2
    ledger.add("Faults", f"registry {mode}", done=what,
               happened=f"{len(injected)} faults injected; exit 0, pushed in {record['push_seconds']:.1f} s, "
               "digest matches the registry, 1 record")


def test_engine_unreachable(cli: Cli, local_registry: str, ledger) -> None:
    result = cli.run("build", "--benchmark", "010.sleep", "--language", "python",
                     env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.lines) == 1, result.stderr
    assert result.lines[0].startswith("faasforge: error: the Docker engine does not answer")
    assert_nothing_happened(cli)
    assert registry_tags(local_registry, cli.repository) == []
    ledger.add("Faults", "Docker engine unreachable", done="`DOCKER_HOST=unix:///nonexistent/docker.sock`",
               happened=f"{result.summary()}")


SLOW_DOCKERFILE = """ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN echo faasforge-slow-step-NONCE && sleep 25
COPY function/ /function/function/
COPY handler.py /function/handler.py
CMD ["python3", "/function/handler.py"]
"""


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_flow_sigkilled_mid_build_then_rerun_with_duplicates(
    cli: Cli, docker_engine, local_registry: str, ledger
) -> None:
    dockerfile = cli.bench() / "python" / "Dockerfile"
    dockerfile.write_text(SLOW_DOCKERFILE.replace("NONCE", uuid.uuid4().hex))  # never in the layer cache
    matrix = cli.tmp / "matrix.toml"
    matrix.write_text('benchmarks = ["010.sleep"]\nconcurrency = 1\n[languages]\nnodejs = ["18"]\npython = ["3.11"]\n')
    proc = cli.start("build-matrix", str(matrix), "--json")

    def slow_step_running() -> bool:
        return any("faasforge-slow-step" in " ".join(c.attrs["Config"].get("Cmd") or [])
                   for c in docker_engine.containers.list())

    try:
        _wait_for(lambda: cli.catalog_rows() == 2, 180, "the first image's record")  # nodejs done
        _wait_for(slow_step_running, 120, "the python build's slow step")  # python mid-build
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole run: CLI and its ephemeral Prefect server
        proc.wait(30)
    leftover = cli.staged()
    assert [p.name.split("-")[1] for p in leftover] == [str(proc.pid)]  # the dead run's context
    with sqlite3.connect(cli.catalog) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r[0] for r in db.execute("SELECT language FROM images")] == ["nodejs"]

    # The engine stops a build whose client is gone; give it a moment, then make sure.
    deadline = time.monotonic() + 15
    while slow_step_running() and time.monotonic() < deadline:
        time.sleep(0.5)
    orphan_build_stopped = not slow_step_running()
    for container in docker_engine.containers.list():
        if "faasforge-slow-step" in " ".join(container.attrs["Config"].get("Cmd") or []):
            container.kill()

    dockerfile.unlink()  # the rerun builds from the template
    rerun_matrix = cli.tmp / "rerun.toml"
    rerun_matrix.write_text(
        'benchmarks = ["010.sleep", "010.sleep"]\narchitectures = ["x64", "x64"]\nconcurrency = 2\n'
        '[languages]\nnodejs = ["18", "18"]\npython = ["3.11", "3.11"]\n'
        '[[include]]\nbenchmark = "010.sleep"\nplatform = "local"\nlanguage = "python"\nversion = "3.11"\narchitecture = "x64"\n'
        '[[include]]\nbenchmark = "010.sleep"\nplatform = "local"\nlanguage = "nodejs"\nversion = "18"\narchitecture = "x64"\n'
    )
    result = cli.run("build-matrix", str(rerun_matrix), "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    records = json.loads(result.stdout)
    assert [(r["language"], r["rebuilt"]) for r in records] == [("nodejs", False), ("python", True)]
    assert cli.staged() == []  # the dead run's directory was cleaned by the next materialize
    with sqlite3.connect(cli.catalog) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        history = db.execute("SELECT language, rebuilt FROM history ORDER BY id").fetchall()
    assert sorted(history) == [("nodejs", 0), ("nodejs", 1), ("python", 1)]
    builds = log_of_file(cli).count("built 127.0.0.1")
    assert builds == 1
    ledger.add("Faults", "flow SIGKILLed mid-build, rerun",
               done="matrix of 2 at concurrency 1; process group SIGKILLed while the 2nd image's slow RUN step ran; rerun",
               happened=f"catalog integrity ok with the 1 finished image; 1 staging dir of the dead pid left, removed by "
               f"the rerun; orphaned engine build {'stopped' if orphan_build_stopped else 'still running (killed)'}; "
               "rerun skipped 1, built 1")
    ledger.add("Concurrency", "matrix with duplicates",
               done="rerun matrix listing each of 2 images 5 times (repeated benchmarks, versions, architectures, [[include]])",
               happened=f"{len(records)} records, {builds} build, history grew by exactly 2")


def log_of_file(cli: Cli) -> str:
    logs = sorted((cli.home / "logs").glob("build-matrix-*.log"), key=lambda p: p.stat().st_mtime)
    return logs[-1].read_text()


@pytest.fixture
def tiny_staging(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "tiny-staging"
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(target)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        message = f"cannot mount a tmpfs ({done.stderr.strip()}); needs root"
        unavailable(message)
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=False)


def test_staging_directory_out_of_space(cli: Cli, tiny_staging: Path, local_registry: str, ledger) -> None:
    (cli.bench() / "python" / "data.bin").write_bytes(os.urandom(96 * 1024))  # the context outgrows 64 KiB
    result = cli.run("build", "--benchmark", "010.sleep", "--language", "python",
                     env={"FAASFORGE_STAGING_DIR": str(tiny_staging)})
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.lines) == 1, result.stderr
    assert result.lines[0].startswith(f"faasforge: error: no space left on device while staging into '{tiny_staging}'")
    assert list(tiny_staging.iterdir()) == []  # the partial context was removed
    assert_nothing_happened(cli)
    assert registry_tags(local_registry, cli.repository) == []
    ledger.add("Faults", "staging directory out of space", done="`FAASFORGE_STAGING_DIR` on a 64 KiB tmpfs",
               happened=f"{result.summary()}; tmpfs left empty; nothing recorded")


def test_faulty_proxy_counts_and_hooks(faulty: Faulty) -> None:
    """The proxy itself: faults apply to the first N matching requests only."""
    faulty.proxy.set_mode("http500-first-2")
    codes = [requests.get(f"http://{faulty.address}/v2/", timeout=5).status_code for _ in range(4)]
    assert codes == [500, 500, 200, 200]
    faulty.proxy.set_mode("reset-first-1")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://{faulty.address}/v2/", timeout=5)
    assert requests.get(f"http://{faulty.address}/v2/", timeout=5).status_code == 200
    faulty.proxy.stop_listening()
    with pytest.raises(requests.ConnectionError, match="refused|Connection"):
        requests.get(f"http://{faulty.address}/v2/", timeout=5)
    faulty.proxy.listen_again()
