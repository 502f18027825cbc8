"""What scenarios share: the run context and the published 24-image matrix (scenarios 1 and 6)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fixtures import matrix_file, payload_variants
from harness import BenchEnv, TreeMemory, compressed_bytes, faasforge_cmd, registry_get, run_with_memory

VERIFY_VARIANTS = 12  # x {x64, arm64} = 24 images
VERIFY_PAYLOAD_MB = 32


@dataclass
class Context:
    env: BenchEnv
    quick: bool
    shared: dict[str, Any] = field(default_factory=dict)

    def pick(self, full: Any, quick: Any) -> Any:
        return quick if self.quick else full


def json_list(stdout: str) -> list[dict[str, Any]]:
    """The JSON list a ``--json`` command prints (anything logged before it is skipped)."""
    start = stdout.find("[")
    if start < 0:
        raise RuntimeError(f"no JSON list in output: {stdout[-500:]!r}")
    data = json.loads(stdout[start:])
    if not isinstance(data, list):
        raise RuntimeError("expected a JSON list")
    return data


def memory_summary(memory: TreeMemory) -> dict[str, float]:
    cli = memory.peaks.get(memory.pid, 0.0)
    server = max(
        (mb for pid, mb in memory.peaks.items()
         if pid != memory.pid and ("uvicorn" in memory.names.get(pid, "") or "prefect" in memory.names.get(pid, ""))),
        default=0.0,
    )
    return {"cli_peak_mb": round(cli, 1), "server_peak_mb": round(server, 1),
            "tree_peak_mb": round(memory.tree_peak, 1), "processes": len(memory.peaks)}


def published(ctx: Context) -> dict[str, Any]:
    """24 distinct images (12 payload variants x x64/arm64), each with its own random payload
    layer, published with ``faasforge build-matrix`` (peak memory sampled: scenario 6)."""
    if "published" in ctx.shared:
        return ctx.shared["published"]  # type: ignore[no-any-return]
    env = ctx.env
    names = payload_variants(env.benchmarks_dir, "910.verify", "911.verify", VERIFY_VARIANTS, VERIFY_PAYLOAD_MB)
    matrix = matrix_file(env.work / "verify.toml", names, ["x64", "arm64"], concurrency=2)
    repository = env.repository("verify")
    cmd = faasforge_cmd("build-matrix", str(matrix), "--benchmarks-dir", str(env.benchmarks_dir),
                        "--repository", repository, "--json")
    timed, memory = run_with_memory(cmd, env.environ())
    records = json_list(timed.stdout)
    env.images.update(r["image_uri"] for r in records)
    own_layer = _own_layers_mb([_repo_tag(r) for r in records])
    result = {
        "matrix": str(matrix), "repository": repository, "records": records, "seconds": timed.seconds,
        "memory": memory_summary(memory), "images": len(records),
        "built": sum(1 for r in records if r["rebuilt"]),
        "compressed_mb": [r["compressed_mb"] or compressed_bytes(*_repo_tag(r)) / 1e6 for r in records],
        "own_layers_mb": own_layer,
    }
    ctx.shared["published"] = result
    return result


def rerun(ctx: Context, api_url: str | None = None) -> dict[str, Any]:
    """The nightly no-op: ``faasforge build-matrix`` again over the published 24 (all skipped),
    with an ephemeral Prefect server (default) or against a standing one at ``api_url``."""
    key = f"rerun-{api_url or 'ephemeral'}"
    if key in ctx.shared:
        return ctx.shared[key]  # type: ignore[no-any-return]
    pub = published(ctx)
    env = ctx.env
    cmd = faasforge_cmd("build-matrix", pub["matrix"], "--benchmarks-dir", str(env.benchmarks_dir),
                        "--repository", pub["repository"], "--json")
    timed, memory = run_with_memory(cmd, env.environ(**({"PREFECT_API_URL": api_url} if api_url else {})))
    records = json_list(timed.stdout)
    result = {"seconds": timed.seconds, "memory": memory_summary(memory), "images": len(records),
              "skipped": sum(1 for r in records if not r["rebuilt"])}
    if result["skipped"] != len(records):
        raise RuntimeError("the rerun rebuilt images the registry holds")
    ctx.shared[key] = result
    return result


def _repo_tag(record: dict[str, Any]) -> tuple[str, str]:
    repo, tag = record["image_uri"].split("/", 1)[1].rsplit(":", 1)
    return repo, tag


def _own_layers_mb(images: list[tuple[str, str]]) -> list[float]:
    """Per image, the compressed MB of the layers no other image of the set has: what a pull
    must download when the shared base layers are already in the engine."""
    from collections import Counter

    from harness import MANIFEST_ACCEPT

    layers: list[dict[str, int]] = []
    for repository, tag in images:
        status, _, body = registry_get(f"/v2/{repository}/manifests/{tag}", MANIFEST_ACCEPT)
        manifest = json.loads(body) if status == 200 else {"layers": []}
        layers.append({layer["digest"]: int(layer["size"]) for layer in manifest["layers"]})
    counts = Counter(digest for image in layers for digest in image)
    return [round(sum(size for digest, size in image.items() if counts[digest] == 1) / 1e6, 1) for image in layers]
