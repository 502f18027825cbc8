"""Where this process's flow runs go: ``flow_session()``, for the CLI and for your own pipeline.

    from faasforge.flows.build import build_images
    from faasforge.flows.session import flow_session

    with flow_session():
        records = build_images(images=[...])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from faasforge.localserver import LocalPrefectServer

__all__ = ["flow_session"]


@contextmanager
def flow_session() -> Iterator[LocalPrefectServer | None]:
    """Run the flows of this block against ``PREFECT_API_URL``, or else a local server of its own.

    With ``PREFECT_API_URL`` configured, nothing changes: the flows talk to that server, with
    heartbeats as configured; this yields None.

    Without it (and with Prefect's ephemeral mode allowed, its default), this starts Prefect's API
    server in a subprocess (``faasforge.localserver``: the same command, settings and SQLite
    database as Prefect's ephemeral server), points the flows at it with ``PREFECT_API_URL`` and
    yields it; the server stops when the block ends, and when this process is killed. Left to
    itself, Prefect's client would start that server by importing Prefect's whole server
    application into this process (~80 MB), and would leave it running when this process is
    killed. Heartbeats are turned off too: nothing can watch them on a server that lives and dies
    with this process, and Prefect 3.9's heartbeat thread sleeps in 1-second steps that it joins at
    the end of every flow run (~1 s per ``build_image`` call; BENCHMARKS.md, scenario 3).
    """
    import prefect.settings as ps

    if ps.PREFECT_API_URL.value() or not ps.get_current_settings().server.ephemeral.enabled:
        yield None  # a configured server; or none allowed, and Prefect says so itself
        return
    from faasforge.localserver import local_prefect_server, prefect_api

    heartbeat = getattr(ps, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY", None)  # Prefect >= 3.6
    updates = {} if heartbeat is None else {heartbeat: None}
    with local_prefect_server() as server, prefect_api(server.api_url, updates):
        yield server
