"""prefect.yaml against a fresh server: what `prefect deploy --all` creates, and the stack around it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.prefect.conftest import Stack

pytestmark = [pytest.mark.prefect, pytest.mark.slow, pytest.mark.docker]


def test_stack_runs_on_loopback_with_postgres_pool_queues_limit_and_two_workers(
    prefect_stack: Stack, prefect_api: Any
) -> None:
    assert prefect_stack.api_url.startswith("http://127.0.0.1:")
    assert prefect_stack.settings["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert "@127.0.0.1:" in prefect_stack.settings["PREFECT_API_DATABASE_CONNECTION_URL"]
    pool = prefect_api.read_work_pool("faasforge")
    assert pool.type == "process"
    queues = {q.name for q in prefect_api.read_work_queues(work_pool_name="faasforge")}
    assert {"x64", "arm64", "default"} <= queues
    limit = prefect_api.read_global_concurrency_limit_by_name("faasforge-docker-builds")
    assert limit.limit == 2 and limit.active
    workers = {w.name: w for w in prefect_api.read_workers_for_work_pool("faasforge")}
    assert {n.rsplit("-", 1)[0] for n in workers} >= {"faasforge-x64", "faasforge-arm64"}
    assert all(w.status.value == "ONLINE" for w in workers.values())
    # the server really uses PostgreSQL: the stack's own cluster answers on its port
    status = prefect_stack.script("status").stdout
    assert f"postgres: 127.0.0.1:{prefect_stack.settings['FAASFORGE_PG_PORT']}" in status
    assert status.count("worker:") == 2 and "not running" not in status


def test_up_is_idempotent(prefect_stack: Stack) -> None:
    before = (prefect_stack.dir / "server.pid").read_text()
    prefect_stack.script("up")
    assert (prefect_stack.dir / "server.pid").read_text() == before


def test_deploy_all_creates_both_deployments(deployed: dict[str, Any], prefect_api: Any) -> None:
    build = prefect_api.read_deployment_by_name("build-image/build-image")
    assert build.entrypoint == "faasforge.flows.build:build_image"
    assert build.work_pool_name == "faasforge" and build.work_queue_name == "x64"
    assert build.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $FAASFORGE_CHECKOUT }}"}}
    ]
    props = build.parameter_openapi_schema["properties"]
    # typed parameters: the UI offers choices
    assert props["platform"]["enum"] == ["local", "aws", "gcp", "azure", "openwhisk"]
    assert props["language"]["enum"] == ["python", "nodejs"]
    assert props["architecture"]["enum"] == ["x64", "arm64"]
    assert props["tag_style"]["enum"] == ["hash", "sebs"]
    assert "natively" in props["architecture"]["description"]
    assert set(build.parameter_openapi_schema["required"]) == {"benchmark", "language", "version"}

    nightly = prefect_api.read_deployment_by_name("nightly-matrix/nightly-matrix")
    assert nightly.entrypoint == "faasforge.flows.nightly:nightly_matrix"
    assert nightly.work_queue_name == "default"
    assert nightly.parameters == {"matrix_file": "config/nightly.toml", "fan_out": True}
    [schedule] = nightly.schedules
    assert schedule.active and schedule.schedule.cron == "0 2 * * *" and schedule.schedule.timezone == "UTC"
