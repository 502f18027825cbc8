"""`build --smoke`: after the push, each built image is called once under its platform's
contract; one that does not answer is marked failed in its record, the catalog and the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from faasforge.flows.artifacts import image_rows
from faasforge.flows.build import build_image

from faasforge.catalog import Catalog
from faasforge.cli import main
from faasforge.settings import faasforge_home

pytestmark = [pytest.mark.docker, pytest.mark.prefect, pytest.mark.slow]


def test_smoke_marks_the_image_that_does_not_answer(
    local_registry: str, broken_benchmarks: Path, repository: str
) -> None:
    common = dict(language="python", version="3.11", architecture="x64", registry=local_registry,
                  repository=repository, benchmarks_dir=str(broken_benchmarks), smoke_event={"sleep": 0})
    good = build_image(benchmark="010.sleep", **common)
    bad = build_image(benchmark="091.broken", **common)
    assert good.rebuilt and good.smoke == "ok" and not good.smoke_failed
    assert bad.rebuilt and bad.smoke_failed
    assert bad.smoke is not None and bad.smoke.startswith("failed: the container exited before it listened on port")
    stored = {r.benchmark: r for r in Catalog(faasforge_home() / "catalog.sqlite").all()}
    assert stored["010.sleep"].smoke == "ok" and stored["091.broken"].smoke == bad.smoke
    assert bad.to_json()["smoke"] == bad.smoke
    rows = image_rows([good, bad])
    assert [r["smoke"] for r in rows] == ["ok", "FAILED" + bad.smoke[len("failed"):]]

    again = build_image(benchmark="010.sleep", **common)  # skipped: nothing built, nothing called
    assert not again.rebuilt and again.smoke is None


def test_smoke_event_that_is_not_json_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--benchmark", "010.sleep", "--smoke", "{nope"]) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "faasforge: error: --smoke is not valid JSON (Expecting property name enclosed in double quotes at line 1 "
        "column 2); allowed: a JSON object, or @FILE holding one"
    ]
