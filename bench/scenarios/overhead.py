"""Scenario 3: one image through the build_image flow vs raw ``docker build`` + ``docker push``
of the identical staged context (and the same steps as plain functions, without Prefect)."""

from __future__ import annotations

from typing import Any

from fixtures import overhead_benchmark
from harness import check, median, run_worker

from scenarios.common import Context

TITLE = "3. Overhead: build_image flow vs docker build + docker push"
LIMIT = 1.10


def run(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    light = overhead_benchmark(env.benchmarks_dir)
    cases = [{"benchmark": light, "repeats": ctx.pick(3, 1), "label": "light: sample 110.dynamic-html (jinja2)"}]
    result = run_worker(env, "overhead", {
        "benchmarks_dir": str(env.benchmarks_dir), "repository": env.repository("overhead"),
        "run_id": env.run_id, "cases": cases,
    })
    floor = result["floor"]
    figures: list[tuple[str, str]] = [("all images: Python 3.11, x64; medians over repeats", "")]
    checks = []
    for case, measured in zip(cases, result["cases"], strict=True):
        env.images.update(measured["raw_tags"])
        env.images.update(measured["images"])
        rows = measured["repeats"]

        def med(key: str, field: str = "seconds", rows: list[dict[str, Any]] = rows) -> float:
            return median(r[key][field] for r in rows)

        label = case["label"]
        for phase in ("cold", "warm"):
            flow, plain, raw = med(f"flow_{phase}"), med(f"plain_{phase}"), med(f"raw_{phase}")
            figures.append((f"{label}, {phase}: flow / plain functions / raw CLI",
                            f"{flow:.2f} / {plain:.2f} / {raw:.2f} s ({len(rows)} runs)"))
            figures.append((f"{label}, {phase}: build + push inside the flow / raw",
                            f"{med(f'flow_{phase}', 'build_s'):.2f} + {med(f'flow_{phase}', 'push_s'):.2f} / "
                            f"{med(f'raw_{phase}', 'build_s'):.2f} + {med(f'raw_{phase}', 'push_s'):.2f} s"))
            figures.append((f"{label}, {phase}: ratio flow / raw; plain / raw; flow - raw",
                            f"{flow / raw:.2f}x; {plain / raw:.2f}x; {flow - raw:+.2f} s"))
            figures.append((f"{label}, {phase}: flow wall - its own build and push (orchestration)",
                            f"{median(r[f'flow_{phase}']['seconds'] - r[f'flow_{phase}']['build_s'] - r[f'flow_{phase}']['push_s'] for r in rows):.2f} s"))
            target_phase = "warm (forced rebuild)" if phase == "warm" else "cold"
            checks.append(check(f"flow vs raw, {target_phase}", round(flow / raw, 3),
                                f"<= {LIMIT:.2f}x", flow / raw <= LIMIT, "x"))
        if case.get("extras", True):
            figures.append((f"{label}: warm flow with Prefect's defaults (heartbeat thread on)",
                            f"{med('flow_warm_prefect_defaults'):.2f} s"))
            figures.append((f"{label}: unchanged, no --force (registry holds it: skip)",
                            f"{median(r['flow_skip_s'] for r in rows):.2f} s"))
    figures.append(("Prefect floor: a flow run with one task (CLI settings / Prefect defaults)",
                    f"{floor['cli_settings_s'] * 1000:.0f} / {floor['prefect_defaults_s'] * 1000:.0f} ms"))
    figures.append(("Prefect start-up in this process (excluded above)", f"{result['startup']['first_flow_run_s']:.1f} s"))
    return {"title": TITLE, "figures": figures, "checks": checks, "raw": result}
