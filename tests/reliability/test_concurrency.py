"""Concurrency with real processes: the same image wanted by two overlapping runs is built once
(faasforge.locks.image_lock), and four processes recording into one catalog, one of them
SIGKILLed mid-way, lose no committed row. (A matrix with duplicates: test_faults.py's rerun.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers import registry_tags
from tests.reliability.conftest import ROOT, Cli

SLOW_DOCKERFILE = """ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN echo faasforge-overlap-NONCE && sleep 12
COPY function/ /function/function/
COPY handler.py /function/handler.py
CMD ["python3", "/function/handler.py"]
"""


@pytest.mark.docker
def test_same_image_in_two_overlapping_runs_is_built_once(cli: Cli, local_registry: str, ledger) -> None:
    # A build that takes 12 s+ (the nonce keeps the engine's layer cache from shortening it).
    (cli.bench() / "python" / "Dockerfile").write_text(SLOW_DOCKERFILE.replace("NONCE", uuid.uuid4().hex))
    second_home = cli.tmp / "prefect-home-2"
    second_home.mkdir()
    cli._prepare()
    shutil.copyfile(cli.prefect_home / "prefect.db", second_home / "prefect.db")
    args = ("build", "--benchmark", "010.sleep", "--language", "python", "--json")
    procs = [cli.start(*args), cli.start(*args, env={"PREFECT_HOME": str(second_home)})]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    records = [json.loads(out)[0] for out, _ in outputs]
    assert records[0]["image_uri"] == records[1]["image_uri"]
    assert sorted(r["rebuilt"] for r in records) == [False, True]
    skipped = next(r for r in records if not r["rebuilt"])
    assert "built by another run while this one waited" in skipped["reason"]  # they did overlap
    assert registry_tags(local_registry, cli.repository) == [records[0]["image_uri"].rsplit(":", 1)[1]]
    logs = [p.read_text() for p in (cli.home / "logs").glob("build-*.log")]
    assert len(logs) == 2 and sum(text.count(" - built 127.0.0.1") for text in logs) == 1
    with sqlite3.connect(cli.catalog) as db:
        assert db.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 1
        assert sorted(r[0] for r in db.execute("SELECT rebuilt FROM history")) == [0, 1]
    ledger.add("Concurrency", "same image, two overlapping runs",
               done="two `faasforge build` processes started together for one image whose build takes 12 s",
               happened="1 build (the other waited on the image lock, then skipped: "
               f"\"{skipped['reason']}\"); 1 tag, 1 image row, 2 history rows")


WRITERS, ROWS, KILL_AFTER = 4, 200, 60


def test_four_catalog_writers_one_killed_lose_no_committed_row(tmp_path: Path, ledger) -> None:
    path = tmp_path / "catalog.sqlite"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    progress = [tmp_path / f"writer-{w}.progress" for w in range(WRITERS)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "tests.reliability.catalog_writer", str(path), str(w), str(ROWS),
                          str(progress[w])], env=env, cwd=ROOT)
        for w in range(WRITERS)
    ]
    victim = procs[-1]
    deadline = time.monotonic() + 120
    while _committed(progress[-1]) < KILL_AFTER:
        assert time.monotonic() < deadline and victim.poll() is None, "the victim finished too early"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    for proc in procs[:-1]:
        assert proc.wait(300) == 0
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        per_writer = dict(db.execute("SELECT substr(benchmark, 1, 2), COUNT(*) FROM images GROUP BY 1").fetchall())
        history = db.execute("SELECT COUNT(*) FROM history").fetchone()[0]
    committed = [_committed(p) for p in progress]
    found = [per_writer.get(f"{w:02d}", 0) for w in range(WRITERS)]
    assert committed[:-1] == [ROWS] * (WRITERS - 1)
    lost = sum(max(0, c - f) for c, f in zip(committed, found, strict=True))
    assert lost == 0, (committed, found)
    assert found[-1] in (committed[-1], committed[-1] + 1)  # at most the one in flight also landed
    assert history == sum(found)  # image row and history row commit together
    # The catalog still takes writes after the crash.
    done = subprocess.run([sys.executable, "-m", "tests.reliability.catalog_writer", str(path), "9", "1",
                           str(tmp_path / "after.progress")], env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0
    ledger.add("Concurrency", "4 catalog writers, one SIGKILLed",
               done=f"4 processes × {ROWS} records into one catalog; writer 4 SIGKILLed after {committed[-1]} commits",
               happened=f"integrity_check ok; rows {found} for commits {committed}; {lost} lost; catalog writable after",
               lost=lost)


def _committed(progress: Path) -> int:
    if not progress.exists():
        return 0
    return sum(1 for line in progress.read_text().splitlines() if line.strip())
