"""Scenario 6: peak memory of ``faasforge build-matrix`` over the 24-image matrix."""

from __future__ import annotations

from typing import Any

from harness import TreeMemory, check, standing_prefect_server

from scenarios.common import Context, published, rerun

TITLE = "6. Memory: peak RSS of a 24-image build-matrix run"
LIMIT_MB = 400


def run(ctx: Context) -> dict[str, Any]:
    pub, again = published(ctx), rerun(ctx)
    figures = []
    for label, run_ in (("publish (24 built, pushed)", pub), ("nightly rerun (24 skipped)", again)):
        mem = run_["memory"]
        figures.append((f"{label}: CLI process peak RSS", f"{mem['cli_peak_mb']:.0f} MB"))
        figures.append((f"{label}: Prefect server subprocess peak RSS", f"{mem['server_peak_mb']:.0f} MB"))
        figures.append((f"{label}: whole process tree, peak of the sum", f"{mem['tree_peak_mb']:.0f} MB"))
        figures.append((f"{label}: wall time", f"{run_['seconds']:.1f} s"))
    standing = None
    if not ctx.quick:  # the same rerun against a standing server: no server inside the run
        with standing_prefect_server(ctx.env) as (url, server_pid), TreeMemory(server_pid) as server:
            standing = dict(rerun(ctx, api_url=url))
        standing["server_peak_mb"] = round(max(server.peaks.values(), default=0.0), 1)
        figures.append(("rerun against a standing Prefect server: CLI process peak RSS",
                        f"{standing['memory']['cli_peak_mb']:.0f} MB"))
        figures.append(("rerun against a standing Prefect server: wall time (server heartbeats on)",
                        f"{standing['seconds']:.1f} s"))
        figures.append(("(the standing server itself, peak RSS)", f"{standing['server_peak_mb']:.0f} MB"))
    worst = max(pub["memory"]["cli_peak_mb"], again["memory"]["cli_peak_mb"])
    tree = max(pub["memory"]["tree_peak_mb"], again["memory"]["tree_peak_mb"])
    checks = [
        check("CLI process peak RSS (24-image matrix)", round(worst), f"<= {LIMIT_MB} MB", worst <= LIMIT_MB, "MB"),
        check("CLI + its Prefect server subprocess (sum)", round(tree), f"<= {LIMIT_MB} MB", tree <= LIMIT_MB, "MB"),
    ]
    return {"title": TITLE, "figures": figures, "checks": checks,
            "raw": {"publish": pub["memory"], "rerun": again["memory"], "standing": standing,
                    "publish_seconds": pub["seconds"], "rerun_seconds": again["seconds"]}}
