"""faasforge.locks: the per-image file lock across real processes, and the engine build slots."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from faasforge.locks import BuildSlots, ImageLockTimeout, engine_slots, image_lock, lock_path

IMAGE = "127.0.0.1:5000/repo:function.local.010.sleep.python-3.11-x64-abc"
HASH = "c" * 64


def _hold(home: str, seconds: float, events: str) -> None:
    """Child process: take the lock, note when, hold it, note when released."""
    with image_lock(IMAGE, HASH, home=Path(home)):
        with open(events, "a") as f:
            f.write(f"acquired {time.time():.4f}\n")
        time.sleep(seconds)
        with open(events, "a") as f:
            f.write(f"released {time.time():.4f}\n")


def test_two_processes_take_the_image_lock_one_after_the_other(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    events = tmp_path / "events"
    procs = [ctx.Process(target=_hold, args=(str(tmp_path), 0.8, str(events))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = [line.split() for line in events.read_text().splitlines()]
    assert [kind for kind, _ in lines] == ["acquired", "released", "acquired", "released"]
    # the second acquired only after the first released
    assert float(lines[2][1]) >= float(lines[1][1])


def _holding(tmp_path: Path, seconds: float) -> multiprocessing.process.BaseProcess:
    """A process that holds the image's lock for ``seconds``, started and holding it on return."""
    events = tmp_path / "events"
    holder = multiprocessing.get_context("spawn").Process(target=_hold, args=(str(tmp_path), seconds, str(events)))
    holder.start()
    deadline = time.monotonic() + 30
    while not events.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return holder


def test_a_waiter_learns_who_holds_the_lock_and_gets_it_after_release(tmp_path: Path) -> None:
    holder = _holding(tmp_path, 1.5)
    try:
        seen: list[dict[str, object]] = []
        started = time.monotonic()
        with image_lock(IMAGE, HASH, home=tmp_path, on_wait=seen.append):
            waited = time.monotonic() - started
        assert waited > 0.5
        assert len(seen) == 1 and seen[0]["pid"] == holder.pid and seen[0]["image"] == IMAGE
    finally:
        holder.join(60)
    assert holder.exitcode == 0


def test_lock_times_out_with_a_message_naming_the_holder(tmp_path: Path) -> None:
    holder = _holding(tmp_path, 3.0)
    try:
        with pytest.raises(ImageLockTimeout, match=rf"pid {holder.pid} .*FAASFORGE_LOCK_TIMEOUT"), \
                image_lock(IMAGE, HASH, home=tmp_path, timeout=0.3):
            pass
    finally:
        holder.join(60)


def test_a_dead_holder_releases_the_lock(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    holder = ctx.Process(target=_hold, args=(str(tmp_path), 60.0, str(tmp_path / "events")))
    holder.start()
    deadline = time.monotonic() + 30
    while not (tmp_path / "events").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    holder.kill()
    holder.join(10)
    with image_lock(IMAGE, HASH, home=tmp_path, timeout=5):
        data = json.loads(lock_path(IMAGE, HASH, tmp_path).read_text())
        assert data["image"] == IMAGE


def test_lock_path_depends_on_uri_and_content() -> None:
    home = Path("/x")
    assert lock_path(IMAGE, HASH, home) == lock_path(IMAGE, HASH, home)
    assert lock_path(IMAGE, HASH, home) != lock_path(IMAGE, "d" * 64, home)
    assert lock_path(IMAGE, HASH, home) != lock_path(IMAGE + "x", HASH, home)
    assert lock_path(IMAGE, HASH, home).parent == home / "locks"


def test_build_slots_bound_threads_and_follow_a_new_limit() -> None:
    slots = BuildSlots(2)
    running, peak = 0, 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with slots.hold():
            with guard:
                running += 1
                peak = max(peak, running)
            time.sleep(0.1)
            with guard:
                running -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    slots.set_limit(1)  # lowered while held: the count stays right, new holders wait
    for t in threads:
        t.join(10)
    assert 1 <= peak <= 2 and slots.held == 0 and slots.limit == 1


def test_engine_slots_are_per_engine_and_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    a = engine_slots()
    assert engine_slots() is a
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2")
    assert engine_slots() is not a
