"""Shared plumbing of the bench: a private environment, timed processes, memory sampling,
the Docker CLI and the local registry.

Everything talks to 127.0.0.1 only: the engine's socket, the registry on 127.0.0.1:5000 and
Prefect's ephemeral server (which the flows start on a loopback port).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faasforge.registries.oci import MANIFEST_ACCEPT  # the Accept list faasforge sends

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
REGISTRY = "127.0.0.1:5000"
REGISTRY_API = f"http://{REGISTRY}"


# ------------------------------------------------------------------------------------- figures
def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else float("nan")


def percentile(values: Iterable[float], q: float) -> float:
    data = sorted(values)
    if not data:
        return float("nan")
    index = min(len(data) - 1, max(0, round(q * (len(data) - 1))))
    return data[index]


def check(label: str, value: float | None, target: str, ok: bool | None, unit: str = "") -> dict[str, Any]:
    """One target: the measured value, the target as text, and whether it is met."""
    return {"label": label, "value": value, "unit": unit, "target": target, "ok": ok}


# --------------------------------------------------------------------------------- environment
@dataclass
class BenchEnv:
    """A private FAASFORGE_HOME, PREFECT_HOME and staging dir, and a repository per run."""

    quick: bool
    run_id: str = field(default_factory=lambda: time.strftime("%m%d%H%M") + uuid.uuid4().hex[:4])
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="faasforge-bench-")))
    keep: bool = False

    def __post_init__(self) -> None:
        for name in ("home", "prefect", "staging", "benchmarks", "work"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        self.images: set[str] = set()  # local engine tags to remove at the end

    def repository(self, purpose: str) -> str:
        return f"faasforge-bench-{self.run_id}-{purpose}"

    @property
    def benchmarks_dir(self) -> Path:
        return self.root / "benchmarks"

    @property
    def work(self) -> Path:
        return self.root / "work"

    def environ(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        overlay = env.get("FAASFORGE_SYSTEMS_OVERLAY") or services_overlay()
        # a timeout, not a server: on a loaded machine Prefect's server takes longer than 20 s
        startup = env.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
        for key in list(env):  # never a configured remote Prefect server or profile
            if key.startswith("PREFECT_") or key.startswith("FAASFORGE_"):
                del env[key]
        if overlay:  # the base images scripts/services.sh provided (offline stand-ins)
            env["FAASFORGE_SYSTEMS_OVERLAY"] = overlay
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = startup
        env.update({
            "FAASFORGE_HOME": str(self.root / "home"),
            "FAASFORGE_STAGING_DIR": str(self.root / "staging"),
            "PREFECT_HOME": str(self.root / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])),
        })
        env.update(extra)
        return env

    def cleanup(self) -> None:
        remove_local_images(sorted(self.images))
        delete_repositories(self.run_id)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)


def services_overlay() -> str:
    """What ``scripts/services.sh overlay`` prints: the systems overlay for offline stand-ins."""
    done = subprocess.run([str(PROJECT_ROOT / "scripts" / "services.sh"), "overlay"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip()


# ----------------------------------------------------------------------------------- processes
@dataclass
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    maxrss_mb: float  # the child's peak RSS (ru_maxrss, which covers what it reaped too)


def run_timed(cmd: Sequence[str], env: dict[str, str], timeout: float = 1800, check_rc: bool = True,
              cwd: Path | None = None) -> Timed:
    """Run one process to the end; wall seconds from fork to exit, and its peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), env=env, cwd=cwd or PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out, err = _communicate(proc, timeout)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = proc.returncode = os.waitstatus_to_exitcode(status)
    if check_rc and code != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {code}:\n{err[-3000:]}")
    return Timed(seconds, code, out, err, usage.ru_maxrss / 1024)


def _communicate(proc: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """Read both pipes without reaping the child (so os.wait4 still gets its rusage)."""
    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def pump(name: str, stream: Any) -> None:
        for line in stream:
            chunks[name].append(line)

    threads = [
        threading.Thread(target=pump, args=("out", proc.stdout), daemon=True),
        threading.Thread(target=pump, args=("err", proc.stderr), daemon=True),
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        proc.kill()
        raise RuntimeError(f"{proc.args!r} did not finish within {timeout:.0f}s")
    return "".join(chunks["out"]), "".join(chunks["err"])


def python_cmd(*args: str) -> list[str]:
    return [sys.executable, *args]


def faasforge_cmd(*args: str) -> list[str]:
    """The installed ``faasforge`` console script (what users run), else ``python -m``."""
    exe = shutil.which("faasforge")
    return [exe, *args] if exe else [sys.executable, "-m", "faasforge", *args]


def run_worker(env: BenchEnv, command: str, params: dict[str, Any], timeout: float = 1800,
               extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``bench/worker.py COMMAND`` in a fresh process; it writes its figures as JSON."""
    out = env.work / f"worker-{command}-{uuid.uuid4().hex[:6]}.json"
    spec = env.work / f"{out.stem}.params.json"
    spec.write_text(json.dumps(params))
    result = run_timed(python_cmd(str(BENCH_DIR / "worker.py"), command, str(spec), str(out)),
                       env.environ(**(extra_env or {})), timeout=timeout, check_rc=False)
    if result.returncode != 0 or not out.exists():
        raise RuntimeError(f"worker {command} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    data: dict[str, Any] = json.loads(out.read_text())
    data["_process_seconds"] = round(result.seconds, 3)
    return data


# ------------------------------------------------------------------------------------- memory
class TreeMemory:
    """Samples the RSS of a process and of every descendant (e.g. Prefect's server) from /proc.

    Per process it keeps the kernel's own peak (VmHWM), read at every sample, plus the peak of
    the tree's summed RSS. A process that lives less than one interval may be missed.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peaks: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.tree_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0.0
            for pid in self._tree():
                status = _read(f"/proc/{pid}/status")
                if not status:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                rss = _kb(fields.get("VmRSS")) / 1024
                hwm = _kb(fields.get("VmHWM")) / 1024
                total += rss
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), hwm)
                if pid not in self.names:
                    self.names[pid] = (_read(f"/proc/{pid}/cmdline") or "").replace("\0", " ").strip()[:160]
            self.tree_peak = max(self.tree_peak, total)
            self._stop.wait(self.interval)

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = _read(f"/proc/{entry}/stat")
                if stat:
                    after = stat.rsplit(")", 1)[-1].split()
                    parents[int(entry)] = int(after[1])
        tree, frontier = [self.pid], [self.pid]
        while frontier:
            current = frontier.pop()
            children = [pid for pid, ppid in parents.items() if ppid == current]
            tree.extend(children)
            frontier.extend(children)
        return tree

    def peak_of(self, predicate: Any) -> float:
        return max((mb for pid, mb in self.peaks.items() if predicate(self.names.get(pid, ""))), default=0.0)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def _kb(text: str | None) -> float:
    return float(text.split()[0]) if text else 0.0


def run_with_memory(cmd: Sequence[str], env: dict[str, str], timeout: float = 3600) -> tuple[Timed, TreeMemory]:
    """Like run_timed, while sampling the memory of the whole process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    with TreeMemory(proc.pid) as memory:
        out, err = _communicate(proc, timeout)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = proc.returncode = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {code}:\n{err[-3000:]}")
    return Timed(seconds, code, out, err, usage.ru_maxrss / 1024), memory


@contextmanager
def standing_prefect_server(env: BenchEnv, timeout: float = 120) -> Iterator[tuple[str, int]]:
    """``prefect server start`` on a free loopback port (SQLite in the bench's temp dir), for the
    runs that should not start an ephemeral server; yields (API URL, server pid). Stopped at the
    end by its own process group (started here)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = env.root / "prefect-server"
    home.mkdir(exist_ok=True)
    log = (env.work / "prefect-server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
         "--no-ui", "--analytics-off", "--no-scheduler", "--no-late-runs"],
        env=env.environ(PREFECT_HOME=str(home)), cwd=env.work, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            try:
                with opener.open(f"{url}/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not start (see {env.work / 'prefect-server.log'})")
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


# -------------------------------------------------------------------------------------- docker
def docker(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DOCKER_BUILDKIT="0", DOCKER_CLI_HINTS="false")
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, timeout=timeout, check=True)


def remove_local_images(tags: Sequence[str]) -> None:
    for start in range(0, len(tags), 50):
        batch = list(tags[start:start + 50])
        if batch:
            subprocess.run(["docker", "rmi", "--force", *batch], capture_output=True, text=True)


def engine_facts() -> dict[str, Any]:
    fmt = '{"version": {{json .ServerVersion}}, "driver": {{json .Driver}}, "cgroup": {{json .CgroupVersion}}}'
    try:
        return dict(json.loads(docker("info", "--format", fmt).stdout))
    except (subprocess.SubprocessError, ValueError, OSError):
        return {}


# ------------------------------------------------------------------------------------ registry
def registry_get(path: str, accept: str | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"{REGISTRY_API}{path}", method=method)
    if accept:
        request.add_header("Accept", accept)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def compressed_bytes(repository: str, tag: str) -> int:
    status, _, body = registry_get(f"/v2/{repository}/manifests/{tag}", MANIFEST_ACCEPT)
    if status != 200:
        raise RuntimeError(f"registry has no {repository}:{tag} (HTTP {status})")
    manifest = json.loads(body)
    return sum(int(layer["size"]) for layer in manifest.get("layers", [])) + int(manifest["config"]["size"])


def catalog() -> list[str]:
    """Every repository name in the registry (the catalog API pages by at most 1000)."""
    names: list[str] = []
    path: str | None = "/v2/_catalog?n=1000"
    while path:
        status, headers, body = registry_get(path)
        if status != 200:
            break
        names.extend(json.loads(body).get("repositories") or [])
        link = headers.get("Link", "")
        path = link[link.find("<") + 1:link.find(">")] if link.startswith("<") else None
    return names


def delete_repositories(run_id: str) -> None:
    """Delete the manifests of this run's repositories (the registry frees blobs on its next
    garbage collection, which needs it stopped: not the bench's business)."""
    prefix = f"faasforge-bench-{run_id}-"
    for repository in catalog():
        if not repository.startswith(prefix):
            continue
        status, _, tags_body = registry_get(f"/v2/{repository}/tags/list")
        for tag in (json.loads(tags_body).get("tags") or []) if status == 200 else []:
            code, headers, _ = registry_get(f"/v2/{repository}/manifests/{tag}", MANIFEST_ACCEPT, method="HEAD")
            digest = headers.get("Docker-Content-Digest")
            if code == 200 and digest:
                registry_get(f"/v2/{repository}/manifests/{digest}", method="DELETE")


# ------------------------------------------------------------------------------------- machine
def machine_facts() -> dict[str, Any]:
    meminfo = _read("/proc/meminfo") or ""
    total_kb = next((_kb(line.split(":", 1)[1]) for line in meminfo.splitlines() if line.startswith("MemTotal")), 0.0)
    cpu = next((line.split(":", 1)[1].strip() for line in (_read("/proc/cpuinfo") or "").splitlines()
                if line.startswith("model name")), platform.processor())
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "engine": engine_facts(),
        "prefect": _version("prefect"),
        "docker_sdk": _version("docker"),
    }


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
