"""Scenario 4: a matrix of 8 push-heavy images at concurrency 1, 2 and 4."""

from __future__ import annotations

from typing import Any

from fixtures import payload_variants
from harness import check, docker, median, run_worker

from scenarios.common import Context

TITLE = "4. Matrix throughput: 8 images at concurrency 1, 2, 4 (pushes dominate)"
LEVELS = (1, 2, 4)
IMAGES = 8
# One connection, so the ephemeral server's writes queue instead of failing "database is locked"
MEMORY_DB = "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true&check_same_thread=false"
# A long-distance link to a cloud registry: per-connection upload rate and connection set-up time
SHAPED = {"rate_mb_s": 8.0, "rtt_ms": 40.0}
CEILING_DOCKERFILE = """FROM faasforge/base-python:3.11-x64
ARG SEED
RUN echo "$SEED" > /opt/seed && head -c "$((MB * 1048576))" /dev/urandom > /opt/payload.bin
"""


def run(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    size_mb, rounds = ctx.pick(32, 16), ctx.pick(3, 1)
    levels = []
    for round_ in range(rounds):
        order = LEVELS[round_ % 3:] + LEVELS[:round_ % 3]  # rotate, so no level always goes first
        for concurrency in order:
            prefix = f"94{concurrency}.push-r{round_}-c{concurrency}"
            names = payload_variants(env.benchmarks_dir, "940.push", prefix, IMAGES, size_mb)
            levels.append({"concurrency": concurrency, "round": round_, "benchmarks": names,
                           "repository": env.repository(f"push-r{round_}-c{concurrency}")})
    result = run_worker(env, "throughput", {"benchmarks_dir": str(env.benchmarks_dir), "levels": levels,
                                            "run_id": env.run_id})
    env.images.update(result["warm_tags"])
    by_level: dict[int, list[dict[str, Any]]] = {c: [] for c in LEVELS}
    for level in result["levels"]:
        env.images.update(level["uris"])
        if not all(level["rebuilt"]):
            raise RuntimeError(f"concurrency {level['concurrency']}: some images were skipped")
        by_level[level["concurrency"]].append(level)
    figures: list[tuple[str, str]] = [
        (f"images per level: {IMAGES} x {size_mb} MB random payload, x64; {rounds} round(s), medians", ""),
    ]
    curve = []
    base = median(lv["seconds"] for lv in by_level[1])
    for concurrency in LEVELS:
        runs = by_level[concurrency]
        seconds = median(lv["seconds"] for lv in runs)
        build = median(sum(lv["build_s"]) for lv in runs)
        push = median(sum(lv["push_s"]) for lv in runs)
        curve.append({"concurrency": concurrency, "seconds": seconds, "speedup": base / seconds,
                      "push_share": push / (build + push), "all_seconds": [lv["seconds"] for lv in runs]})
        each = ", ".join(f"{lv['seconds']:.1f}" for lv in runs)
        figures.append((
            f"concurrency {concurrency}: wall / images per min / speed-up vs 1",
            f"{seconds:.1f} s / {IMAGES * 60 / seconds:.1f} / {base / seconds:.2f}x  (runs: {each} s)",
        ))
        figures.append((f"concurrency {concurrency}: build s / push s (summed over the images)",
                        f"{build:.1f} / {push:.1f} ({100 * push / (build + push):.0f} % push)"))
        own_cpu = median(lv["own_cpu_s"] for lv in runs)
        server_cpu = median(lv["prefect_server_cpu_s"] for lv in runs)
        servers_cpu = median(lv["servers_cpu_s"] for lv in runs)
        figures.append((f"concurrency {concurrency}: CPU s of faasforge / its Prefect server / engine+registry",
                        f"{own_cpu:.1f} / {server_cpu:.1f} / {servers_cpu:.1f} "
                        f"({(own_cpu + server_cpu + servers_cpu) / seconds:.2f} cores busy)"))
    shaped = shaped_link_curve(ctx)
    for point in shaped["curve"]:
        figures.append((
            f"shaped link ({SHAPED['rate_mb_s']} MB/s per connection, {SHAPED['rtt_ms']} ms per connection): "
            f"concurrency {point['concurrency']}",
            f"{point['seconds']:.1f} s / {point['speedup']:.2f}x  (push {100 * point['push_share']:.0f} %)",
        ))
    ceiling = None
    if not ctx.quick:
        ceiling = raw_ceiling(ctx, size_mb)
        figures.append(("no faasforge: docker push of 4 images one at a time / two at a time",
                        f"{ceiling['sequential_s']:.1f} / {ceiling['parallel2_s']:.1f} s "
                        f"({ceiling['sequential_s'] / ceiling['parallel2_s']:.2f}x)"))
        if ceiling.get("cores_per_push"):
            cores = ceiling["cores_per_push"]
            bound = min(2.0, ceiling["nproc"] / cores)
            figures.append(("CPU of one push (dockerd gzip + registry); best 2 pushes can do on this machine",
                            f"{cores:.2f} cores busy; min(2, {ceiling['nproc']} / {cores:.2f}) = {bound:.2f}x"))
    memory_db = run_worker(env, "prefect-threads", {}, extra_env={"PREFECT_API_DATABASE_CONNECTION_URL": MEMORY_DB})
    for db, measured in (("file", result["prefect_threads"]), ("in-memory", memory_db["prefect_threads"])):
        for kind, times in measured.items():
            figures.append((f"Prefect alone, {db} SQLite: 4 x 1 s as {kind} from threads, 1 / 2 / 4 workers",
                            " / ".join(f"{times[w]:.1f}" for w in sorted(times, key=int)) + " s"))
    figures.append(("Prefect start-up in this process (excluded above)", f"{result['startup']['first_flow_run_s']:.1f} s"))
    speedup2 = curve[1]["speedup"]
    checks = [
        check("concurrency 2 vs 1", round(speedup2, 2), ">= 1.5x", speedup2 >= 1.5, "x"),
        check("precondition: pushes dominate (push share at concurrency 1)", round(100 * curve[0]["push_share"]),
              ">= 50 %", curve[0]["push_share"] >= 0.5, "%"),
        check("concurrency 2 vs 1 over a paced link (8 MB/s per connection)", round(shaped["curve"][1]["speedup"], 2),
              ">= 1.5x", shaped["curve"][1]["speedup"] >= 1.5, "x"),
    ]
    return {"title": TITLE, "figures": figures, "checks": checks,
            "raw": {"curve": curve, "worker": result, "ceiling": ceiling, "memory_db": memory_db,
                    "shaped": shaped}}


def shaped_link_curve(ctx: Context) -> dict[str, Any]:
    """The same matrix pushed over a paced link (bench/shaped_link.py): each connection uploads at
    most SHAPED's rate, as one TCP stream to a distant cloud registry does. The CPU is no longer
    the bound; what concurrency gives here is what it gives a researcher pushing to the cloud."""
    env = ctx.env
    size_mb, rounds = ctx.pick(16, 8), 1
    levels = []
    for concurrency in LEVELS:
        names = payload_variants(env.benchmarks_dir, "940.push", f"94{concurrency}.push-s-c{concurrency}",
                                 IMAGES, size_mb)
        levels.append({"concurrency": concurrency, "round": 0, "benchmarks": names, "shaped": SHAPED,
                       "repository": env.repository(f"push-s-c{concurrency}")})
    result = run_worker(env, "throughput", {"benchmarks_dir": str(env.benchmarks_dir), "levels": levels,
                                            "run_id": env.run_id, "threads": False})
    env.images.update(result["warm_tags"])
    for level in result["levels"]:
        env.images.update(level["uris"])
    by = {lv["concurrency"]: lv for lv in result["levels"]}
    curve = []
    for concurrency in LEVELS:
        lv = by[concurrency]
        build, push = sum(lv["build_s"]), sum(lv["push_s"])
        curve.append({"concurrency": concurrency, "seconds": lv["seconds"], "speedup": by[1]["seconds"] / lv["seconds"],
                      "push_share": push / (build + push)})
    return {"size_mb": size_mb, "rounds": rounds, "curve": curve, "levels": result["levels"]}


def raw_ceiling(ctx: Context, size_mb: int) -> dict[str, Any]:
    """What concurrency 2 can give on this machine with no faasforge and no Prefect at all."""
    env = ctx.env
    context = env.work / "ceiling"
    context.mkdir(exist_ok=True)
    (context / "Dockerfile").write_text(CEILING_DOCKERFILE.replace("MB", str(size_mb)))
    repository = f"127.0.0.1:5000/{env.repository('push-raw')}"
    tags = []
    for index in range(8):
        tag = f"{repository}:raw-{index}"
        docker("build", "-q", "--network", "host", "--build-arg", f"SEED={env.run_id}-{index}", "-t", tag, str(context))
        tags.append(tag)
    env.images.update(tags)
    return run_worker(env, "raw-push-ceiling", {"tags": tags})
