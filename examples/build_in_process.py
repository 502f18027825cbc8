"""Call faasforge from your own pipeline, in-process: import the flow and call it.

The flow runs in this Python process and uses this machine's Docker engine (``DOCKER_HOST`` or
the default socket). With ``PREFECT_API_URL`` set, the run and its table artifact show up on that
Prefect server; without it, ``flow_session()`` starts a local Prefect server for the block (as the
``faasforge`` command does) and stops it at the end.

    python examples/build_in_process.py --benchmark 110.dynamic-html --language python \\
        --version 3.11 --arch x64 --repository my-benchmarks

Prints the image's record as JSON (URI, digest, sizes, rebuilt or skipped and why).
"""

from __future__ import annotations

import argparse
import json
import sys

from faasforge.flows.build import build_image
from faasforge.flows.session import flow_session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", default="010.sleep")
    parser.add_argument("--language", default="python", choices=["python", "nodejs"])
    parser.add_argument("--version", default="3.11")
    parser.add_argument("--arch", default="x64", choices=["x64", "arm64"])
    parser.add_argument("--platform", default="local")
    parser.add_argument("--registry", default=None)
    parser.add_argument("--repository", default=None)
    args = parser.parse_args(argv)

    with flow_session():
        record = build_image(
            benchmark=args.benchmark,
            language=args.language,
            version=args.version,
            architecture=args.arch,
            platform=args.platform,
            registry=args.registry,
            repository=args.repository,
        )
    # Your pipeline continues with the record: deploy record.image_uri, compare sizes, ...
    print(json.dumps(record.to_json(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
