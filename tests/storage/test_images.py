"""The storage and nosql samples' ``local`` x64 images, built by faasforge with its own helpers
and their SDKs (config/systems.json deployment sections), answer calls against moto's S3 and
DynamoDB server on 127.0.0.1: the thumbnail lands in the bucket, the to-do list answers right,
and each sample's own validate_output accepts the reply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from faasforge.ports import free_port
from tests.storage.support import THUMBNAIL, TODO_LIST, SeBSInput

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SAMPLES = ("215.thumbnail", "140.todo-list")


@pytest.fixture(scope="module")
def sample_images(local_registry: str, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """(benchmark, language) → image URI, from one ``faasforge build`` of both samples, both languages."""
    home = tmp_path_factory.mktemp("faasforge-home")
    repository = f"faasforge-test-storage-{os.getpid()}"
    # The CLI starts a Prefect server of its own: give it time on a busy 2-core machine.
    env = dict(os.environ, FAASFORGE_HOME=str(home), FAASFORGE_STAGING_DIR=str(home / "staging"),
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180")
    done = subprocess.run(
        [sys.executable, "-m", "faasforge", "build", "--benchmark", ",".join(SAMPLES), "--platform", "local",
         "--arch", "x64", "--registry", local_registry, "--repository", repository, "--json", "--concurrency", "1"],
        capture_output=True, text=True, env=env, timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    records = json.loads(done.stdout)
    images = {(r["benchmark"], r["language"]): r["image_uri"] for r in records}
    assert set(images) == {(b, lang) for b in SAMPLES for lang in ("python", "nodejs")}, images
    return images


def call(docker_engine, image: str, env: dict[str, str], event: dict) -> dict:
    port = free_port()
    container = docker_engine.containers.run(
        image, detach=True, network_mode="host", environment=env | {"PORT": str(port)}
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = requests.post(f"http://127.0.0.1:{port}/", json=event, timeout=60)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError(container.logs()[-3000:].decode(errors="replace")) from None
                time.sleep(0.3)
        assert reply.status_code == 200, (reply.text, container.logs()[-3000:].decode(errors="replace"))
        return reply.json()["result"]["output"]
    finally:
        container.remove(force=True)


def _output(docker_engine, image: str, command: list[str]) -> str:
    """What ``command`` prints in a throw-away container of ``image``."""
    return docker_engine.containers.run(image, command, remove=True, network_mode="host").decode().strip()


@pytest.mark.parametrize("language", ["python", "nodejs"])
def test_thumbnail_image_writes_the_thumbnail_to_the_bucket(
    language: str, sample_images, docker_engine, moto_storage
) -> None:
    prepared = SeBSInput(THUMBNAIL, "small", moto_storage)
    assert moto_storage.keys(prepared.bucket, prepared.output_paths[0]) == []
    output = call(docker_engine, sample_images[("215.thumbnail", language)], moto_storage.env_local(), prepared.config)
    assert moto_storage.keys(prepared.bucket, prepared.output_paths[0]) == [output["result"]["key"]]
    assert prepared.validate(output, language) is None


@pytest.mark.parametrize("language", ["python", "nodejs"])
def test_todo_list_image_answers_from_dynamodb(language: str, sample_images, docker_engine, moto_storage) -> None:
    prepared = SeBSInput(TODO_LIST, "large", moto_storage)
    env = moto_storage.env_local(prepared.tables)
    output = call(docker_engine, sample_images[("140.todo-list", language)], env, prepared.config)
    assert prepared.validate(output, language) is None
    # The writes reached the table: 3 seeded + 5 added - 1 removed.
    assert moto_storage.client("dynamodb").scan(TableName=prepared.tables["todos"])["Count"] == 7


# (python SDK present, python SDK absent, node SDK present, node SDK absent). A module brings its
# SDK; the nosql SDKs (aws-sdk v2 alone is ~100 MB) stay out of a storage-only image. (The MinIO
# client goes into every local image that ships storage.py, as SeBS's local run image has it.)
SDKS = {"215.thumbnail": ("minio", "boto3", "minio", "aws-sdk"), "140.todo-list": ("boto3", None, "aws-sdk", None)}


@pytest.mark.parametrize("sample", SAMPLES)
def test_images_hold_the_helpers_and_their_module_sdks(sample: str, sample_images, docker_engine) -> None:
    py_wanted, py_unwanted, js_wanted, js_unwanted = SDKS[sample]
    script = (
        "import importlib.util, os, sys;"
        "print(sorted(f for f in os.listdir('/function/function') if f.endswith('.py')),"
        f" importlib.util.find_spec('{py_wanted}') is not None, importlib.util.find_spec('{py_unwanted or 'absent'}') is not None)"
    )
    python = _output(docker_engine, sample_images[(sample, "python")], ["python3", "-c", script])
    assert python == ("['__init__.py', 'dynamodb.py', 'function.py', 'helper_base.py', 'nosql.py', 'storage.py',"
                      " 'storage_base.py'] True False"), python  # the helpers and their shared bases
    script = (
        "const fs = require('fs');"
        "const has = (m) => { try { require.resolve(m, {paths: ['/function/function']}); return true; } catch (e) { return false; } };"
        f"console.log(fs.readdirSync('/function/function').sort().join(','), has('{js_wanted}'), has('{js_unwanted or 'absent'}'));"
    )
    node = _output(docker_engine, sample_images[(sample, "nodejs")], ["node", "-e", script])
    assert node.endswith(" true false") and "nosql.js" in node and "storage.js" in node, node
