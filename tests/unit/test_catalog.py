from __future__ import annotations

import multiprocessing
from pathlib import Path

from faasforge.catalog import Catalog
from faasforge.model import ImageRecord


def record(benchmark: str = "010.sleep", arch: str = "x64", rebuilt: bool = True) -> ImageRecord:
    return ImageRecord(
        platform="local", benchmark=benchmark, language="python", version="3.11", architecture=arch,
        image_uri=f"127.0.0.1:5000/r:{benchmark}-{arch}", digest="sha256:" + "a" * 64,
        content_hash="c" * 64, size_mb=12.5, compressed_mb=4.25, build_seconds=3.0,
        push_seconds=1.0, rebuilt=rebuilt, reason="content not in registry",
    )


def test_record_replaces_by_key_and_keeps_history(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path / "c.sqlite")
    catalog.record(record())
    catalog.record(record(rebuilt=False))
    rows = catalog.all()
    assert len(rows) == 1 and rows[0].rebuilt is False and rows[0].recorded_at
    assert catalog.history_count() == 2
    assert catalog.get(record().request) == rows[0]


def _writer(path: str, start: int) -> None:
    catalog = Catalog(Path(path))
    for i in range(start, start + 50):
        catalog.record(record(benchmark=f"{i:03d}.bench"))


def test_two_processes_recording_at_once_lose_no_row(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    Catalog(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), s)) for s in (0, 500)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(Catalog(path).all()) == 100
