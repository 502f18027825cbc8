"""Helpers for the Prefect-server tests: what the registry and the server say about a run."""

from __future__ import annotations

from typing import Any

import requests

from tests.helpers import ACCEPT


def image_architecture(image_uri: str) -> str:
    """The architecture in the pushed image's config blob (what a puller would get)."""
    host, _, rest = image_uri.partition("/")
    repo, _, tag = rest.rpartition(":")
    manifest = requests.get(f"http://{host}/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT}, timeout=10)
    manifest.raise_for_status()
    digest = manifest.json()["config"]["digest"]
    config = requests.get(f"http://{host}/v2/{repo}/blobs/{digest}", timeout=10)
    config.raise_for_status()
    return str(config.json()["architecture"])


def flow_run_logs(client: Any, flow_run_id: Any) -> str:
    """Every log line a flow run sent to the server."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])), limit=200)
    return "\n".join(log.message for log in logs)
