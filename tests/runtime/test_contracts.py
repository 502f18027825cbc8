"""Every platform's image answers under that platform's own runtime contract, through
`faasforge invoke`, with SeBS's reply shapes, for faasforge's wrappers and for wrappers in SeBS's
shape alike: aws through the project's Lambda Runtime API and the real runtime interface client
in the image; gcp through functions-framework on $PORT; openwhisk /init + /run; local over HTTP;
azure: the Functions host layout, and the handler called with azure-functions' HttpRequest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from faasforge.invoke import Invocation, invoke_image
from tests.conftest import SAMPLES
from tests.runtime.conftest import Builder
from tests.runtime.contract import SHAPES, azure_records, contract_records, field_types, function_output, run_in_image

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LANGUAGES = ("python", "nodejs")
INVOCABLE = ("local", "aws", "gcp", "openwhisk")
MINIO = {
    "MINIO_STORAGE_CONNECTION_URL": "127.0.0.1:9000",
    "MINIO_STORAGE_ACCESS_KEY": "minio-access",
    "MINIO_STORAGE_SECRET_KEY": "minio-secret",
}
SLEEP_EVENT: dict[str, Any] = {"sleep": 0, **MINIO}  # SeBS's openwhisk wrapper requires the MINIO parameters


def assert_contract(platform: str, language: str, invocation: Invocation) -> list[dict[str, Any]]:
    records = contract_records(platform, language, invocation)
    for record in records:
        assert function_output(platform, record) == {"result": 0}  # 010.sleep's return
    return records


def assert_no_invoke_container(docker_engine: Any) -> None:
    assert docker_engine.containers.list(all=True, filters={"label": f"org.faasforge.invoke.pid={os.getpid()}"}) == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("platform", INVOCABLE)
def test_own_wrapper_answers_under_its_platform_contract(
    platform: str, language: str, build_function: Builder, docker_engine: Any
) -> None:
    image = build_function(platform, language)
    invocation = invoke_image(image, SLEEP_EVENT, calls=2, timeout=90)
    records = assert_contract(platform, language, invocation)
    if platform in ("aws", "gcp") and language == "python" or platform == "local":
        assert records[0]["container_id"] == records[1]["container_id"]
    assert_no_invoke_container(docker_engine)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("platform", ("aws", "gcp", "openwhisk"))
def test_sebs_shaped_wrapper_answers_with_the_same_shape(
    platform: str, language: str, build_function: Builder, sebs_benchmarks: Path, docker_engine: Any
) -> None:
    own = assert_contract(platform, language, invoke_image(build_function(platform, language), SLEEP_EVENT, timeout=90))
    image = build_function(platform, language, benchmarks_dir=sebs_benchmarks)
    theirs = assert_contract(platform, language, invoke_image(image, SLEEP_EVENT, timeout=90))
    assert field_types(theirs[0]) == field_types(own[0])
    assert theirs[0]["result"] == own[0]["result"]
    if platform == "openwhisk":  # SeBS's action is baked in beside the runtime, and is what runs
        action = "/function/__main__.py" if language == "python" else "/function/index.js"
        docker_engine.containers.run(image, ["test", "-f", action], entrypoint=[], remove=True, network_mode="none")
        if language == "python":  # SeBS's __main__.py needs the MINIO parameters (KeyError); faasforge's not
            without = {"sleep": 0}
            assert invoke_image(image, without, timeout=90).calls[0].status == "502"
            assert invoke_image(build_function(platform, language), without, timeout=90).ok


@pytest.mark.parametrize("language", LANGUAGES)
def test_openwhisk_moves_storage_parameters_into_the_environment(
    language: str, build_function: Builder, echo_benchmarks: Path
) -> None:
    image = build_function("openwhisk", language, benchmark="090.echo", benchmarks_dir=echo_benchmarks)
    event = {"x": 1, **MINIO, "NOSQL_STORAGE_TABLE_x": "table-1"}
    invocation = invoke_image(image, event, timeout=90)
    assert invocation.ok
    seen = invocation.calls[0].reply["result"]
    inner = seen["result"]  # python: {"result": <return["result"]>}; nodejs: the whole return
    assert inner["event"] == ["income-timestamp", "request-id", "x"]
    assert inner["env"] == {
        "MINIO_STORAGE_CONNECTION_URL": "127.0.0.1:9000", "MINIO_STORAGE_ACCESS_KEY": "minio-access",
        "NOSQL_STORAGE_TABLE_x": "table-1",
    }
    assert inner["request_id"] == invocation.calls[0].reply["request_id"]  # the activation id


# ---------------------------------------------------------------------------- azure
def _azure_layout(docker_engine: Any, image: str, language: str) -> dict[str, Any]:
    script = (
        "import json, os; r='/home/site/wwwroot'; "
        "print(json.dumps({'host': json.load(open(r+'/host.json')), 'function': json.load(open(r+'/handler/function.json')),"
        " 'files': sorted(os.listdir(r+'/handler')), 'top': sorted(os.listdir(r))}))"
    )
    if language == "python":
        return json.loads(run_in_image(docker_engine, image, ["python3", "-c", script]))
    js = (
        "const fs=require('fs');const r='/home/site/wwwroot';console.log(JSON.stringify({host:JSON.parse(fs.readFileSync(r+'/host.json')),"
        "function:JSON.parse(fs.readFileSync(r+'/handler/function.json')),files:fs.readdirSync(r+'/handler').sort(),top:fs.readdirSync(r).sort()}))"
    )
    return json.loads(run_in_image(docker_engine, image, ["node", "-e", js]))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("wrappers", ("own", "sebs"))
def test_azure_layout_and_handler_called_with_the_request_type(
    language: str, wrappers: str, build_function: Builder, docker_engine: Any, sebs_benchmarks: Path
) -> None:
    image = build_function("azure", language, benchmarks_dir=SAMPLES if wrappers == "own" else sebs_benchmarks)
    layout = _azure_layout(docker_engine, image, language)
    assert layout["host"]["version"] == "2.0"
    assert layout["host"]["extensionBundle"]["id"] == "Microsoft.Azure.Functions.ExtensionBundle"
    outputs = [b for b in layout["function"]["bindings"] if b["direction"] == "out"]
    assert outputs == [{"type": "http", "direction": "out", "name": "$return"}]
    trigger = [b for b in layout["function"]["bindings"] if b["direction"] == "in"]
    assert trigger[0]["type"] == "httpTrigger" and trigger[0]["authLevel"] == "anonymous"
    script = layout["function"]["scriptFile"]
    assert script in layout["files"] and ("function.py" if language == "python" else "function.js") in layout["files"]
    assert (".python_packages" if language == "python" else "node_modules") in layout["top"]
    records = azure_records(docker_engine, image, language, {"sleep": 0})
    for record in records:
        assert set(record) == SHAPES[("azure", language)]
        assert record["result"] == {"result": 0}
    assert [r["is_cold"] for r in records] == [True, False]


def test_aws_arm64_image_answers_through_the_runtime_api_under_emulation(
    build_function: Builder, docker_engine: Any
) -> None:
    """Lambda takes arm64 images: the arm64 stand-in's runtime client, run under QEMU, answers the
    same Runtime API."""
    import subprocess

    from tests.runtime.conftest import STANDINS

    subprocess.run([str(STANDINS), "up", "aws-python-arm64"], check=True, capture_output=True, timeout=1800)
    image = build_function("aws", "python", architecture="arm64")
    assert docker_engine.api.inspect_image(image)["Architecture"] == "arm64"
    assert_contract("aws", "python", invoke_image(image, SLEEP_EVENT, calls=2, timeout=180))
