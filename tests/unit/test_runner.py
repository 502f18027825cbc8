"""faasforge.runner without Prefect and without Docker: an in-memory registry and a fake engine
passed in (tests/fakes/memory.py). The lock, skip, clean-up, failure and ordering decisions are
the ones the flows run, since the flows call the same ``run_image``/``run_matrix``."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from faasforge.errors import BuildFailed, InvalidValue
from faasforge.locks import BuildSlots, image_lock
from faasforge.model import ImageRequest
from faasforge.pipeline import Workspace, resolve_image
from faasforge.runner import MatrixFailed, PlainSteps, run_image, run_matrix
from faasforge.settings import Settings
from tests.conftest import SAMPLES
from tests.fakes.memory import FakeEngine, MemorySource

SLEEP_PY = ImageRequest("local", "010.sleep", "python", "3.11", "x64")
SLEEP_ARM = ImageRequest("local", "010.sleep", "python", "3.11", "arm64")
HTML_PY = ImageRequest("local", "110.dynamic-html", "python", "3.11", "x64")
SLEEP_NODE = ImageRequest("local", "010.sleep", "nodejs", "18", "x64")


@pytest.fixture
def source() -> MemorySource:
    return MemorySource()


@pytest.fixture
def ws(source: MemorySource, faasforge_home: Path) -> Workspace:
    return Workspace.from_settings(Settings(benchmarks_dir=SAMPLES, home=faasforge_home), source)


def test_absent_image_is_staged_built_pushed_recorded_and_its_context_removed(
    ws: Workspace, source: MemorySource, caplog: pytest.LogCaptureFixture
) -> None:
    engine = FakeEngine()
    with caplog.at_level(logging.INFO, logger="faasforge.runner"):
        record = run_image(SLEEP_PY, ws, PlainSteps(engine))
    assert record.rebuilt and record.reason == "content not in registry"
    assert engine.built == engine.pushed == [record.image_uri]
    assert "function/function.py" in engine.staged_files[0] and "Dockerfile" in engine.staged_files[0]
    assert not engine.contexts[0].exists()  # the staged context is gone after the build
    registry = source.registries["local"]
    assert record.digest == registry.images[record.image_uri].digest
    assert (record.size_mb, record.compressed_mb, record.build_seconds, record.push_seconds) == (2.0, 1.0, 0.5, 0.25)
    assert registry.repositories == {"functions"}
    assert ws.catalog.get(SLEEP_PY) == record
    assert "build slot acquired" in caplog.text


def test_present_image_is_skipped_with_one_lookup_and_nothing_built(ws: Workspace, source: MemorySource) -> None:
    engine = FakeEngine()
    first = run_image(SLEEP_PY, ws, PlainSteps(engine))
    lookups = source.registries["local"].lookups
    again = run_image(SLEEP_PY, ws, PlainSteps(engine))
    assert not again.rebuilt and again.reason == "tag already in registry (same content hash)"
    assert again.digest == first.digest and again.size_mb == first.size_mb  # sizes from the catalog
    assert source.registries["local"].lookups == lookups + 1
    assert engine.built == [first.image_uri]


def test_force_rebuilds_what_the_registry_holds(ws: Workspace) -> None:
    engine = FakeEngine()
    run_image(SLEEP_PY, ws, PlainSteps(engine))
    forced = run_image(SLEEP_PY, ws, PlainSteps(engine), force=True)
    assert forced.rebuilt and forced.reason == "forced rebuild (--force)"
    assert len(engine.built) == 2


def test_a_failed_build_removes_its_context_pushes_and_records_nothing(ws: Workspace) -> None:
    engine = FakeEngine(fail={"010.sleep"})
    with pytest.raises(BuildFailed, match="non-zero code"):
        run_image(SLEEP_PY, ws, PlainSteps(engine))
    assert not engine.contexts[0].exists()
    assert engine.pushed == [] and ws.catalog.all() == []


def test_a_run_that_waited_on_the_lock_finds_the_image_and_says_so(ws: Workspace, source: MemorySource) -> None:
    resolved = resolve_image(SLEEP_PY, ws)
    holding, release = threading.Event(), threading.Event()

    def other_run() -> None:  # holds the image's lock, publishes it, lets go
        with image_lock(resolved.image_uri, resolved.plan.content_hash, home=ws.settings.home):
            holding.set()
            release.wait(10)
            source.registries["local"].publish(resolved.image_uri)

    waits: list[str] = []

    class Waiting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("waiting for another run"):
                waits.append(record.getMessage())
                release.set()

    thread = threading.Thread(target=other_run)
    thread.start()
    assert holding.wait(10)
    logger = logging.getLogger("test.runner.lock")
    logger.addHandler(Waiting())
    logger.setLevel(logging.INFO)
    engine = FakeEngine()
    record = run_image(SLEEP_PY, ws, PlainSteps(engine), logger=logger)
    thread.join(10)
    assert waits and f"pid {os.getpid()}" in waits[0]
    assert not record.rebuilt and record.reason.endswith("; built by another run while this one waited")
    assert engine.built == []


def test_matrix_records_in_matrix_order_and_reports_every_failure_together(
    ws: Workspace, source: MemorySource
) -> None:
    engine = FakeEngine(fail={"110.dynamic-html"})
    steps = PlainSteps(engine)
    present = run_image(SLEEP_ARM, ws, steps)  # already in the registry: triaged, not rebuilt
    done: list[int] = []
    requests = [SLEEP_NODE, HTML_PY, SLEEP_ARM, SLEEP_PY]
    outcome = run_matrix(requests, ws, steps, concurrency=3, on_done=done.append)
    assert [r.request for r in outcome.records] == [SLEEP_NODE, SLEEP_ARM, SLEEP_PY]
    assert [r.rebuilt for r in outcome.records] == [True, False, True]
    assert outcome.records[1].digest == present.digest
    assert [(r, type(e)) for r, e in outcome.failures] == [(HTML_PY, BuildFailed)]
    assert sum(done) == len(requests)
    with pytest.raises(MatrixFailed) as failed:
        outcome.raise_for_failures()
    assert str(failed.value).startswith("1 of 4 images failed: 110.dynamic-html python-3.11 x64 (local): ")
    assert "\n" not in str(failed.value) and failed.value.exit_code == 1
    assert failed.value.records == outcome.records


def test_matrix_validates_every_image_before_building_any(ws: Workspace) -> None:
    engine = FakeEngine()
    bad = ImageRequest("local", "010.sleep", "python", "2.7", "x64")
    with pytest.raises(InvalidValue, match="2.7"):
        run_matrix([SLEEP_PY, bad], ws, PlainSteps(engine))
    assert engine.built == [] and ws.catalog.all() == []


def test_matrix_builds_hold_the_slots_they_are_given(ws: Workspace) -> None:
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    slots = BuildSlots(1)
    timer = threading.Timer(0.5, gate.set)  # let every worker reach the build before any finishes
    timer.start()
    outcome = run_matrix(
        [SLEEP_PY, SLEEP_ARM, SLEEP_NODE], ws, PlainSteps(engine), concurrency=3,
        run_one=lambda r: run_image(r, ws, PlainSteps(engine), slots=slots),
    )
    timer.cancel()
    assert not outcome.failures and len(engine.built) == 3
    assert engine.peak == 1 and slots.held == 0


def test_a_fanned_out_matrix_hands_each_image_to_run_one(ws: Workspace) -> None:
    engine = FakeEngine()
    handed: list[ImageRequest] = []

    def run_one(request: ImageRequest):  # type: ignore[no-untyped-def]
        handed.append(request)
        raise RuntimeError("run x ended Crashed: boom\nmore")

    outcome = run_matrix([SLEEP_PY, HTML_PY], ws, PlainSteps(engine), run_one=run_one)
    assert sorted(handed) == sorted([SLEEP_PY, HTML_PY]) and engine.built == []
    with pytest.raises(MatrixFailed, match=r"^2 of 2 images failed: .*Crashed: boom; .*Crashed: boom$"):
        outcome.raise_for_failures()
