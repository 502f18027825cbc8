"""Build and call every Python and Node.js benchmark of a SeBS checkout for ``local``.

    python bench/sebs_suite.py /path/to/serverless-benchmarks [--arch x64,arm64]
        [--benchmark 110.dynamic-html,...] [--language python,nodejs] [--data DIR] [--out results.json]

For each benchmark/language/architecture it runs ``faasforge build`` with the checkout's
``benchmarks/`` and ``configs/systems.json`` (overlaid: ``local``'s base images are Docker Hub
images in SeBS's file, here replaced by faasforge's local bases, and arm64 is allowed), starts the
image (``--network host``, ``PORT``), prepares the input with the benchmark's own ``input.py``
(``generate_input``, size ``test``) against a moto S3/DynamoDB server on 127.0.0.1 (SeBS's local
storage variables ``MINIO_*`` and ``NOSQL_STORAGE_*`` point the image at it), POSTs the event and
runs the benchmark's ``validate_output`` where it has one.

SeBS's input data lives in its ``benchmarks-data`` submodule (``--data``, default the checkout's
when it holds files). The real files are used where present; a file a benchmark's input needs
that is absent gets a small generated stand-in of the right type (``STAND_INS``), and each row
says which input it used. 020.network-benchmark and 040.server-reply talk to a server SeBS's
experiments start (network-ping-pong: a UDP echo server; eviction-model: a TCP server answering
``accepted``): the suite starts an equivalent one on 127.0.0.1 and puts its address into the
event under the keys SeBS's experiment uses, then checks the reply against the server's side.
The input modules are loaded from the checkout at run time (``210.thumbnailer``'s needs Pillow
on the host). Nothing of SeBS is copied here.

Prints one JSON object per image and, at the end, a Markdown table.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Self

LANGUAGES = ("python", "nodejs")
LOCAL_BASES = {
    "python": ("3.11", "faasforge/base-python:3.11-{arch}"),
    "nodejs": ("18", "faasforge/base-nodejs:18-{arch}"),
}
ACCESS_KEY = SECRET_KEY = "testing"


# ------------------------------------------------------------------ stand-in input data
def _jpeg(path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (640, 480), (30, 90, 160)).save(path, "JPEG")


def _fasta(path: Path) -> None:
    import random

    rng = random.Random(7)
    path.write_text(">stand-in\n" + "".join(rng.choice("ACGT") for _ in range(2000)) + "\n")


def _tree(path: Path) -> None:
    for i in range(5):
        (path / "sub").mkdir(parents=True, exist_ok=True)
        (path / f"file{i}.tex").write_text("\\section{stand-in}\n" * 200)
        (path / "sub" / f"part{i}.txt").write_text("lorem ipsum\n" * 300)


# benchmark → (relative path in its data dir, maker): what its generate_input looks for
STAND_INS: dict[str, list[tuple[str, Callable[[Path], None]]]] = {
    "210.thumbnailer": [("6_astronomy-desktop-wallpaper-evening-1624438.jpg", _jpeg)],
    "311.compression": [("acmart-master", _tree)],
    "504.dna-visualisation": [("bacillus_subtilis.fasta", _fasta)],
}


def default_data(sebs: Path) -> Path | None:
    """The checkout's ``benchmarks-data`` submodule when it holds files, else None."""
    data = sebs / "benchmarks-data"
    return data if data.is_dir() and any(data.iterdir()) else None


def _summary(names: list[str]) -> str:
    return ", ".join(names) if len(names) <= 2 else f"{len(names)} files"


def prepare_data(data: Path | None, group: str, name: str, scratch: Path) -> tuple[Path, str]:
    """``{scratch}/benchmarks-data/{group}/{name}``: SeBS's real input files (symlinked from
    ``data/{group}/{name}``, never modified) and, only for a ``STAND_INS`` file absent there, a
    generated stand-in. Returns the directory and a label saying which input is which."""
    target = scratch / "benchmarks-data" / group / name
    target.mkdir(parents=True, exist_ok=True)
    real: list[str] = []
    source = data / group / name if data is not None else None
    if source is not None and source.is_dir():
        for entry in sorted(source.iterdir()):
            if entry.name == "README.md":  # the data repository's description, no input
                continue
            link = target / entry.name
            if not link.exists():
                link.symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
            real.append(entry.name)
    made: list[str] = []
    for rel, maker in STAND_INS.get(name, []):
        path = target / rel
        if path.exists():
            continue
        if not rel.endswith((".jpg", ".fasta")):
            path.mkdir(parents=True, exist_ok=True)
        maker(path)
        made.append(rel)
    parts = ([f"benchmarks-data: {_summary(real)}"] if real else []) + (
        [f"stand-in: {', '.join(made)}"] if made else [])
    if not parts and source is not None and source.is_dir():
        parts = ["benchmarks-data: no input files"]  # e.g. a large file absent from the snapshot
    return target, "; ".join(parts) or "none needed"


# ------------------------------------------------------------------ SeBS's experiment servers
class LoopbackServer:
    """A socket on 127.0.0.1 served by a thread while the ``with`` block runs; ``served`` counts
    what ``_serve_one`` handled (a datagram, a connection). Subclasses pick the socket and reply."""

    kind = socket.SOCK_STREAM

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, self.kind)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        if self.kind == socket.SOCK_STREAM:
            self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.served = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve_one(self) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self._serve_one()
            except TimeoutError:
                continue

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class EchoServer(LoopbackServer):
    """What SeBS's network-ping-pong experiment does for 020.network-benchmark: a UDP socket
    that sends every datagram back to its sender. The experiment puts ``server-address``,
    ``server-port`` and ``repetitions`` into the event; the function sends ``repetitions + 1``
    datagrams (its request id) and uploads a CSV of the timed ones."""

    kind = socket.SOCK_DGRAM

    def _serve_one(self) -> None:
        message, address = self.sock.recvfrom(1024)
        self.served += 1  # before the reply: a sender that got its answer sees the count
        self.sock.sendto(message, address)


class ReplyServer(LoopbackServer):
    """What SeBS's eviction-model experiment does for 040.server-reply (``accept_replies``): a TCP
    server that answers each connection with ``accepted`` and closes it. The experiment's event is
    ``{"ip-address": ..., "port": ...}``; the function returns what it received."""

    def _serve_one(self) -> None:
        connection, _ = self.sock.accept()
        self.served += 1  # before the reply, as the echo server
        with connection:
            connection.sendall(b"accepted")


@contextlib.contextmanager
def experiment_server(name: str, repetitions: int) -> Iterator[tuple[dict[str, Any], Callable[..., str | None]]]:
    """The event keys SeBS's experiment adds for this benchmark, and a check of the reply against
    the server's side (the benchmarks that need a server have no ``validate_output``).
    ``check(output, s3, bucket)`` returns None when it holds, else what was wrong."""
    if name == "020.network-benchmark":
        with EchoServer() as echo:
            def check_echo(output: Any, s3: Any, bucket: str) -> str | None:
                if echo.served != repetitions + 1:
                    return f"the server echoed {echo.served} datagrams, expected {repetitions + 1}"
                key = (output or {}).get("result")
                if not isinstance(key, str) or not key:
                    return f"no result key in the output: {output!r}"[:200]
                body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
                rows = body.strip().splitlines()
                if rows[:1] != ["id,client_send,client_rcv"] or len(rows) != repetitions + 1:
                    return f"results CSV {key} has {len(rows) - 1} rows, expected {repetitions}"
                return None

            yield ({"server-address": "127.0.0.1", "server-port": echo.port, "repetitions": repetitions},
                   check_echo)
    elif name == "040.server-reply":
        with ReplyServer() as reply:
            def check_reply(output: Any, s3: Any, bucket: str) -> str | None:
                got = (output or {}).get("result")
                if got != "accepted" or reply.served != 1:
                    return f"the function returned {got!r} after {reply.served} connections"
                return None

            yield {"ip-address": "127.0.0.1", "port": reply.port}, check_reply
    else:
        yield {}, lambda output, s3, bucket: None


# ------------------------------------------------------------------ helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, seconds: float) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def overlay_systems(sebs: Path, target: Path) -> Path:
    data = json.loads((sebs / "configs" / "systems.json").read_text())
    local = data["local"]
    local["architecture"] = ["x64", "arm64"]
    for language, (version, image) in LOCAL_BASES.items():
        local["languages"][language]["base_images"] = {
            arch: {version: image.format(arch=arch)} for arch in ("x64", "arm64")
        }
    path = target / "systems.json"
    path.write_text(json.dumps(data, indent=1))
    return path


def benchmarks(sebs: Path) -> Iterator[tuple[str, str, str, list[str]]]:
    """(group, name, path, languages) of every benchmark with Python or Node.js code."""
    for config in sorted((sebs / "benchmarks").glob("*/*/config.json")):
        declared = json.loads(config.read_text()).get("languages", [])
        names = [x if isinstance(x, str) else x.get("language") for x in declared]
        langs = [lang for lang in LANGUAGES if lang in names and (config.parent / lang).is_dir()]
        if langs:
            yield config.parent.parent.name, config.parent.name, str(config.parent), langs


def provide_project_root(scratch: Path) -> None:
    """Some validate_output functions import ``sebs.utils.get_project_root`` to find
    ``benchmarks-data``; importing SeBS's package would need all of SeBS's dependencies, so a
    stand-in module answers with the scratch root whose ``benchmarks-data`` ``prepare_data``
    fills (the real files where present, the stand-ins otherwise)."""
    import types

    root = scratch
    package = types.ModuleType("sebs")
    utils = types.ModuleType("sebs.utils")
    utils.get_project_root = lambda: root  # type: ignore[attr-defined]
    package.utils = utils  # type: ignore[attr-defined]
    sys.modules.setdefault("sebs", package)
    sys.modules.setdefault("sebs.utils", utils)


def load_input_module(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"sebs_input_{uuid.uuid4().hex[:6]}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """One Prefect API server for all builds (each CLI call would otherwise start its own)."""
    port = free_port()
    env = dict(os.environ, PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", 180)
        yield f"http://127.0.0.1:{port}/api"
    finally:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, 15)
        process.wait(timeout=30)


@contextlib.contextmanager
def region_proxy(target_port: int) -> Iterator[int]:
    """SeBS's local nosql helper signs for region ``None`` (ScyllaDB's Alternator ignores it);
    moto keys its DynamoDB backends by region. This loopback proxy rewrites the signature's
    region to us-east-1 and forwards to moto."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import requests

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            if "Authorization" in headers:
                headers["Authorization"] = headers["Authorization"].replace("/None/", "/us-east-1/")
            reply = requests.post(f"http://127.0.0.1:{target_port}{self.path}", data=body, headers=headers, timeout=60)
            self.send_response(reply.status_code)
            for key, value in reply.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.content)))
            self.end_headers()
            self.wfile.write(reply.content)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


class S3Storage:
    """What SeBS's validate_output needs of a storage client: ``download(bucket, key, path)``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def download(self, bucket: str, key: str, filepath: str) -> None:
        self.client.download_file(bucket, key, filepath)


# ------------------------------------------------------------------ one image
def build(args: argparse.Namespace, env: dict[str, str], name: str, language: str, arch: str,
          systems: Path) -> dict[str, Any]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "faasforge", "build", "--benchmark", name, "--language", language,
         "--arch", arch, "--benchmarks-dir", str(args.sebs / "benchmarks"), "--systems-config", str(systems),
         "--registry", args.registry, "--repository", args.repository, "--json"],
        capture_output=True, text=True, env=env, timeout=args.build_timeout, stdin=subprocess.DEVNULL,
    )
    result: dict[str, Any] = {"build_seconds": round(time.monotonic() - started, 1)}
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("faasforge: error:")]
        result["build_error"] = (errors[-1] if errors else done.stderr.strip()[-500:])[:1500]
        cause = build_cause(result["build_error"])
        if cause:
            result["build_cause"] = cause
        return result
    (record,) = json.loads(done.stdout)
    result["image_uri"] = record["image_uri"]
    result["size_mb"] = record["size_mb"]
    return result


def build_cause(error: str) -> str | None:
    """The installer's own error line from the build log an error names (``(log: PATH)``): a
    failed ``RUN`` step's error says only which command failed."""
    match = re.search(r"\(log: ([^)]+)\)", error)
    if match is None or "returned a non-zero code" not in error:
        return None
    try:
        lines = Path(match.group(1)).read_text(errors="replace").splitlines()
    except OSError:
        return None
    causes = [line.strip() for line in lines if re.search(r"^\s*(ERROR:|npm ERR!|npm error)", line)]
    return causes[0][:300] if causes else None


def call(args: argparse.Namespace, docker: Any, s3: Any, dynamo: Any, moto_port: int, nosql_port: int, group: str,
         name: str, path: Path, language: str, image: str, scratch: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        module = load_input_module(path / "input.py")
    except Exception as exc:  # noqa: BLE001 - reported in the table
        return {"input_error": f"input.py does not load on the host: {exc!r}"[:300]}
    data_dir, out["data"] = prepare_data(args.data, group, name, scratch)
    bucket = f"sebs-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    inputs: list[str] = []
    outputs: list[str] = []
    if hasattr(module, "buckets_count"):
        n_in, n_out = module.buckets_count()
        inputs = [f"{name}-{i}-input" for i in range(n_in)]
        outputs = [f"{name}-{i}-output" for i in range(n_out)]

    def upload(index: int, key: str, filepath: str) -> None:
        s3.upload_file(filepath, bucket, os.path.join(inputs[index], key))

    environment = {
        "PORT": "", "MINIO_ADDRESS": f"127.0.0.1:{moto_port}", "MINIO_ACCESS_KEY": ACCESS_KEY,
        "MINIO_SECRET_KEY": SECRET_KEY, "NOSQL_STORAGE_TYPE": "scylladb",
        "NOSQL_STORAGE_ENDPOINT": f"127.0.0.1:{nosql_port}",
    }
    tables: dict[str, str] = {}
    if hasattr(module, "allocate_nosql"):
        for table, props in module.allocate_nosql().items():
            actual = f"sebs-{uuid.uuid4().hex[:8]}-{table}"
            keys = [(props["primary_key"], "HASH")]
            if props.get("secondary_key"):
                keys.append((props["secondary_key"], "RANGE"))
            dynamo.create_table(
                TableName=actual, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
            )
            tables[table] = actual
            environment[f"NOSQL_STORAGE_TABLE_{table}"] = actual

    def nosql_write(benchmark: str, table: str, data: dict[str, Any], primary: tuple[str, str],
                    secondary: tuple[str, str] | None = None) -> None:
        from boto3.dynamodb.types import TypeSerializer

        for key in (primary, secondary):
            if key is not None:
                data[key[0]] = key[1]
        serializer = TypeSerializer()
        dynamo.put_item(TableName=tables[table], Item={k: serializer.serialize(v) for k, v in data.items()})

    try:
        event = module.generate_input(str(data_dir), args.size, bucket, inputs, outputs, upload, nosql_write)
    except Exception as exc:  # noqa: BLE001
        return {**out, "input_error": f"generate_input failed: {exc!r}"[:300]}
    port = free_port()
    environment["PORT"] = str(port)
    with experiment_server(name, args.repetitions) as (keys, check):
        event = {**keys, **event} if isinstance(event, dict) else event
        if keys:
            out["server"] = ", ".join(keys)
        return run_and_validate(args, docker, s3, image, environment, port, event, module, data_dir,
                                language, bucket, check, out)


def run_and_validate(args: argparse.Namespace, docker: Any, s3: Any, image: str, environment: dict[str, str],
                     port: int, event: Any, module: Any, data_dir: Path, language: str, bucket: str,
                     check: Callable[..., str | None], out: dict[str, Any]) -> dict[str, Any]:
    container = docker.containers.run(image, detach=True, network_mode="host", environment=environment)
    import requests

    try:
        wait_http(f"http://127.0.0.1:{port}/health", args.start_timeout)
        started = time.monotonic()
        reply = requests.post(f"http://127.0.0.1:{port}/", json=event, timeout=args.call_timeout)
        out["call_seconds"] = round(time.monotonic() - started, 1)
        out["status"] = reply.status_code
        try:
            body = reply.json()
        except ValueError:
            body = {"error": reply.text[:300]}
        if reply.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            out["call_error"] = str(error or json.dumps(body))[:600]
            try:  # an error reply must leave the server serving the next call
                out["serves_after_error"] = requests.get(f"http://127.0.0.1:{port}/health", timeout=10).ok
            except requests.RequestException:
                out["serves_after_error"] = False
            return out
        output = body.get("result", {}).get("output")
        out["answers"] = True
        if "server" in out:
            problem = check(output, s3, bucket)
            out["server_check"] = "pass" if problem is None else f"fail: {problem}"
        validate = getattr(module, "validate_output", None)
        if validate is None:
            out["validate"] = "none"
            return out
        try:
            error = validate(str(data_dir), event, output, language, S3Storage(s3))
        except Exception as exc:  # noqa: BLE001
            error = f"validate_output raised {exc!r}"
        out["validate"] = "pass" if error is None else f"fail: {error}"[:400]
    except Exception as exc:  # noqa: BLE001
        out["call_error"] = f"{exc!r}"[:300]
        logs = container.logs(tail=8).decode("utf-8", "replace")
        out["container_log"] = logs[-800:]
    finally:
        if "answers" not in out and "container_log" not in out:
            out["container_log"] = container.logs(tail=8).decode("utf-8", "replace")[-800:]
        container.remove(force=True)
    return out


def why_not(row: dict[str, Any]) -> str:
    """The first line of what stopped an image: build error, call error, failed validation."""
    for key in ("build_cause", "build_error", "harness_error", "input_error", "call_error"):
        if key in row:
            text = str(row[key])
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                text = json.loads(text).get("error", text)
            text = text.replace("faasforge: error: ", "").replace("|", "/").splitlines()[0]
            if key == "call_error" and row.get("status"):  # the image answered, with an error
                text = f"HTTP {row['status']}: {text}"
                if row.get("serves_after_error") is False:
                    text = f"(then the server stopped) {text}"
            return text[:160]
    for key in ("server_check", "validate"):
        value = str(row.get(key, ""))
        if value.startswith("fail"):
            return value[6:160].replace("|", "/")
    return ""


def cells(r: dict[str, Any]) -> list[str]:
    """One table row's cells (the columns of ``render``)."""
    validate = str(r.get("validate", "-")).split(":")[0] if r.get("answers") else "-"
    if validate == "none" and "server_check" in r:
        validate = f"none; server check {str(r['server_check']).split(':')[0]}"
    inputs = [str(r["data"])] if r.get("data") and r["data"] != "none needed" else []
    if r.get("server"):
        inputs.append(f"suite's server ({r['server']})")
    size = f"{r['size_mb']:.0f}" if isinstance(r.get("size_mb"), (int, float)) else "-"
    return [r["benchmark"], r["language"], r["arch"], "yes" if "image_uri" in r else "no", size,
            "yes" if r.get("answers") else "no", validate, "; ".join(inputs) or "-", why_not(r)]


def render(results: list[dict[str, Any]], merge_archs: bool = False) -> str:
    """The Markdown table of docs/SEBS.md: one row per image, ``input`` says which data it used
    (SeBS's benchmarks-data, a stand-in, or a server the suite started as SeBS's experiment).
    ``size MB`` is the pushed image's size (``-`` when the registry held it already and nothing
    was built). ``merge_archs``: one row for the architectures of a benchmark/language whose cells
    agree but for the size (sizes then ``x64 / arm64``)."""
    rows: list[list[str]] = []
    for r in results:
        row = cells(r)
        previous = rows[-1] if rows else None
        if (merge_archs and previous is not None and previous[:2] == row[:2]
                and previous[3] == row[3] and previous[5:] == row[5:]):
            previous[2] = f"{previous[2]}, {row[2]}"
            previous[4] = f"{previous[4]} / {row[4]}"
        else:
            rows.append(row)
    lines = ["| benchmark | language | arch | builds | size MB | answers | validate_output | input | why not |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sebs", type=Path, help="a SeBS checkout (spcl/serverless-benchmarks)")
    parser.add_argument("--arch", default="x64", help="x64,arm64 (default x64)")
    parser.add_argument("--benchmark", default="", help="comma list (default: all)")
    parser.add_argument("--language", default="python,nodejs")
    parser.add_argument("--size", default="test")
    parser.add_argument("--data", type=Path, default=None,
                        help="SeBS's benchmarks-data (default: the checkout's, when it holds files); "
                             "files absent there get generated stand-ins")
    parser.add_argument("--repetitions", type=int, default=1000,
                        help="020.network-benchmark's datagrams (SeBS's network-ping-pong default)")
    parser.add_argument("--registry", default="127.0.0.1:5000")
    parser.add_argument("--repository", default="sebs-suite")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    parser.add_argument("--build-timeout", type=float, default=3600)
    parser.add_argument("--start-timeout", type=float, default=120)
    parser.add_argument("--call-timeout", type=float, default=600)
    parser.add_argument("--table", type=Path, nargs="*", default=None,
                        help="only print the table of earlier --out files (later ones win)")
    args = parser.parse_args(argv)
    if args.table is not None:
        latest: dict[tuple[str, str, str], dict[str, Any]] = {}
        for path in args.table:  # a later file's row replaces an earlier one for the same image
            for r in json.loads(path.read_text()):
                key = (r["benchmark"], r["language"], r["arch"])
                earlier = latest.get(key, {})
                if r.get("size_mb") is None and earlier.get("image_uri") == r.get("image_uri"):
                    r["size_mb"] = earlier.get("size_mb")  # the registry held it: same image, same size
                latest[key] = r
        ordered = sorted(latest.values(), key=lambda r: (r["benchmark"], r["language"] != "python", r["arch"] != "x64"))
        print(render(ordered, merge_archs=True))
        return 0
    args.sebs = args.sebs.resolve()
    args.data = args.data.resolve() if args.data is not None else default_data(args.sebs)
    if args.data is not None and not args.data.is_dir():
        parser.error(f"--data {args.data}: not a directory")
    wanted = {b for b in args.benchmark.split(",") if b}
    languages = [x for x in args.language.split(",") if x]
    archs = [x for x in args.arch.split(",") if x]

    import logging

    import boto3
    import docker as docker_sdk
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    scratch = Path(tempfile.mkdtemp(prefix="sebs-suite-"))
    systems = overlay_systems(args.sebs, scratch)
    provide_project_root(scratch)
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port)
    moto.start()
    session = dict(endpoint_url=f"http://127.0.0.1:{moto_port}", region_name="us-east-1",
                   aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    s3 = boto3.client("s3", **session)
    dynamo = boto3.client("dynamodb", **session)
    docker = docker_sdk.from_env(timeout=900)
    results: list[dict[str, Any]] = []
    try:
        with prefect_server(scratch / "prefect") as api, region_proxy(moto_port) as nosql_port:
            env = dict(os.environ, PREFECT_API_URL=api, FAASFORGE_HOME=str(scratch / "home"))
            for group, name, path, langs in benchmarks(args.sebs):
                if wanted and name not in wanted:
                    continue
                for language in langs:
                    if language not in languages:
                        continue
                    for arch in archs:
                        row: dict[str, Any] = {"benchmark": name, "language": language, "arch": arch}
                        try:
                            row.update(build(args, env, name, language, arch, systems))
                            if "image_uri" in row:
                                row.update(call(args, docker, s3, dynamo, moto_port, nosql_port, group, name,
                                                Path(path), language, row["image_uri"], scratch))
                        except Exception:  # noqa: BLE001 - the harness itself: keep going
                            row["harness_error"] = traceback.format_exc()[-600:]
                        print(json.dumps(row), flush=True)
                        results.append(row)
    finally:
        moto.stop()
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
