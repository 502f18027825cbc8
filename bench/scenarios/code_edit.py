"""Scenario 2: a one-line code edit in a benchmark with heavy dependencies, rebuilt and pushed,
with the project's template (dependencies first) and with the seed's order (code first)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fixtures import benchmark_path, deps_benchmarks
from harness import check, docker, median, run_worker

from scenarios.common import Context

TITLE = "2. Code-only edit: rebuild + push after changing one line"
BASE_IMAGE = "faasforge/base-python:3.11-x64"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def dependency_install_seconds(requirements: Path) -> float:
    """How long the benchmark's dependencies take to install in the base image (pip, as the
    templates run it)."""
    mounts = ["-v", f"{requirements}:/tmp/requirements.txt:ro"]
    env = ["-e", "PIP_BREAK_SYSTEM_PACKAGES=1", "-e", "PIP_DISABLE_PIP_VERSION_CHECK=1", "-e", "PIP_NO_CACHE_DIR=1"]
    if CA_BUNDLE.is_file():
        mounts += ["-v", f"{CA_BUNDLE}:/tmp/ca-bundle.crt:ro"]
        env += ["-e", "PIP_CERT=/tmp/ca-bundle.crt"]
    t0 = time.perf_counter()
    docker("run", "--rm", "--network", "host", *mounts, *env, BASE_IMAGE,
           "python3", "-m", "pip", "install", "--quiet", "--target", "/tmp/deps", "-r", "/tmp/requirements.txt")
    return time.perf_counter() - t0


def run(ctx: Context) -> dict[str, Any]:
    env = ctx.env
    names = deps_benchmarks(env.benchmarks_dir, env.run_id)
    requirements = benchmark_path(env.benchmarks_dir, names["faasforge"]) / "python" / "requirements.txt"
    deps_s = dependency_install_seconds(requirements)
    packages = [line.strip() for line in requirements.read_text().splitlines() if line.strip() and not line.startswith("#")]
    result = run_worker(env, "code-edit", {
        "benchmarks_dir": str(env.benchmarks_dir), "names": names, "repository": env.repository("edit"),
        "edits": ctx.pick(3, 1),
    })
    summary = {}
    for order, runs in result["orders"].items():
        env.images.update(r["image"] for r in runs)
        cold = runs[0]
        edits = runs[1:]
        edit_s = median(r["seconds"] for r in edits)
        summary[order] = {
            "cold_s": cold["seconds"], "edit_s": edit_s, "share": edit_s / cold["seconds"],
            "cold_build_s": cold["build_s"], "cold_push_s": cold["push_s"],
            "edit_build_s": median(r["build_s"] for r in edits), "edit_push_s": median(r["push_s"] for r in edits),
            "compressed_mb": cold["compressed_mb"],
        }
    ff, seed = summary["faasforge"], summary["seed"]
    figures = [
        (f"dependency install alone ({', '.join(packages)}; pip in the base image)", f"{deps_s:.1f} s"),
        ("image size, compressed", f"{ff['compressed_mb']:.0f} MB"),
        ("faasforge template: cold build + push (build / push)",
         f"{ff['cold_s']:.1f} s ({ff['cold_build_s']:.1f} / {ff['cold_push_s']:.1f})"),
        ("faasforge template: edit, rebuild + push, median (build / push)",
         f"{ff['edit_s']:.2f} s ({ff['edit_build_s']:.2f} / {ff['edit_push_s']:.2f})"),
        ("faasforge template: edit as share of cold", f"{ff['share'] * 100:.1f} %"),
        ("faasforge template, cold: flow wall - its own build and push (orchestration)",
         f"{ff['cold_s'] - ff['cold_build_s'] - ff['cold_push_s']:.2f} s "
         f"({100 * (ff['cold_s'] / (ff['cold_build_s'] + ff['cold_push_s']) - 1):.1f} %)"),
        ("seed order: cold build + push (build / push)",
         f"{seed['cold_s']:.1f} s ({seed['cold_build_s']:.1f} / {seed['cold_push_s']:.1f})"),
        ("seed order: edit, rebuild + push, median (build / push)",
         f"{seed['edit_s']:.1f} s ({seed['edit_build_s']:.1f} / {seed['edit_push_s']:.1f})"),
        ("seed order: edit as share of cold", f"{seed['share'] * 100:.0f} %"),
        ("edit rebuild: seed order / faasforge template", f"{seed['edit_s'] / ff['edit_s']:.0f}x"),
        ("cold build: faasforge template / seed order (same run)",
         f"{ff['cold_build_s'] / seed['cold_build_s']:.2f}x (build + push {ff['cold_s'] / seed['cold_s']:.2f}x)"),
        ("Prefect start-up in this process (excluded above)", f"{result['startup']['first_flow_run_s']:.1f} s"),
    ]
    checks = [
        check("code-edit rebuild + push vs cold build", round(ff["share"] * 100, 1), "<= 15 %",
              ff["share"] <= 0.15, "%"),
        check("cold build vs the seed order's cold build (same run)", round(ff["cold_build_s"] / seed["cold_build_s"], 2),
              "<= 1.10x", ff["cold_build_s"] / seed["cold_build_s"] <= 1.10, "x"),
        check("precondition: dependencies take >= 10 s to install", round(deps_s, 1), ">= 10 s", deps_s >= 10, "s"),
    ]
    return {"title": TITLE, "figures": figures, "checks": checks,
            "raw": {"dependency_install_s": deps_s, "summary": summary, "worker": result}}
