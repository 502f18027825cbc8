"""tasks.limits (the server's global build slot) and the fanned-out table rows, without a server."""

from __future__ import annotations

import logging

import pytest
from faasforge.flows.artifacts import image_rows
from faasforge.flows.fanout import queue_for
from faasforge.tasks.limits import GLOBAL_LIMIT_ENV, global_build_slot, global_limit_name

from faasforge.errors import UsageError
from faasforge.model import ImageRecord, ImageRequest


def test_no_global_limit_unless_named(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv(GLOBAL_LIMIT_ENV, raising=False)
    assert global_limit_name() is None
    logger = logging.getLogger("test.limits")
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: None}), caplog.at_level(logging.INFO, logger="test.limits"), \
            global_build_slot(logger):  # no server asked: none is needed
        pass
    assert "global limit" not in caplog.text


def test_a_named_global_limit_without_a_server_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    monkeypatch.setenv(GLOBAL_LIMIT_ENV, "faasforge-docker-builds")
    with temporary_settings(updates={PREFECT_API_URL: None}), \
            pytest.raises(UsageError, match="needs a Prefect server"), \
            global_build_slot(logging.getLogger("test.limits")):
        pass


def _record(arch: str, extra: dict[str, str]) -> ImageRecord:
    return ImageRecord(
        platform="local", benchmark="010.sleep", language="python", version="3.11", architecture=arch,
        image_uri=f"127.0.0.1:5000/r:{arch}", digest="sha256:" + "a" * 64, content_hash="c" * 64,
        size_mb=140.0, compressed_mb=50.0, build_seconds=1.0, push_seconds=0.5, rebuilt=True,
        reason="content not in registry", extra=extra,
    )


def test_fanned_out_rows_say_which_queue_and_run_built_each_image() -> None:
    records = [
        _record("x64", {"work_queue": "x64", "flow_run": "build 010.sleep python-3.11 x64"}),
        _record("arm64", {"work_queue": "arm64", "flow_run": "build 010.sleep python-3.11 arm64"}),
    ]
    failed = ImageRequest("local", "110.dynamic-html", "python", "3.11", "arm64")
    rows = image_rows(records, [(failed, RuntimeError("run x ended Crashed: boom"))])
    assert [r["work queue"] for r in rows] == ["x64", "arm64", None]
    assert rows[1]["flow run"] == "build 010.sleep python-3.11 arm64"
    assert rows[2]["rebuilt"] == "FAILED" and "Crashed" in str(rows[2]["reason"])
    assert len({tuple(r) for r in rows}) == 1  # every row has the same columns


def test_plain_rows_keep_the_original_columns() -> None:
    rows = image_rows([_record("x64", {})])
    assert list(rows[0]) == ["image", "uncompressed MB", "compressed MB", "rebuilt", "reason", "build s", "push s"]


def test_queue_for_architecture() -> None:
    assert queue_for("arm64") == "arm64"
    assert queue_for("arm64", {"arm64": "graviton"}) == "graviton"
    assert queue_for("x64", {"arm64": "graviton"}) == "x64"
