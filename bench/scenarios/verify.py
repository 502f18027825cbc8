"""Scenario 1: verify only. 24 published images: faasforge's decision vs the seed's pull."""

from __future__ import annotations

from typing import Any

from harness import check, faasforge_cmd, median, percentile, run_timed, run_worker

from scenarios.common import Context, json_list, published, rerun

TITLE = "1. Verify only: 24 published images, decide 'nothing to do'"


def run(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    pub = published(ctx)
    uris = [r["image_uri"] for r in pub["records"]]
    params = {"benchmarks_dir": str(env.benchmarks_dir), "matrix": pub["matrix"], "repository": pub["repository"]}

    decided = run_worker(env, "decide", {**params, "passes": ctx.pick(6, 3)})
    passes = decided["passes"]
    if any(row["build"] for p in passes for row in p):
        raise RuntimeError("faasforge wanted to build an image the registry holds")
    warm = [row["resolve_ms"] + row["check_ms"] for p in passes[1:] for row in p]
    per_pass_total = median(sum(row["resolve_ms"] + row["check_ms"] for row in p) for p in passes[1:])
    first = passes[0][0]["resolve_ms"] + passes[0][0]["check_ms"]

    plans = []
    for _ in range(ctx.pick(5, 2)):
        timed = run_timed(faasforge_cmd("plan", "--matrix", pub["matrix"], "--benchmarks-dir",
                                        str(env.benchmarks_dir), "--repository", pub["repository"], "--json"),
                          env.environ())
        rows = json_list(timed.stdout)
        if len(rows) != len(uris) or any(r["action"] != "skip" for r in rows):
            raise RuntimeError("faasforge plan did not skip all 24 images")
        plans.append(timed.seconds)

    seed = run_worker(env, "seed-pull", {"images": uris, "passes": ctx.pick(2, 1)})
    pulls = [row["pull_ms"] for p in seed["passes"] for row in p]
    seed_total = median(sum(row["pull_ms"] for row in p) for p in seed["passes"])

    startup = run_worker(env, "prefect-startup", {"repeats": ctx.pick(7, 3)})
    nightly = rerun(ctx)

    faas_ms, seed_ms = median(warm), median(pulls)
    ratio = seed_ms / faas_ms
    plan_s = median(plans)
    figures = [
        ("images (distinct, published)", f"{len(uris)}"),
        ("compressed size per image, min / median", f"{min(pub['compressed_mb']):.1f} / {median(pub['compressed_mb']):.1f} MB"),
        ("own layers per image (what a pull must move), min", f"{min(pub['own_layers_mb']):.1f} MB"),
        ("faasforge decision per image, median / p90 (in-process, warm)",
         f"{faas_ms:.2f} / {percentile(warm, 0.9):.2f} ms"),
        ("  of which resolve (plan + content hash + name)",
         f"{median(r['resolve_ms'] for p in passes[1:] for r in p):.2f} ms"),
        ("  of which registry check (one manifest HEAD)",
         f"{median(r['check_ms'] for p in passes[1:] for r in p):.2f} ms"),
        ("faasforge decision, first image of a fresh process", f"{first:.1f} ms"),
        ("faasforge imports + workspace set-up (once per process)",
         f"{decided['import_ms']:.0f} + {decided['setup_ms']:.0f} ms"),
        ("faasforge decision, all 24 (in-process)", f"{per_pass_total:.0f} ms"),
        ("`faasforge plan` over the 24, whole process (median)", f"{plan_s:.2f} s"),
        ("seed: pull per image, median / p90", f"{seed_ms:.0f} / {percentile(pulls, 0.9):.0f} ms"),
        ("seed: pull all 24", f"{seed_total / 1000:.1f} s"),
        ("ratio per image (seed / faasforge)", f"{ratio:.0f}x"),
        ("ratio all 24: seed vs `faasforge plan` process", f"{seed_total / 1000 / plan_s:.1f}x"),
        ("Prefect start-up: import prefect / first flow run (ephemeral server)",
         f"{startup['import_prefect_s']:.1f} / {startup['first_flow_run_s']:.1f} s"),
        ("Prefect floor: one flow run with one task, CLI settings / Prefect defaults",
         f"{startup['cli_settings_s'] * 1000:.0f} / {startup['prefect_defaults_s'] * 1000:.0f} ms"),
        ("`faasforge build-matrix` over the 24 again (all skipped), whole process", f"{nightly['seconds']:.1f} s"),
    ]
    checks = [
        check("decision speed-up vs pulling each image", round(ratio, 1), ">= 20x", ratio >= 20, "x"),
        check("decision time per image", round(faas_ms, 2), "<= 5 ms", faas_ms <= 5, "ms"),
        check("precondition: each image >= 30 MB compressed", round(min(pub["compressed_mb"]), 1), ">= 30 MB",
              min(pub["compressed_mb"]) >= 30, "MB"),
    ]
    raw = {"decide": decided, "seed": seed, "plan_s": plans, "startup": startup, "rerun": nightly,
           "published": {k: v for k, v in pub.items() if k != "records"}}
    return {"title": TITLE, "figures": figures, "checks": checks, "raw": raw}
