"""What the runtime-contract tests check of a reply, shared by tests/runtime/test_*.py: SeBS's
record fields per platform and language, where the record and the function's return sit in a
reply, and the Azure handler called inside its image with the azure-functions request type (no
Functions host here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from faasforge.invoke import Invocation

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


def function_output(platform: str, record: Mapping[str, Any]) -> Any:
    """The function's return as the record carries it: local's server nests it under ``output``
    (openwhisk Python keeps only its ``result``, which is what SeBS's output checks read)."""
    return record["result"]["output"] if platform == "local" else record["result"]


def field_types(record: dict[str, Any]) -> dict[str, str]:
    return {key: type(value).__name__ for key, value in record.items()}


def assert_record(platform: str, language: str, record: Mapping[str, Any]) -> None:
    """One record has SeBS's fields for the platform and language, a request id and sane times."""
    assert set(record) == SHAPES[(platform, language)], record
    assert isinstance(record["request_id"], str) and record["request_id"]
    assert float(record["end"]) >= float(record["begin"]) > 1.7e9


def contract_records(platform: str, language: str, invocation: Invocation) -> list[dict[str, Any]]:
    """Every call answered with a record in SeBS's shape: the first cold, the rest warm, each its
    own request id."""
    assert invocation.ok, [(c.status, c.reply) for c in invocation.calls]
    assert (invocation.platform, invocation.language) == (platform, language)
    records = [record_of(platform, language, call.reply) for call in invocation.calls]
    for record in records:
        assert_record(platform, language, record)
    assert [r["is_cold"] for r in records] == [True] + [False] * (len(records) - 1)
    assert len({r["request_id"] for r in records}) == len(records)
    return records


# ---------------------------------------------------------------------------- azure, in the image
# The event arrives as the script's first argument; CALLS is replaced by the number of calls.
AZURE_PY = r'''
import importlib, json, sys, types, uuid
EVENT = json.loads(sys.argv[1])
root = "/home/site/wwwroot"
sys.path.insert(0, root + "/.python_packages/lib/site-packages")  # where the Python worker looks
app = types.ModuleType("__app__"); app.__path__ = [root]; sys.modules["__app__"] = app
spec = json.load(open(root + "/handler/function.json"))
module = importlib.import_module("__app__.handler." + spec["scriptFile"][:-3])
import azure.functions as func
out = []
for _ in range(CALLS):
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
const EVENT = JSON.parse(process.argv[1]);
const root = '/home/site/wwwroot';
const spec = require(root + '/handler/function.json');
const fn = require(root + '/handler/' + spec.scriptFile);
(async () => {
  const out = [];
  for (let i = 0; i < CALLS; i += 1) {
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


def run_in_image(docker_engine: Any, image: str, argv: list[str], env: Mapping[str, str] | None = None) -> str:
    """The last line ``argv`` prints in a throw-away container of ``image``: no network, or the
    host's (to reach a server on 127.0.0.1) when ``env`` points it at one."""
    raw = docker_engine.containers.run(image, argv, entrypoint=[], remove=True,
                                       network_mode="host" if env else "none", environment=dict(env or {}))
    return bytes(raw).decode().strip().splitlines()[-1]


def azure_records(docker_engine: Any, image: str, language: str, event: Mapping[str, Any], calls: int = 2,
                  env: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Call the image's handler ``calls`` times as the Functions host would (Python: an
    ``azure.functions.HttpRequest``; Node.js: the v3 worker's context and request) and return the
    records it answers; the answer must be an HTTP response with a JSON body."""
    payload = json.dumps(event)
    if language == "python":
        script = AZURE_PY.replace("CALLS", str(calls))
        out = json.loads(run_in_image(docker_engine, image, ["python3", "-c", script, payload], env))
        assert [(o["status"], o["mimetype"]) for o in out] == [(200, "application/json")] * calls
        return [o["body"] for o in out]
    script = AZURE_JS.replace("CALLS", str(calls))
    out = json.loads(run_in_image(docker_engine, image, ["node", "-e", script, payload], env))
    for o in out:  # the answer is the returned value ($return), not context.res
        assert o["contextRes"] is None
        assert o["returned"]["headers"] == {"Content-Type": "application/json"}
    return [o["returned"]["body"] for o in out]
