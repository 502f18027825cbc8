"""Create (idempotently) what faasforge's deployments need on a Prefect server.

    python scripts/prefect_stack_setup.py --pool faasforge --queues x64 arm64 default \\
        --limit faasforge-docker-builds --slots 2 \\
        --results-block faasforge-results --results-path /shared/faasforge-results

- a ``process`` work pool with one work queue per architecture (plus ``default``);
- a global concurrency limit that builds occupy (``FAASFORGE_GLOBAL_BUILD_LIMIT``);
- a ``local-file-system`` block for flow results, so a matrix run (and any pipeline that calls
  ``run_deployment``) can read the ``ImageRecord`` a worker persisted. On several hosts, point
  ``--results-path`` at shared storage, or save an S3/GCS block under the same name instead.

Uses ``PREFECT_API_URL`` from the environment. Existing objects are kept (the limit's size is
updated to ``--slots``).
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default="faasforge")
    parser.add_argument("--queues", nargs="*", default=["x64", "arm64", "default"])
    parser.add_argument("--limit", default="faasforge-docker-builds")
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--results-block", default="faasforge-results")
    parser.add_argument("--results-path", required=True)
    args = parser.parse_args(argv)

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
        WorkPoolCreate,
    )
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.filesystems import LocalFileSystem
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        print("prefect_stack_setup: PREFECT_API_URL is not set", file=sys.stderr)
        return 2
    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(args.pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=args.pool, type="process"))
            print(f"created work pool {args.pool} (process)")
        existing = {q.name for q in client.read_work_queues(work_pool_name=args.pool)}
        for queue in args.queues:
            if queue not in existing:
                client.create_work_queue(name=queue, work_pool_name=args.pool)
                print(f"created work queue {args.pool}/{queue}")
        try:
            limit = client.read_global_concurrency_limit_by_name(args.limit)
            if limit.limit != args.slots:
                client.update_global_concurrency_limit(args.limit, GlobalConcurrencyLimitUpdate(limit=args.slots))
                print(f"global concurrency limit {args.limit}: {limit.limit} -> {args.slots} slots")
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=args.limit, limit=args.slots))
                print(f"created global concurrency limit {args.limit} ({args.slots} slots)")
            except ObjectAlreadyExists:
                pass
    LocalFileSystem(basepath=args.results_path).save(args.results_block, overwrite=True)
    print(f"results block local-file-system/{args.results_block} -> {args.results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
