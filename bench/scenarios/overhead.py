"""Scenario 3: one image through the build_image flow vs raw ``docker build`` + ``docker push``
of the identical staged context."""

from __future__ import annotations

from typing import Any

from fixtures import overhead_benchmark
from harness import check, median, run_worker

from scenarios.common import Context

TITLE = "3. Overhead: build_image flow vs docker build + docker push"


def run(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    name = overhead_benchmark(env.benchmarks_dir)
    result = run_worker(env, "overhead", {
        "benchmarks_dir": str(env.benchmarks_dir), "benchmark": name, "repository": env.repository("overhead"),
        "run_id": env.run_id, "repeats": ctx.pick(3, 1),
    })
    env.images.update(result["raw_tags"])
    env.images.update(result.get("faasforge_images", []))
    rows = result["repeats"]
    f_cold = median(r["faasforge_cold"]["seconds"] for r in rows)
    r_cold = median(r["raw_cold"]["seconds"] for r in rows)
    f_warm = median(r["faasforge_warm"]["seconds"] for r in rows)
    r_warm = median(r["raw_warm"]["seconds"] for r in rows)
    cold_ratio, warm_ratio = f_cold / r_cold, f_warm / r_warm
    floor = result["floor"]
    figures = [
        ("image: sample 110.dynamic-html, Python 3.11, x64 (jinja2)", ""),
        ("cold: faasforge flow / raw CLI (median)", f"{f_cold:.2f} / {r_cold:.2f} s"),
        ("cold: raw build / push (median)",
         f"{median(r['raw_cold']['build_s'] for r in rows):.2f} / {median(r['raw_cold']['push_s'] for r in rows):.2f} s"),
        ("cold: faasforge build / push (median, as recorded)",
         f"{median(r['faasforge_cold']['build_s'] for r in rows):.2f} / "
         f"{median(r['faasforge_cold']['push_s'] for r in rows):.2f} s"),
        ("cold ratio", f"{cold_ratio:.2f}x"),
        ("warm (forced rebuild): faasforge flow / raw CLI (median)", f"{f_warm:.2f} / {r_warm:.2f} s"),
        ("warm ratio", f"{warm_ratio:.2f}x"),
        ("Prefect floor: a flow run with one task (CLI settings)", f"{floor['cli_settings_s'] * 1000:.0f} ms"),
        ("warm faasforge flow with Prefect's default settings (heartbeat thread)",
         f"{median(r['faasforge_warm_prefect_defaults']['seconds'] for r in rows):.2f} s"),
        ("unchanged image, no --force (registry holds it: skip)", f"{median(r['faasforge_skip_s'] for r in rows):.2f} s"),
        ("Prefect start-up in this process (excluded above)", f"{result['startup']['first_flow_run_s']:.1f} s"),
    ]
    checks = [
        check("overhead vs raw, cold", round(cold_ratio, 3), "<= 1.10x", cold_ratio <= 1.10, "x"),
        check("overhead vs raw, warm (forced rebuild)", round(warm_ratio, 3), "<= 1.10x", warm_ratio <= 1.10, "x"),
    ]
    return {"title": TITLE, "figures": figures, "checks": checks, "raw": result}
