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

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LANGUAGES = ("python", "nodejs")
INVOCABLE = ("local", "aws", "gcp", "openwhisk")
MINIO = {
    "MINIO_STORAGE_CONNECTION_URL": "127.0.0.1:9000",
    "MINIO_STORAGE_ACCESS_KEY": "minio-access",
    "MINIO_STORAGE_SECRET_KEY": "minio-secret",
}
SLEEP_EVENT: dict[str, Any] = {"sleep": 0, **MINIO}  # SeBS's openwhisk wrapper requires the MINIO parameters
PY_RECORD = {"begin", "end", "results_time", "is_cold", "result", "request_id", "cold_start_var", "container_id"}
NODE_RECORD = {"begin", "end", "compute_time", "results_time", "result", "is_cold", "request_id"}
SHAPES = {  # SeBS's wrappers' fields, per platform and language
    ("aws", "python"): PY_RECORD,
    ("aws", "nodejs"): NODE_RECORD,
    ("gcp", "python"): PY_RECORD,
    ("gcp", "nodejs"): NODE_RECORD,
    ("openwhisk", "python"): {"begin", "end", "request_id", "results_time", "is_cold", "result"},
    ("openwhisk", "nodejs"): NODE_RECORD,
    ("azure", "python"): {"begin", "end", "results_time", "result", "is_cold", "is_cold_worker", "container_id",
                          "environ_container_id", "request_id"},
    ("azure", "nodejs"): NODE_RECORD,
    ("local", "python"): {"begin", "end", "compute_time", "results_time", "request_id", "is_cold", "container_id",
                          "result"},
    ("local", "nodejs"): {"begin", "end", "compute_time", "results_time", "request_id", "is_cold", "container_id",
                          "result"},
}
SLEEP_RESULT = {  # what the record's "result" holds for 010.sleep's return {"result": 0}
    "local": {"output": {"result": 0}},
}


def record_of(platform: str, language: str, reply: Any) -> dict[str, Any]:
    """The measurement record inside a reply: Lambda's is in ``body`` (a JSON string for Python,
    an object for Node.js on a direct invoke, as SeBS's handlers answer)."""
    if platform == "aws":
        assert reply["statusCode"] == 200
        body = reply["body"]
        assert isinstance(body, str if language == "python" else dict)
        return json.loads(body) if isinstance(body, str) else body
    assert isinstance(reply, dict)
    return reply


def field_types(record: dict[str, Any]) -> dict[str, str]:
    return {key: type(value).__name__ for key, value in record.items()}


def assert_contract(platform: str, language: str, invocation: Invocation) -> list[dict[str, Any]]:
    assert invocation.ok, [(c.status, c.reply) for c in invocation.calls]
    assert (invocation.platform, invocation.language) == (platform, language)
    records = [record_of(platform, language, call.reply) for call in invocation.calls]
    for record in records:
        assert set(record) == SHAPES[(platform, language)]
        assert record["result"] == SLEEP_RESULT.get(platform, {"result": 0})
        assert isinstance(record["request_id"], str) and record["request_id"]
        assert float(record["end"]) >= float(record["begin"]) > 1.7e9
    assert [r["is_cold"] for r in records] == [True] + [False] * (len(records) - 1)
    assert len({r["request_id"] for r in records}) == len(records)
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
AZURE_PY = r'''
import importlib, json, sys, types, uuid
root = "/home/site/wwwroot"
sys.path.insert(0, root + "/.python_packages/lib/site-packages")  # where the Python worker looks
app = types.ModuleType("__app__"); app.__path__ = [root]; sys.modules["__app__"] = app
spec = json.load(open(root + "/handler/function.json"))
module = importlib.import_module("__app__.handler." + spec["scriptFile"][:-3])
import azure.functions as func
out = []
for _ in range(2):
    req = func.HttpRequest("POST", "http://localhost/api/handler", headers={"Content-Type": "application/json"},
                           body=json.dumps(EVENT).encode())
    context = types.SimpleNamespace(invocation_id=str(uuid.uuid4()), function_name="handler",
                                    function_directory=root + "/handler")
    response = getattr(module, spec.get("entryPoint", "main"))(req, context)
    assert isinstance(response, func.HttpResponse), type(response)
    out.append({"status": response.status_code, "mimetype": response.mimetype,
                "body": json.loads(response.get_body())})
print(json.dumps(out))
'''
AZURE_JS = r'''
const crypto = require('crypto');
const root = '/home/site/wwwroot';
const spec = require(root + '/handler/function.json');
const fn = require(root + '/handler/' + spec.scriptFile);
(async () => {
  const out = [];
  for (let i = 0; i < 2; i += 1) {
    const body = JSON.stringify(EVENT);  // the v3 worker parses a JSON body for the handler
    const req = { method: 'POST', url: 'http://localhost/api/handler', headers: { 'content-type': 'application/json' },
      body: JSON.parse(body), rawBody: body, query: {}, params: {} };
    const context = { invocationId: crypto.randomUUID(), bindings: { req }, bindingData: {}, log: console.log, res: undefined };
    const returned = await fn(context, req);
    out.push({ returned, contextRes: context.res === undefined ? null : context.res });
  }
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
'''


def _run_in_image(docker_engine: Any, image: str, argv: list[str]) -> str:
    raw = docker_engine.containers.run(image, argv, entrypoint=[], remove=True, network_mode="none")
    return bytes(raw).decode().strip().splitlines()[-1]


def _azure_layout(docker_engine: Any, image: str, language: str) -> dict[str, Any]:
    script = (
        "import json, os; r='/home/site/wwwroot'; "
        "print(json.dumps({'host': json.load(open(r+'/host.json')), 'function': json.load(open(r+'/handler/function.json')),"
        " 'files': sorted(os.listdir(r+'/handler')), 'top': sorted(os.listdir(r))}))"
    )
    if language == "python":
        return json.loads(_run_in_image(docker_engine, image, ["python3", "-c", script]))
    js = (
        "const fs=require('fs');const r='/home/site/wwwroot';console.log(JSON.stringify({host:JSON.parse(fs.readFileSync(r+'/host.json')),"
        "function:JSON.parse(fs.readFileSync(r+'/handler/function.json')),files:fs.readdirSync(r+'/handler').sort(),top:fs.readdirSync(r).sort()}))"
    )
    return json.loads(_run_in_image(docker_engine, image, ["node", "-e", js]))


def _azure_records(docker_engine: Any, image: str, language: str) -> list[dict[str, Any]]:
    event = json.dumps({"sleep": 0})
    if language == "python":
        out = json.loads(_run_in_image(docker_engine, image, ["python3", "-c", AZURE_PY.replace("EVENT", event)]))
        assert [(o["status"], o["mimetype"]) for o in out] == [(200, "application/json")] * 2
        return [o["body"] for o in out]
    out = json.loads(_run_in_image(docker_engine, image, ["node", "-e", AZURE_JS.replace("EVENT", event)]))
    for o in out:  # the answer is the returned value ($return), not context.res
        assert o["contextRes"] is None
        assert o["returned"]["headers"] == {"Content-Type": "application/json"}
    return [o["returned"]["body"] for o in out]


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
    records = _azure_records(docker_engine, image, language)
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
