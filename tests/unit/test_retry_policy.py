"""One retry policy, one place: registry calls, token fetches and pushes retry in faasforge.retry
only, and no Prefect task retries on top (an unreachable registry is tried `attempts` times)."""

from __future__ import annotations

import logging
import socket
import uuid

import pytest
from faasforge.registries.oci import OciClient, parse_registry

from faasforge.errors import RegistryUnreachable
from faasforge.retry import RetryPolicy


def test_no_task_retries_on_top_of_the_inner_policy() -> None:
    import faasforge.tasks as tasks
    from prefect import Task

    found = [getattr(tasks, name) for name in tasks.__all__ if isinstance(getattr(tasks, name), Task)]
    assert len(found) >= 6
    for task in found:
        assert task.retries == 0, task.name


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_registry_is_tried_attempts_times(caplog: pytest.LogCaptureFixture) -> None:
    client = OciClient(parse_registry(f"127.0.0.1:{_dead_port()}"),
                       retry=RetryPolicy(attempts=3, backoff_seconds=0.01, timeout_seconds=1.0))
    with caplog.at_level(logging.WARNING, "faasforge.retry"), pytest.raises(RegistryUnreachable) as caught:
        client.head_manifest("r", "t")
    assert str(caught.value).endswith("did not answer after 3 attempts (ConnectionError)")
    assert [r.getMessage().split("; ")[1] for r in caplog.records] == [
        "attempt 1 of 3, retrying in 0.01s", "attempt 2 of 3, retrying in 0.02s",
    ]


@pytest.mark.docker
def test_a_push_to_an_unreachable_registry_is_tried_attempts_times(
    docker_engine, caplog: pytest.LogCaptureFixture
) -> None:
    from faasforge.model import ImageName
    from faasforge.push import push_image

    host = f"127.0.0.1:{_dead_port()}"
    repository = f"faasforge-test-{uuid.uuid4().hex[:8]}"
    from faasforge.model import ImageRequest
    from faasforge.overlay import overlay_path
    from faasforge.resources import config_dir
    from faasforge.systems import Systems

    base = Systems.load(config_dir() / "systems.json", overlay_path()).base_image(
        ImageRequest("local", "b", "python", "3.11", "x64")
    )  # any tagged image: the push never starts
    docker_engine.api.tag(base, f"{host}/{repository}", "t")  # type: ignore[attr-defined]
    try:
        with caplog.at_level(logging.WARNING, "faasforge.retry"), pytest.raises(RegistryUnreachable) as caught:
            push_image(docker_engine, ImageName(host, repository, "t"), lambda: None, lambda: None,  # type: ignore[arg-type]
                       retry=RetryPolicy(attempts=2, backoff_seconds=0.01))
        assert "failed after 2 attempts" in str(caught.value) and "connection refused" in str(caught.value)
        assert len(caplog.records) == 1
    finally:
        docker_engine.images.remove(f"{host}/{repository}:t")  # type: ignore[attr-defined]
