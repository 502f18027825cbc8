"""`faasforge invoke` on the command line: replies and timings, --env, bad input (one line, exit 2,
nothing run), an image that does not answer (exit 1 with its log tail); and `build --smoke`, which
marks an image that does not answer as failed in its record and the table artifact."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from faasforge.cli import main
from faasforge.invoke import invoke_image
from tests.runtime.conftest import Builder

pytestmark = [pytest.mark.docker]


def invoke_containers(docker_engine: Any) -> list[Any]:
    return list(docker_engine.containers.list(all=True, filters={"label": f"org.faasforge.invoke.pid={os.getpid()}"}))


@pytest.mark.slow
def test_prints_each_reply_with_its_timings_and_passes_env(
    build_function: Builder, echo_benchmarks: Path, docker_engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    image = build_function("local", "python", benchmark="090.echo", benchmarks_dir=echo_benchmarks)
    code = main(["invoke", image, "--event", '{"x": 1}', "--calls", "2", "--env", "NOSQL_STORAGE_TABLE_x=t-1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("call 1 (cold): 200 in ") and lines[0].endswith(" s")
    second = next(i for i, line in enumerate(lines) if line.startswith("call 2 (warm): 200 in "))
    first_reply = json.loads("\n".join(lines[1:second]))
    assert first_reply["is_cold"] is True
    assert first_reply["result"]["output"]["result"]["env"]["NOSQL_STORAGE_TABLE_x"] == "t-1"
    assert json.loads("\n".join(lines[second + 1:]))["is_cold"] is False
    assert err.startswith("local python image ready after ")
    assert invoke_containers(docker_engine) == []


@pytest.mark.slow
def test_json_output_and_event_from_a_file(
    build_function: Builder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = build_function("openwhisk", "python")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"sleep": 0}))
    assert main(["invoke", image, "--event", f"@{event}", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True and result["platform"] == "openwhisk" and result["ready_seconds"] > 0
    assert [c["status"] for c in result["calls"]] == ["200"]
    assert result["calls"][0]["reply"]["result"] == {"result": 0}


def _one_line_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_unknown_image_is_one_line_exit_2(docker_engine: Any, capsys: pytest.CaptureFixture[str]) -> None:
    err = _one_line_exit_2(["invoke", "faasforge-test/no-such-image:never-built"], capsys)
    assert err.startswith("faasforge: error: unknown image 'faasforge-test/no-such-image:never-built'")
    assert invoke_containers(docker_engine) == []


@pytest.mark.parametrize(("event", "expected"), [
    ('{"sleep": ', "--event is not valid JSON (Expecting value at line 1 column 11)"),
    ("[1, 2]", "--event must be a JSON object, not list"),
    ("@/nonexistent/event.json", "cannot read event file '/nonexistent/event.json'"),
])
def test_malformed_event_is_one_line_exit_2_and_runs_nothing(
    event: str, expected: str, docker_engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # the image need not exist: the event is checked before the engine is asked anything
    err = _one_line_exit_2(["invoke", "faasforge-test/any:tag", "--event", event], capsys)
    assert err.startswith(f"faasforge: error: {expected}")
    assert invoke_containers(docker_engine) == []


def test_bad_env_and_calls_are_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    err = _one_line_exit_2(["invoke", "faasforge-test/any:tag", "--env", "NOEQUALS"], capsys)
    assert "--env 'NOEQUALS' is not KEY=VALUE" in err
    err = _one_line_exit_2(["invoke", "faasforge-test/any:tag", "--calls", "0"], capsys)
    assert "unknown number of calls 0; allowed: a whole number of at least 1" in err


@pytest.mark.slow
def test_azure_without_a_functions_host_cannot_be_invoked_here(
    build_function: Builder, docker_engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    image = build_function("azure", "python")
    err = _one_line_exit_2(["invoke", image], capsys)
    assert err == (
        f"faasforge: error: image {image!r} cannot be invoked here: it has no Azure Functions host "
        "(/azure-functions-host); allowed: an image built FROM mcr.microsoft.com/azure-functions/* (the default "
        "base images)"
    )
    assert invoke_containers(docker_engine) == []


def test_image_without_platform_label_needs_platform(docker_engine: Any, capsys: pytest.CaptureFixture[str]) -> None:
    err = _one_line_exit_2(["invoke", "faasforge/base-python:3.11-x64"], capsys)
    assert err == (
        "faasforge: error: image 'faasforge/base-python:3.11-x64' has no org.faasforge.platform label; pass "
        "--platform (allowed: local, aws, gcp, azure, openwhisk)"
    )
    err = _one_line_exit_2(["invoke", "faasforge/base-python:3.11-x64", "--platform", "heroku"], capsys)
    assert "unknown platform 'heroku'; allowed: aws, azure, gcp, local, openwhisk" in err


@pytest.mark.slow
def test_image_that_does_not_answer_is_exit_1_with_its_log_tail(
    build_function: Builder, broken_benchmarks: Path, docker_engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    image = build_function("local", "python", benchmark="091.broken", benchmarks_dir=broken_benchmarks)
    assert main(["invoke", image, "--timeout", "30"]) == 1
    out, err = capsys.readouterr()
    first, *rest = err.strip().splitlines()
    assert first.startswith(f"faasforge: error: image {image} did not answer: the container exited before it "
                            "listened on port ")
    assert rest == ["  last lines of the container's log:", "    cannot start: FAASFORGE_TEST_SETTING is not set"]
    assert invoke_containers(docker_engine) == []


@pytest.mark.slow
def test_aws_init_error_is_reported_with_the_runtime_log(
    build_function: Builder, docker_engine: Any, tmp_path: Path
) -> None:
    """A Lambda image whose handler cannot load: the runtime client reports init/error to the
    project's Runtime API; invoke names it, with the container's log."""
    from faasforge.errors import InvokeFailed

    image = build_function("aws", "python")
    broken = docker_engine.containers.create(image, entrypoint=[], command=["true"])
    try:
        committed = broken.commit("faasforge-test/runtime-aws-python-badcmd", "latest",
                                  changes=['ENTRYPOINT ["python3", "-m", "awslambdaric"]', 'CMD ["nosuchmodule.handler"]'])
    finally:
        broken.remove(force=True)
    try:
        with pytest.raises(InvokeFailed) as caught:
            invoke_image("faasforge-test/runtime-aws-python-badcmd:latest", {}, timeout=60)
        assert "the runtime reported an init error" in caught.value.reason
        assert "Unable to import module 'nosuchmodule'" in caught.value.reason
    finally:
        docker_engine.images.remove(committed.id, force=True)
    assert invoke_containers(docker_engine) == []


@pytest.mark.slow
def test_a_function_error_is_reported_and_exits_1(
    build_function: Builder, capsys: pytest.CaptureFixture[str]
) -> None:
    image = build_function("aws", "python")
    assert main(["invoke", image, "--event", '{"sleep": -1}']) == 1
    out, err = capsys.readouterr()
    assert out.startswith("call 1 (cold): error in ")
    reply = json.loads(out.split("\n", 1)[1])
    assert reply["errorType"] == "ValueError" and "must not be negative" in reply["errorMessage"]
    assert err.strip().splitlines()[-1] == "faasforge: error: 1 of 1 calls failed (first: call 1 answered error)"


OW_ACTION_PY = "def main(args):\n    return {'from': 'init code', 'args': sorted(args)}\n"
OW_ACTION_JS = "exports.main = async (args) => ({ from: 'init code', args: Object.keys(args).sort() });\n"


@pytest.mark.slow
@pytest.mark.parametrize("language", ("python", "nodejs"))
def test_openwhisk_init_loads_the_code_it_is_given_once(
    language: str, build_function: Builder, docker_engine: Any
) -> None:
    """What OpenWhisk does with `wsk action create --docker IMAGE code.zip` (SeBS's way): /init
    carries a base64 zip with the action; the runtime runs that code, and refuses a second /init."""
    import base64
    import io
    import time
    import zipfile

    import requests

    from faasforge.ports import free_port

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if language == "python":
            archive.writestr("__main__.py", OW_ACTION_PY)
        else:
            archive.writestr("index.js", OW_ACTION_JS)
    port = free_port()
    container = docker_engine.containers.run(
        build_function("openwhisk", language), detach=True, network_mode="host", environment={"PORT": str(port)}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        run = requests.post(f"{base}/run", json={"value": {}}, timeout=5) if _wait(base, time) else None
        assert run is not None and run.status_code == 403  # not initialised yet
        code = base64.b64encode(buffer.getvalue()).decode()
        init = {"value": {"name": "t", "main": "main", "binary": True, "code": code, "env": {"GREETING": "hi"}}}
        assert requests.post(f"{base}/init", json=init, timeout=30).json() == {"ok": True}
        again = requests.post(f"{base}/init", json=init, timeout=30)
        assert again.status_code == 403
        answer = requests.post(f"{base}/run", json={"value": {"a": 1, "b": 2}, "activation_id": "x1"}, timeout=30)
        assert answer.status_code == 200 and answer.json() == {"from": "init code", "args": ["a", "b"]}
    finally:
        container.remove(force=True)


def _wait(base: str, time: Any) -> bool:
    import requests

    for _ in range(100):
        try:
            requests.post(f"{base}/nothing", json={}, timeout=1)
            return True
        except requests.ConnectionError:
            time.sleep(0.1)
    return False
