"""Hand builds to faasforge's workers from your own pipeline: ``run_deployment``.

Needs a Prefect server with the deployments (``prefect deploy --all``) and workers polling the
``faasforge`` pool (``scripts/prefect-stack.sh up`` starts all of it on one host). Each image goes
to the work queue of its architecture, so an arm64 build host builds arm64 images natively. The
flows persist their results, so the records come back here (the result storage must be readable
from this process too: docs/SCALING.md).

    PREFECT_API_URL=http://127.0.0.1:4200/api python examples/build_via_deployment.py \\
        --benchmark 010.sleep --language python --version 3.11 --arch x64 --arch arm64

One ``build-image`` run per ``--arch``, all at once; ``--matrix`` instead runs the
``nightly-matrix`` deployment once, fanned out, and reads back its list of records.
Prints the records as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

QUEUES = {"x64": "x64", "arm64": "arm64"}


def build_one(parameters: dict[str, Any], timeout: float) -> Any:
    """One build-image run on its architecture's queue; returns the worker's ImageRecord."""
    from prefect.deployments import run_deployment

    run = run_deployment(
        "build-image/build-image",
        parameters=parameters,
        work_queue_name=QUEUES[parameters["architecture"]],
        timeout=timeout,
        as_subflow=False,
    )
    if run.state is None or not run.state.is_completed():
        raise SystemExit(f"run {run.name} ended {run.state.name if run.state else 'unknown'}")
    record = run.state.result()  # the ImageRecord the worker persisted
    return record.replace(extra={**record.extra, "work_queue": run.work_queue_name, "flow_run": run.name})


def build_matrix(images: list[dict[str, str]], common: dict[str, Any], timeout: float) -> list[Any]:
    """One nightly-matrix run that fans the images out to the workers; returns its records."""
    from prefect.deployments import run_deployment

    run = run_deployment(
        "nightly-matrix/nightly-matrix",
        parameters={"images": images, "fan_out": True, **common},
        timeout=timeout,
        as_subflow=False,
    )
    if run.state is None or not run.state.is_completed():
        raise SystemExit(f"run {run.name} ended {run.state.name if run.state else 'unknown'}")
    return list(run.state.result())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="010.sleep")
    parser.add_argument("--language", default="python", choices=["python", "nodejs"])
    parser.add_argument("--version", default="3.11")
    parser.add_argument("--arch", action="append", choices=sorted(QUEUES), help="repeatable (default x64)")
    parser.add_argument("--platform", default="local")
    parser.add_argument("--registry", default=None)
    parser.add_argument("--repository", default=None)
    parser.add_argument("--matrix", action="store_true", help="one fanned-out nightly-matrix run")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait per run")
    args = parser.parse_args(argv)

    common = {k: v for k, v in {"registry": args.registry, "repository": args.repository}.items() if v}
    images = [
        {"benchmark": args.benchmark, "language": args.language, "version": args.version,
         "architecture": arch, "platform": args.platform}
        for arch in args.arch or ["x64"]
    ]
    if args.matrix:
        records = build_matrix(images, common, args.timeout)
    else:
        with ThreadPoolExecutor(max_workers=len(images)) as pool:
            records = list(pool.map(lambda image: build_one({**image, **common}, args.timeout), images))
    print(json.dumps(
        [r.to_json() | {"work_queue": r.extra.get("work_queue"), "flow_run": r.extra.get("flow_run")} for r in records],
        indent=2,
    ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
