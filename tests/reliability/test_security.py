"""Security: no credential in any output, log, artifact, exception or catalog row; nothing but
the benchmark's code (and faasforge's own wrapper, Dockerfile and CA bundle) enters a build
context; secrets lying in a benchmark never reach an image; benchmark directories are never
changed by a run."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from faasforge.benchmarks import find_benchmark
from faasforge.model import ImageRequest
from faasforge.settings import Settings
from faasforge.staging import plan_context
from tests.reliability.conftest import FINGERPRINTS, SLEEP, Cli, assert_nothing_happened
from tests.reliability.faultproxy import PrivateRegistry

USER = "faasforge-ci"
SECRET_FILES = {
    ".env": "API_TOKEN={t}\n",
    ".env.production": "API_TOKEN={t}\n",
    ".git/config": "[remote \"origin\"]\n\turl = https://x:{t}@example.invalid/repo.git\n",
    ".npmrc": "//registry.example.invalid/:_authToken={t}\n",
    ".ssh/id_ed25519": "-----BEGIN OPENSSH PRIVATE KEY-----\n{t}\n",
    ".aws/credentials": "[default]\naws_secret_access_key = {t}\n",
    ".docker/config.json": '{{"auths": {{"x": {{"auth": "{t}"}}}}}}\n',
    "templates/.env": "NESTED={t}\n",
    "id_rsa": "{t}\n",
}


def forms(user: str, token: str) -> list[bytes]:
    """Every shape a credential could leak in: plain, base64 alone and as a basic-auth pair."""
    return [
        token.encode(),
        base64.b64encode(token.encode()),
        base64.b64encode(f"{user}:{token}".encode()),
        base64.urlsafe_b64encode(f"{user}:{token}".encode()).rstrip(b"="),
    ]


def leaks_in_tree(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path}: {needle[:12]!r}" for needle in needles if needle in data]
    return found


def docker_config_state() -> str | None:
    path = Path.home() / ".docker" / "config.json"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture
def private_registry(tmp_path: Path) -> Iterator[tuple[PrivateRegistry, str]]:
    token = f"ffsecret-{uuid.uuid4().hex}"
    line = subprocess.run(["htpasswd", "-Bbn", USER, token], capture_output=True, text=True, check=True).stdout
    registry = PrivateRegistry(root=tmp_path / "private-registry", htpasswd=line).start()
    yield registry, token
    registry.close()


def plant_secrets(cli: Cli, token: str) -> None:
    code = cli.bench() / "python"
    for rel, text in SECRET_FILES.items():
        path = code / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(t=token))
    (cli.bench() / ".env").write_text(f"BENCHMARK_TOKEN={token}\n")  # next to config.json


@pytest.mark.docker
def test_authenticated_push_leaks_no_credential_anywhere(
    cli: Cli, docker_engine, private_registry: tuple[PrivateRegistry, str], ledger
) -> None:
    registry, token = private_registry
    plant_secrets(cli, f"planted-{token}")  # a different secret: files in the benchmark
    real_docker_config = docker_config_state()
    env = {"FAASFORGE_REGISTRY_USERNAME": USER, "FAASFORGE_REGISTRY_PASSWORD": token}
    result = cli.run("build", "--benchmark", "010.sleep", "--language", "python", "--registry", registry.address,
                     "--json", env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    (record,) = json.loads(result.stdout)
    assert record["rebuilt"] and record["digest"]

    needles = forms(USER, token)
    places = {
        "stdout (--json)": [n for n in needles if n in result.stdout.encode()],
        "stderr": [n for n in needles if n in result.stderr.encode()],
        "FAASFORGE_HOME (catalog, logs)": leaks_in_tree(cli.home, needles),
        "PREFECT_HOME (database, results)": leaks_in_tree(cli.prefect_home, needles),
        "HOME": leaks_in_tree(cli.user_home, needles),
        "image config": [n for n in needles if n in json.dumps(docker_engine.api.inspect_image(record["image_uri"])).encode()],
    }
    with sqlite3.connect(cli.prefect_home / "prefect.db") as db:
        artifacts = db.execute("SELECT key, data, description FROM artifact").fetchall()
        logs = db.execute("SELECT message FROM log").fetchall()
    assert artifacts and logs  # there is something to look at: the images table, the run logs
    places["Prefect artifacts"] = [n for n in needles if any(n in json.dumps(a).encode() for a in artifacts)]
    places["Prefect run logs"] = [n for n in needles if any(n in m[0].encode() for m in logs)]
    assert (cli.home / "catalog.sqlite").exists() and list((cli.home / "logs").glob("*.log"))
    leaked = {where: hits for where, hits in places.items() if hits}
    assert not leaked, leaked
    assert not (cli.user_home / ".docker").exists()  # no `docker login`, no config written
    assert docker_config_state() == real_docker_config

    # Secrets lying in the benchmark never reach the image.
    planted = forms(USER, f"planted-{token}")[:1]
    assert len(leaks_in_tree(cli.benchmarks, planted)) == len(SECRET_FILES) + 1  # the search does find them
    container = docker_engine.containers.create(record["image_uri"])
    try:
        names: list[str] = []
        image_hits = 0
        for root in ("/function", "/opt/deps"):
            stream, _ = container.get_archive(root)
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                for member in tar.getmembers():
                    names.append(member.name)
                    handle = tar.extractfile(member) if member.isfile() else None
                    if handle is not None and planted[0] in handle.read():
                        image_hits += 1
    finally:
        container.remove(force=True)
    basenames = {Path(n).name for n in names}
    assert not basenames & {".env", ".env.production", ".git", ".npmrc", ".ssh", ".aws", ".docker", "id_rsa",
                            "id_ed25519", "config"}, sorted(basenames)
    assert image_hits == 0
    assert {"function.py", "handler.py", "storage.py"} <= basenames
    ledger.add("Security", "credentials of an authenticated push",
               done="push to a private registry with htpasswd basic auth, credentials from "
               "FAASFORGE_REGISTRY_USERNAME/_PASSWORD, `--json`; the password (plain, base64, base64 of user:password) "
               f"searched in: {', '.join(places)}",
               happened=f"exit 0; {sum(len(h) for h in places.values())} hits in {len(places)} places "
               f"({len(artifacts)} artifacts, {len(logs)} run-log rows read); ~/.docker/config.json not created",
               leaked=sum(len(h) for h in places.values()))
    ledger.add("Security", "secrets lying in a benchmark",
               done=f"{len(SECRET_FILES) + 1} secret files planted (.env, .env.*, .git/, .npmrc, .ssh/, .aws/, .docker/, "
               "id_rsa, a nested .env)",
               happened=f"none of them in the image: {len(names)} entries under /function and /opt/deps checked "
               "by name and content", leaked=image_hits)


@pytest.mark.docker
def test_rejected_credentials_leak_nothing(
    cli: Cli, docker_engine, private_registry: tuple[PrivateRegistry, str], ledger
) -> None:
    registry, _ = private_registry
    wrong = f"wrong-{uuid.uuid4().hex}"
    env = {"FAASFORGE_REGISTRY_USERNAME": USER, "FAASFORGE_REGISTRY_PASSWORD": wrong}
    result = cli.run("build", "--benchmark", "010.sleep", "--language", "python", "--registry", registry.address,
                     "--json", env=env)
    assert result.returncode == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.lines) == 1 and "rejected the credentials (HTTP 401)" in result.lines[0], result.stderr
    needles = forms(USER, wrong)
    hits = [n for n in needles if n in result.stderr.encode()]
    hits += leaks_in_tree(cli.home, needles) + leaks_in_tree(cli.prefect_home, needles)
    assert hits == []
    assert_nothing_happened(cli)
    ledger.add("Security", "rejected credentials",
               done="the same push with a wrong password", happened=f"{result.summary()}; password in 0 places "
               "(stderr, exception in the log file, Prefect database)", leaked=len(hits))


def test_nothing_outside_the_benchmark_enters_a_context(tmp_path: Path, ledger) -> None:
    """Every file of a planned context comes from the benchmark, faasforge's wrappers or
    Dockerfile templates, or is the CA bundle; credential files never do."""
    import shutil

    from tests.reliability.conftest import SAMPLES

    benchmarks = tmp_path / "benchmarks"
    shutil.copytree(SAMPLES, benchmarks)
    code = benchmarks / SLEEP / "python"
    for rel, text in SECRET_FILES.items():
        (code / rel).parent.mkdir(parents=True, exist_ok=True)
        (code / rel).write_text(text.format(t="x"))
    (code / "shared.txt").symlink_to("../config.json")  # inside the benchmark: allowed
    settings = Settings(benchmarks_dir=benchmarks)
    bench = find_benchmark(benchmarks, "010.sleep")
    allowed_roots = [bench.path.resolve(), settings.wrappers_dir.resolve(), settings.dockerfiles_dir.resolve()]
    checked = 0
    for language, version in (("python", "3.11"), ("nodejs", "18")):
        plan = plan_context(ImageRequest("local", "010.sleep", language, version, "x64"), bench, settings,
                            base_image="b", builder_image="b")
        for entry in plan.entries:
            checked += 1
            parts = set(Path(entry.relpath).parts)
            assert not parts & {".env", ".env.production", ".git", ".npmrc", ".ssh", ".aws", ".docker", "id_rsa"}
            if entry.source is None or entry.relpath == ".faasforge/ca-bundle.crt":
                continue
            source = entry.source.resolve()
            assert any(source.is_relative_to(root) for root in allowed_roots), entry
    ledger.add("Security", "what enters a build context",
               done="planned contexts of 010.sleep (python, nodejs) with 9 credential files and an inside symlink added",
               happened=f"{checked} entries: each from the benchmark, faasforge's wrappers/templates or the CA "
               "bundle; no credential file")


def test_benchmark_directories_were_never_changed(ledger) -> None:
    """Runs last (file order): every CLI run of this suite hashed the benchmark tree before and after."""
    assert FINGERPRINTS["changed"] == 0
    ledger.add("Security", "benchmark directories byte-identical",
               done="every `python -m faasforge` run of this suite: the benchmark copy's tree hashed before and after "
               "(content, mode, mtime of every file)",
               happened=f"{FINGERPRINTS['checked']} runs, {FINGERPRINTS['changed']} changed")
