"""Scenario 7: a cold matrix, 8 images whose dependency layer changed, concurrency 2: faasforge's
template through build_images, the seed's Dockerfile order through the same flow, and raw
``docker build`` + ``docker push`` of faasforge's staged contexts, 2 at a time."""

from __future__ import annotations

from typing import Any

from fixtures import cold_matrix_benchmarks
from harness import check, median, run_worker

from scenarios.common import Context

TITLE = "7. Cold matrix: 8 images whose dependency layer changed, concurrency 2 (classic and BuildKit)"
IMAGES = 8
CONCURRENCY = 2


def run(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    names = cold_matrix_benchmarks(env.benchmarks_dir, env.run_id, IMAGES)
    result = run_worker(env, "cold-matrix", {
        "benchmarks_dir": str(env.benchmarks_dir), "names": names, "repository": env.repository("cold"),
        "concurrency": CONCURRENCY, "rounds": ctx.pick(3, 2), "run_id": env.run_id,
    })
    env.images.update(result["images"])
    sides = {side: median(r[side]["seconds"] for r in result["rounds"])
             for side in ("faasforge", "seed", "raw", "buildkit")}
    ff, seed, raw, bk = sides["faasforge"], sides["seed"], sides["raw"], sides["buildkit"]
    figures = [
        (f"{IMAGES} images (930.cold: jinja2, pyyaml, requests), x64, concurrency {CONCURRENCY}, "
         f"{len(result['rounds'])} round(s), medians", ""),
        ("faasforge template, build_images flow: wall", f"{ff:.1f} s"),
        ("seed order, same flow: wall", f"{seed:.1f} s"),
        ("raw docker build + docker push of faasforge's contexts, 2 at a time: wall", f"{raw:.1f} s"),
        ("faasforge template, same flow, BuildKit builder (FAASFORGE_BUILDER=buildkit): wall", f"{bk:.1f} s"),
        ("faasforge / seed order", f"{ff / seed:.2f}x"),
        ("faasforge / raw docker", f"{ff / raw:.2f}x"),
        ("BuildKit / classic builder (faasforge template)", f"{bk / ff:.2f}x"),
    ]
    checks = [
        check("cold matrix: faasforge vs the seed order (same run)", round(ff / seed, 2), "<= 1.10x", ff / seed <= 1.10, "x"),
        check("cold matrix: faasforge vs raw docker build + push", round(ff / raw, 2), "<= 1.10x", ff / raw <= 1.10, "x"),
    ]
    return {"title": TITLE, "figures": figures, "checks": checks, "raw": result}
