"""In-process measurements, each in a fresh process started by bench/run.py.

    python bench/worker.py COMMAND PARAMS.json OUT.json

The bench process sets FAASFORGE_HOME, PREFECT_HOME and the staging dir to temporary paths
before this starts. Commands that run flows start Prefect's ephemeral server first with a trivial
flow and report that start-up on its own, so flow timings exclude it. Flows run under the
settings the ``faasforge`` command uses for them (flows.session.flow_session).
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures import benchmark_path, edit_one_line, set_nonce  # noqa: E402
from harness import docker  # noqa: E402

Params = dict[str, Any]


# ------------------------------------------------------------------------------ scenario 1
def decide(params: Params) -> dict[str, Any]:
    """faasforge's decision per image with the plain functions: resolve (plan + content hash +
    name) and check (one manifest HEAD). Pass 0 runs in a fresh process; later passes are warm."""
    started = time.perf_counter()
    from faasforge.registries import open_workspace

    from faasforge.matrix import load_matrix_file
    from faasforge.pipeline import check_registry, resolve_image
    from faasforge.settings import Settings

    imported = time.perf_counter()
    ws = open_workspace(Settings(benchmarks_dir=Path(params["benchmarks_dir"]), repository=params["repository"]))
    matrix, _ = load_matrix_file(Path(params["matrix"]), ws.systems, ws.settings.benchmarks_dir)
    ready = time.perf_counter()
    passes = []
    for _ in range(int(params["passes"])):
        rows = []
        for request in matrix.requests:
            t0 = time.perf_counter()
            resolved = resolve_image(request, ws)
            t1 = time.perf_counter()
            decision = check_registry(resolved, ws)
            t2 = time.perf_counter()
            rows.append({
                "image": resolved.image_uri, "resolve_ms": (t1 - t0) * 1000, "check_ms": (t2 - t1) * 1000,
                "build": decision.build,
            })
        passes.append(rows)
    return {
        "import_ms": (imported - started) * 1000,
        "setup_ms": (ready - imported) * 1000,
        "passes": passes,
    }


def seed_pull(params: Params) -> dict[str, Any]:
    """The seed's existence check: ``docker_client.images.pull(repository, tag)``, as SeBS's
    DockerContainer.find_image does, after removing the local copy so it really pulls."""
    import docker as docker_sdk

    client = docker_sdk.from_env(timeout=600)
    passes = []
    for _ in range(int(params["passes"])):
        rows = []
        for uri in params["images"]:
            repository, tag = uri.rsplit(":", 1)
            with suppress(docker_sdk.errors.ImageNotFound):
                client.images.remove(uri)
            t0 = time.perf_counter()
            client.images.pull(repository=repository, tag=tag)
            rows.append({"image": uri, "pull_ms": (time.perf_counter() - t0) * 1000})
        passes.append(rows)
    client.close()
    return {"passes": passes}


# --------------------------------------------------------------------------------- Prefect
@contextmanager
def cli_settings() -> Iterator[None]:
    """The settings ``faasforge build`` runs flows with (within start_prefect's session: as is)."""
    from faasforge.flows.session import flow_session

    with flow_session():
        yield


@contextmanager
def prefect_defaults() -> Iterator[None]:
    """Prefect's default flow settings (a heartbeat thread per flow run), on the same server."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: _DEFAULT_HEARTBEAT[0]}):
        yield


_SESSION = ExitStack()  # the CLI's flow settings for the rest of this worker process
_DEFAULT_HEARTBEAT: list[Any] = []


def start_prefect() -> dict[str, float]:
    """Import Prefect, enter the CLI's flow settings for the rest of this process (its own local
    Prefect server, heartbeats off) and run one trivial flow."""
    t0 = time.perf_counter()
    from faasforge.flows.session import flow_session
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY

    t1 = time.perf_counter()
    _DEFAULT_HEARTBEAT.append(PREFECT_FLOWS_HEARTBEAT_FREQUENCY.value())
    _SESSION.enter_context(flow_session())
    atexit.register(_SESSION.close)

    @flow(name="bench-warm-up")
    def warm_up() -> int:
        return 1

    warm_up()
    t2 = time.perf_counter()
    return {"import_prefect_s": t1 - t0, "first_flow_run_s": t2 - t1}


def empty_flow_floor(repeats: int) -> dict[str, float]:
    """What one flow run with one task costs in Prefect itself, with the CLI's settings and with
    Prefect's defaults (a heartbeat thread per flow run)."""
    from prefect import flow, task

    @task(name="bench-noop")
    def noop() -> int:
        return 1

    @flow(name="bench-floor")
    def floor() -> int:
        return noop()

    def timed() -> float:
        t0 = time.perf_counter()
        floor()
        return time.perf_counter() - t0

    with cli_settings():
        cli = sorted(timed() for _ in range(repeats))
    with prefect_defaults():
        defaults = sorted(timed() for _ in range(max(3, repeats // 2)))
    return {"cli_settings_s": cli[len(cli) // 2], "prefect_defaults_s": defaults[len(defaults) // 2]}


def prefect_startup(params: Params) -> dict[str, Any]:
    result: dict[str, Any] = dict(start_prefect())
    result.update(empty_flow_floor(int(params.get("repeats", 7))))
    return result


# ------------------------------------------------------------------------------ scenario 2
def code_edit(params: Params) -> dict[str, Any]:
    """Cold build+push, then build+push after a one-line code edit, for both Dockerfile orders."""
    startup = start_prefect()
    from faasforge.flows.build import build_image

    bdir = Path(params["benchmarks_dir"])
    common = {"language": "python", "version": "3.11", "architecture": "x64", "platform": "local",
              "repository": params["repository"], "benchmarks_dir": str(bdir)}
    out: dict[str, Any] = {"startup": startup, "orders": {}}
    with cli_settings():
        for order, name in params["names"].items():
            runs = []
            t0 = time.perf_counter()
            record = build_image(benchmark=name, **common)
            runs.append(_flow_row("cold", time.perf_counter() - t0, record))
            for index in range(1, int(params["edits"]) + 1):
                edit_one_line(benchmark_path(bdir, name), f"edit-{index}")
                t0 = time.perf_counter()
                record = build_image(benchmark=name, **common)
                runs.append(_flow_row(f"edit-{index}", time.perf_counter() - t0, record))
            out["orders"][order] = runs
    return out


def _flow_row(label: str, seconds: float, record: Any) -> dict[str, Any]:
    return {
        "run": label, "seconds": seconds, "build_s": record.build_seconds, "push_s": record.push_seconds,
        "rebuilt": record.rebuilt, "image": record.image_uri, "compressed_mb": record.compressed_mb,
    }


# ------------------------------------------------------------------------------ scenario 7
def cold_matrix(params: Params) -> dict[str, Any]:
    """8 images whose dependency layer changed, ``concurrency`` at a time, four ways: the
    build_images flow with the project's template, the same flow with the seed's Dockerfile
    order, ``docker build`` + ``docker push`` of the same staged contexts (fresh nonces),
    ``concurrency`` at a time from a thread pool, and the first again with the BuildKit builder
    (FAASFORGE_BUILDER=buildkit). The order of the sides rotates by round."""
    from concurrent.futures import ThreadPoolExecutor

    startup = start_prefect()
    from faasforge.flows.build import build_images
    from faasforge.registries import open_workspace

    from faasforge import staging
    from faasforge.model import ImageRequest
    from faasforge.pipeline import resolve_image
    from faasforge.settings import Settings

    bdir = Path(params["benchmarks_dir"])
    concurrency = int(params["concurrency"])
    names: dict[str, list[str]] = params["names"]
    repository = params["repository"]
    images: set[str] = set()

    def flow_side(order: str, builder: str = "classic") -> dict[str, Any]:
        cells = [{"benchmark": n, "language": "python", "version": "3.11", "architecture": "x64",
                  "platform": "local"} for n in names[order]]
        os.environ["FAASFORGE_BUILDER"] = builder  # read by the engine per build
        with cli_settings():
            t0 = time.perf_counter()
            records = build_images(images=cells, concurrency=concurrency, repository=repository,
                                   benchmarks_dir=str(bdir))
            seconds = time.perf_counter() - t0
        images.update(r.image_uri for r in records)
        if not all(r.rebuilt for r in records):
            raise RuntimeError(f"{order}: some images were skipped")
        return {"seconds": seconds, "build_s": [r.build_seconds for r in records],
                "push_s": [r.push_seconds for r in records]}

    def raw_side(nonce: str) -> dict[str, Any]:
        ws = open_workspace(Settings(benchmarks_dir=bdir, repository=repository))
        jobs = []
        for name in names["faasforge"]:
            resolved = resolve_image(ImageRequest("local", name, "python", "3.11", "x64"), ws)
            context = staging.materialize(resolved.plan)
            args = [i for k, v in resolved.plan.build_args.items() for i in ("--build-arg", f"{k}={v}")]
            tag = f"{resolved.name.repository_uri}:raw-{name}-{nonce}"
            jobs.append((context, args, tag))

        def one(job: tuple[Path, list[str], str]) -> None:
            context, args, tag = job
            docker("build", "--platform", "linux/amd64", "--network", "host", "--rm", "--force-rm", "-t", tag,
                   *args, str(context))
            docker("push", tag)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, jobs))
        seconds = time.perf_counter() - t0
        for context, _, tag in jobs:
            staging.remove_context(context)
            images.add(tag)
        return {"seconds": seconds}

    rounds = []
    for index in range(int(params["rounds"])):
        sides = ["faasforge", "seed", "raw", "buildkit"]
        sides = sides[index % 4:] + sides[:index % 4]
        row: dict[str, Any] = {}
        for side in sides:
            # a nonce of its own per side and round: every dependency layer is new to the engine
            for name in names["seed" if side == "seed" else "faasforge"]:
                set_nonce(benchmark_path(bdir, name), f"{params['run_id']}-{name}-{side}-r{index}")
            if side == "raw":
                row[side] = raw_side(f"{params['run_id']}-r{index}")
            elif side == "buildkit":
                row[side] = flow_side("faasforge", builder="buildkit")
            else:
                row[side] = flow_side(side)
        os.environ["FAASFORGE_BUILDER"] = "classic"
        rounds.append(row)
    return {"startup": startup, "rounds": rounds, "images": sorted(images)}


# ------------------------------------------------------------------------------ scenario 3
def overhead(params: Params) -> dict[str, Any]:
    """One image three ways, on identical staged contexts: the build_image flow; the same steps as
    plain functions (faasforge.pipeline, no Prefect); ``docker build`` + ``docker push``. Cold: a
    fresh nonce per side, so the dependency install runs and every layer is new to the registry.
    Warm: the same content again (forced rebuild): engine cache hits, layers already pushed."""
    startup = start_prefect()
    cases = [_overhead_case(params, case) for case in params["cases"]]
    return {"startup": startup, "floor": empty_flow_floor(5), "cases": cases}


def _overhead_case(params: Params, case: Params) -> dict[str, Any]:
    from faasforge.flows.build import build_image
    from faasforge.registries import open_workspace

    from faasforge import staging
    from faasforge.engine import docker_client
    from faasforge.model import ImageRequest
    from faasforge.pipeline import DockerEngine, resolve_image
    from faasforge.runner import PlainSteps, run_image
    from faasforge.settings import Settings

    bdir = Path(params["benchmarks_dir"])
    name, repository, run_id = case["benchmark"], params["repository"], params["run_id"]
    bench = benchmark_path(bdir, name)
    request = ImageRequest("local", name, "python", "3.11", "x64")
    kwargs = {"benchmark": name, "language": "python", "version": "3.11", "architecture": "x64",
              "platform": "local", "repository": repository, "benchmarks_dir": str(bdir)}
    ws = open_workspace(Settings(benchmarks_dir=bdir, repository=repository))
    raw_tags: list[str] = []
    images: set[str] = set()

    def flow_run(force: bool, settings: Callable[[], Any] = cli_settings) -> dict[str, float]:
        with settings():
            t0 = time.perf_counter()
            record = build_image(force=force, **kwargs)
            seconds = time.perf_counter() - t0
        images.add(record.image_uri)
        if not record.rebuilt:
            raise RuntimeError(f"expected a build of {record.image_uri}: {record.reason}")
        return {"seconds": seconds, "build_s": record.build_seconds, "push_s": record.push_seconds}

    def plain_run(force: bool) -> dict[str, float]:
        """The flows' runner with plain steps (no Prefect), on a client of its own."""
        t0 = time.perf_counter()
        client = docker_client()
        try:
            record = run_image(request, ws, PlainSteps(DockerEngine(client)), force=force)
        finally:
            client.close()
        if not record.rebuilt:
            raise RuntimeError(f"expected a build of {record.image_uri}: {record.reason}")
        images.add(record.image_uri)
        return {"seconds": time.perf_counter() - t0, "build_s": record.build_seconds, "push_s": record.push_seconds}

    def stage_raw(nonce: str) -> tuple[Path, list[str], str]:
        set_nonce(bench, nonce)
        resolved = resolve_image(request, ws)
        context = staging.materialize(resolved.plan)
        args = [item for k, v in resolved.plan.build_args.items() for item in ("--build-arg", f"{k}={v}")]
        tag = f"{resolved.name.repository_uri}:raw-{nonce}"
        raw_tags.append(tag)
        return context, args, tag

    def raw_run(context: Path, args: list[str], tag: str) -> dict[str, float]:
        t0 = time.perf_counter()
        docker("build", "--platform", "linux/amd64", "--network", "host", "--rm", "--force-rm", "-t", tag,
               *args, str(context))
        t1 = time.perf_counter()
        docker("push", tag)
        t2 = time.perf_counter()
        return {"seconds": t2 - t0, "build_s": t1 - t0, "push_s": t2 - t1}

    repeats = []
    for index in range(int(case["repeats"])):
        nonces = {side: f"{run_id}-{name}-{side}{index}" for side in ("flow", "plain", "raw")}
        row: dict[str, Any] = {}
        context, args, tag = stage_raw(nonces["raw"])
        order = ["flow", "plain", "raw"]
        order = order[index % 3:] + order[:index % 3]  # rotate, so no side always goes first
        for phase, force in (("cold", False), ("warm", True)):
            for side in order:
                if side == "raw":
                    row[f"raw_{phase}"] = raw_run(context, args, tag)
                    continue
                set_nonce(bench, nonces[side])
                row[f"{side}_{phase}"] = flow_run(force) if side == "flow" else plain_run(force)
        if case.get("extras", True):
            set_nonce(bench, nonces["flow"])
            t0 = time.perf_counter()
            with cli_settings():
                skipped = build_image(**kwargs)
            row["flow_skip_s"] = time.perf_counter() - t0
            row["skip_reason"] = skipped.reason
            row["flow_warm_prefect_defaults"] = flow_run(force=True, settings=prefect_defaults)
        staging.remove_context(context)
        repeats.append(row)
    return {"benchmark": name, "repeats": repeats, "raw_tags": raw_tags, "images": sorted(images)}


# ------------------------------------------------------------------------------ scenario 4
def throughput(params: Params) -> dict[str, Any]:
    """A matrix of push-heavy images through build_images at each concurrency. The engine's build
    cache is warmed first (same staged contexts), so the builds are trivial and pushes dominate;
    each level has its own images and repository, so nothing is skipped or mounted."""
    startup = start_prefect()
    from faasforge.flows.build import build_images
    from faasforge.registries import open_workspace

    from faasforge import staging
    from faasforge.engine import build_image as engine_build
    from faasforge.engine import docker_client
    from faasforge.model import ImageRequest
    from faasforge.pipeline import resolve_image
    from faasforge.settings import Settings

    bdir = Path(params["benchmarks_dir"])
    levels = []
    warm_tags: list[str] = []
    client = docker_client()
    for level in params["levels"]:
        concurrency, names, repository = int(level["concurrency"]), level["benchmarks"], level["repository"]
        ws = open_workspace(Settings(benchmarks_dir=bdir, repository=repository))
        t0 = time.perf_counter()
        for name in names:
            resolved = resolve_image(ImageRequest("local", name, "python", "3.11", "x64"), ws)
            context = staging.materialize(resolved.plan)
            tag = f"faasforge-bench-warm-{params['run_id']}:{name}"
            engine_build(client, context, tag, "x64", resolved.plan.build_args, resolved.plan.content_hash)
            staging.remove_context(context)
            warm_tags.append(tag)
        warmed = time.perf_counter() - t0
        images = [{"benchmark": n, "language": "python", "version": "3.11", "architecture": "x64",
                   "platform": "local"} for n in names]
        link = None
        if level.get("shaped"):
            from shaped_link import ShapedLink

            # a nightly pushes into a repository that holds the base layers already: put them
            # there first, directly, so the paced link carries what a rebuild really sends
            base = f"127.0.0.1:5000/{repository}:base"
            docker("tag", "faasforge/base-python:3.11-x64", base)
            docker("push", base)
            docker("rmi", base)

            link = ShapedLink(5000, rate_mb_s=float(level["shaped"]["rate_mb_s"]), rtt_ms=float(level["shaped"]["rtt_ms"]))
        servers = [pid for pid in (_pid_of("dockerd"), _pid_of("docker-registry")) if pid]
        with cli_settings(), link or nullcontext():
            registry = f"127.0.0.1:{link.port}" if link else None
            own0, servers0 = _own_cpu_seconds(), sum(_cpu_seconds(pid) for pid in servers)
            t0 = time.perf_counter()
            records = build_images(images=images, concurrency=concurrency, repository=repository,
                                   benchmarks_dir=str(bdir), registry=registry)
            seconds = time.perf_counter() - t0
            own1 = _own_cpu_seconds()
            own_cpu, server_cpu = own1[0] - own0[0], own1[1] - own0[1]
            servers_cpu = sum(_cpu_seconds(pid) for pid in servers) - servers0
        levels.append({
            "concurrency": concurrency, "images": len(names), "seconds": seconds, "warm_cache_s": warmed,
            "shaped": level.get("shaped"), "own_cpu_s": own_cpu, "prefect_server_cpu_s": server_cpu,
            "servers_cpu_s": servers_cpu,
            "build_s": [r.build_seconds for r in records], "push_s": [r.push_seconds for r in records],
            "compressed_mb": [r.compressed_mb for r in records], "rebuilt": [r.rebuilt for r in records],
            "uris": [r.image_uri for r in records],
        })
    client.close()
    threads = prefect_threads() if params.get("threads", True) else None
    return {"startup": startup, "levels": levels, "warm_tags": warm_tags, "prefect_threads": threads}


def prefect_threads(children: int = 4, seconds: float = 1.0) -> dict[str, dict[int, float]]:
    """Prefect alone: a parent flow runs ``children`` units of ``seconds`` each (a subprocess
    sleep) from a thread pool, as build_images runs its images: each unit either a child flow
    with one task (what build_images does per image) or just a task."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from prefect import flow, task

    @task(name="bench-sleep")
    def sleep_task(index: int) -> int:
        subprocess.run(["sleep", str(seconds)], check=True)
        return index

    @flow(name="bench-child")
    def child(index: int) -> int:
        return sleep_task(index)

    @flow(name="bench-parent")
    def parent(kind: str, workers: int) -> None:
        unit = child if kind == "child flows" else sleep_task
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(contextvars.copy_context().run, unit, i) for i in range(children)]
            for future in futures:
                future.result()

    out: dict[str, dict[int, float]] = {}
    with cli_settings():
        parent("tasks", 1)
        for kind in ("child flows", "tasks"):
            out[kind] = {}
            for workers in (1, 2, 4):
                t0 = time.perf_counter()
                parent(kind, workers)
                out[kind][workers] = time.perf_counter() - t0
    return out


def raw_push_ceiling(params: Params) -> dict[str, Any]:
    """The engine and registry alone: ``docker push`` of fresh images one at a time vs two at a
    time (no faasforge, no Prefect) — the most concurrency can give on this machine."""
    tags: list[str] = params["tags"]
    half = len(tags) // 2
    servers = [pid for pid in (_pid_of("dockerd"), _pid_of("docker-registry")) if pid]
    cpu0 = sum(_cpu_seconds(pid) for pid in servers)
    t0 = time.perf_counter()
    for tag in tags[:half]:
        docker("push", tag)
    sequential = time.perf_counter() - t0
    cores_per_push = (sum(_cpu_seconds(pid) for pid in servers) - cpu0) / sequential if servers else None
    rest = tags[half:]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(["docker", "push", tag], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for tag in rest[:2]]
    queue = list(rest[2:])
    while procs:
        for proc in list(procs):
            if proc.poll() is not None:
                procs.remove(proc)
                if queue:
                    procs.append(subprocess.Popen(["docker", "push", queue.pop(0)],
                                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.02)
    parallel = time.perf_counter() - t0
    return {"sequential_s": sequential, "parallel2_s": parallel, "images_each": half,
            "cores_per_push": cores_per_push, "nproc": os.cpu_count()}


def _pid_of(program: str) -> int | None:
    """The pid of the running engine or registry (read-only: for its CPU time)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                argv0 = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if argv0.decode(errors="replace").rsplit("/", 1)[-1] == program:
                return int(entry)
    return None


def _own_cpu_seconds() -> tuple[float, float]:
    """CPU seconds so far of this process (all its threads), and of its children (the Prefect
    server it started)."""
    times = os.times()
    children = 0.0
    for listing in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        for pid in listing.read_text().split():
            children += _cpu_seconds(int(pid))
    return times.user + times.system, children


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prefect_threads_command(params: Params) -> dict[str, Any]:
    return {"startup": start_prefect(), "prefect_threads": prefect_threads()}


COMMANDS: dict[str, Callable[[Params], dict[str, Any]]] = {
    "prefect-threads": prefect_threads_command,
    "decide": decide,
    "seed-pull": seed_pull,
    "prefect-startup": prefect_startup,
    "code-edit": code_edit,
    "cold-matrix": cold_matrix,
    "overhead": overhead,
    "throughput": throughput,
    "raw-push-ceiling": raw_push_ceiling,
}


def main() -> int:
    command, spec, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    result = COMMANDS[command](json.loads(spec.read_text()))
    out.write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
