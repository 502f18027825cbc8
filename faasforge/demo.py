"""``make demo``: build the sample benchmarks for local x64 and arm64, push them to the local
registry, print the table of images and sizes, then invoke one image over HTTP."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from faasforge.ports import free_port
from faasforge.resources import config_dir


def invoke(image_uri: str, event: dict[str, Any]) -> dict[str, Any]:
    """Run ``image_uri`` (host networking, a free port), POST ``event``, return the JSON reply."""
    import docker
    import requests

    client = docker.from_env()
    port = free_port()
    container = client.containers.run(
        image_uri, detach=True, network_mode="host", environment={"PORT": str(port)}
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                reply = requests.post(f"http://127.0.0.1:{port}/", json=event, timeout=10)
                reply.raise_for_status()
                result: dict[str, Any] = reply.json()
                return result
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        container.remove(force=True)


def main() -> int:
    from faasforge.cli import main as cli

    matrix = config_dir() / "demo.toml"
    code = cli(["build-matrix", str(matrix), "--verbose"])
    if code != 0:
        return code
    from faasforge.catalog import Catalog
    from faasforge.settings import faasforge_home

    records = Catalog(faasforge_home() / "catalog.sqlite").all("local", "110.dynamic-html")
    target = next(r for r in records if r.language == "python" and r.architecture == "x64")
    print(f"\ninvoking {target.image_uri}")
    reply = invoke(target.image_uri, {"username": "faasforge", "random_len": 5, "seed": 42})
    output = reply.get("result", {})
    print(json.dumps(reply, indent=2)[:1500])
    ok = isinstance(output, dict) and "faasforge" in json.dumps(output)
    print("demo:", "OK" if ok else "unexpected reply")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
