"""faasforge's performance suite: faasforge beside the seed approach (SeBS's), same engine, same
registry, same run. ``make bench`` runs it; BENCHMARKS.md explains the scenarios and results.

    python bench/run.py                  # every scenario (~13 min on 2 cores)
    python bench/run.py --scenario 1,5   # some of them
    python bench/run.py --quick          # fewer repeats, smaller payloads (~7 min)

Prints the figures and a PASS/FAIL table of the targets and writes bench/results/latest.json.
Talks only to 127.0.0.1 (the Docker engine's socket, the registry on 127.0.0.1:5000, the Prefect
servers it starts on loopback ports); everything it pushes goes to repositories named faasforge-bench-<run id>-*,
whose tags it deletes at the end, and every image it leaves in the engine is removed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import BENCH_DIR, REGISTRY_API, BenchEnv, load_average, machine_facts, registry_get  # noqa: E402
from scenarios import code_edit, cold_matrix, memory, overhead, startup, throughput, verify  # noqa: E402
from scenarios.common import Context  # noqa: E402

SCENARIOS = {
    "1": verify, "2": code_edit, "3": overhead, "4": throughput, "5": startup, "6": memory, "7": cold_matrix,
}
ORDER = ["5", "1", "6", "2", "7", "3", "4"]  # 1 and 6 share the published matrix
RESULTS = BENCH_DIR / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", default=[],
                        help="scenario number(s) 1-7, repeatable or comma-separated (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller payloads")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (for debugging)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results JSON (default {RESULTS})")
    args = parser.parse_args(argv)
    chosen = {s.strip() for value in args.scenario for s in value.split(",") if s.strip()}
    unknown = chosen - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {sorted(unknown)}; allowed: 1-7")
    args.chosen = [s for s in ORDER if not chosen or s in chosen]
    return args


def preflight() -> None:
    status, _, _ = registry_get("/v2/")
    if status != 200:
        sys.exit(f"bench: the registry at {REGISTRY_API} does not answer (HTTP {status}); run scripts/services.sh up")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    preflight()
    env = BenchEnv(quick=args.quick, keep=args.keep)
    ctx = Context(env=env, quick=args.quick)
    started = time.time()
    report: dict[str, Any] = {
        "run_id": env.run_id, "quick": args.quick, "scenarios_run": args.chosen,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "load_average_before": load_average(), "machine": machine_facts(), "scenarios": {},
    }
    print(f"faasforge bench {env.run_id}: scenarios {', '.join(args.chosen)}"
          f"{' (quick)' if args.quick else ''}; load average {report['load_average_before']}", flush=True)
    try:
        for key in args.chosen:
            module = SCENARIOS[key]
            t0 = time.time()
            print(f"\n== {module.TITLE}", flush=True)
            try:
                result = module.run(ctx)
            except Exception as exc:  # noqa: BLE001 - one scenario failing must not hide the others
                traceback.print_exc()
                result = {"title": module.TITLE, "error": f"{type(exc).__name__}: {exc}", "figures": [], "checks": []}
            result["seconds"] = round(time.time() - t0, 1)
            result["load_average_after"] = load_average()
            report["scenarios"][key] = result
            print_scenario(result)
    finally:
        env.cleanup()
    report["seconds"] = round(time.time() - started, 1)
    report["load_average_after"] = load_average()
    print_summary(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str) + "\n")
    tmp.replace(args.output)
    print(f"\nwrote {args.output} ({report['seconds']:.0f} s; load average after {report['load_average_after']})")
    failed = any(c["ok"] is False for s in report["scenarios"].values() for c in s["checks"])
    errors = any("error" in s for s in report["scenarios"].values())
    return 1 if errors else (0 if not failed else 3)


def print_scenario(result: dict[str, Any]) -> None:
    if "error" in result:
        print(f"   ERROR: {result['error']}")
        return
    width = max((len(label) for label, _ in result["figures"]), default=0)
    for label, value in result["figures"]:
        print(f"   {label:<{width}}  {value}")
    print(f"   ({result['seconds']:.0f} s; load average after {result['load_average_after']})", flush=True)


def print_summary(report: dict[str, Any]) -> None:
    rows = []
    for key, result in report["scenarios"].items():
        if "error" in result:
            rows.append((key, "scenario failed to run", "-", "-", "ERROR"))
        for c in result["checks"]:
            value = "-" if c["value"] is None else f"{c['value']}{' ' + c['unit'] if c['unit'] not in ('x', '') else c['unit']}"
            verdict = "PASS" if c["ok"] else ("FAIL" if c["ok"] is False else "-")
            rows.append((key, c["label"], value, c["target"], verdict))
    widths = [max(len(str(r[i])) for r in rows + [("#", "target", "measured", "goal", "result")]) for i in range(5)]
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(("#", "target", "measured", "goal", "result"), widths, strict=True)))
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
