"""Run a function image locally under its platform's contract and call it: `faasforge invoke`.

The engine here has no bridge network, so the container runs with ``--network host`` and is
told a free port on 127.0.0.1 through the platform's own setting:

=========  =====================================================================================
local      ``PORT``; ``POST /`` with the JSON event
gcp        ``PORT`` (Cloud Run's); functions-framework answers ``POST /`` with the JSON event
aws        no port: ``AWS_LAMBDA_RUNTIME_API`` points the image's runtime interface client at a
           Lambda Runtime API served here in-process (faasforge.lambda_api); the event goes
           through ``invocation/next``, the answer comes back on ``/response`` or ``/error``
openwhisk  ``PORT``; ``POST /init`` once, then ``POST /run`` with ``{"value": event,
           "activation_id": ...}`` per call
azure      ``ASPNETCORE_URLS`` of the Functions host, ``POST /api/handler``; an image without a
           Functions host (no ``/azure-functions-host``) cannot be invoked here
=========  =====================================================================================

The platform and language come from the image's labels ``org.faasforge.platform`` and
``org.faasforge.language`` (every faasforge Dockerfile sets them), or from the caller. The first
call is the cold one, the rest are warm. The container is always removed. An image that does
not answer raises InvokeFailed with the tail of the container's log.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasforge.errors import InvalidValue, InvokeFailed, UsageError
from faasforge.ports import free_port

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

PLATFORMS = ("local", "aws", "gcp", "azure", "openwhisk")
LANGUAGES = ("python", "nodejs")
PLATFORM_LABEL = "org.faasforge.platform"
LANGUAGE_LABEL = "org.faasforge.language"
AZURE_HOST_DIR = "/azure-functions-host"
LOG_TAIL_LINES = 30


@dataclass(frozen=True)
class Call:
    """One call: whether it answered well (``ok``), how (``status``: an HTTP status, or the Lambda
    outcome), the round trip in seconds and the reply (parsed JSON, else text)."""

    number: int
    cold: bool
    ok: bool
    status: str
    seconds: float
    reply: Any


@dataclass(frozen=True)
class Invocation:
    """An image run under its platform's contract: readiness time, then every call."""

    image: str
    platform: str
    language: str
    ready_seconds: float
    calls: tuple[Call, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return bool(self.calls) and all(c.ok for c in self.calls)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


# ---------------------------------------------------------------------------- input
def parse_event(text: str, option: str = "--event") -> dict[str, Any]:
    """``--event`` (or ``option``): a JSON object, or ``@path`` of a file that holds one."""
    source = option
    if text.startswith("@"):
        path = Path(text[1:])
        source = f"event file {str(path)!r}"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {source}: {exc.strerror}") from None
    try:
        event = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "allowed: a JSON object, or @FILE holding one"
        ) from None
    if not isinstance(event, dict):
        raise UsageError(f"{source} must be a JSON object, not {type(event).__name__}; allowed: a JSON object")
    return event


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    """``--env KEY=VALUE`` (repeatable) → a dict."""
    env: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--env {pair!r} is not KEY=VALUE; allowed: KEY=VALUE, e.g. MINIO_ADDRESS=127.0.0.1:9000")
        env[key.strip()] = value
    return env


# ---------------------------------------------------------------------------- the image
@dataclass(frozen=True)
class Target:
    image: str
    platform: str
    language: str
    image_id: str
    config: Mapping[str, Any]


def describe_image(client: docker.DockerClient, image: str, platform: str | None, language: str | None) -> Target:
    """The image's platform and language (labels, unless given); UsageError when unknown."""
    from docker.errors import ImageNotFound, NotFound

    try:
        attrs = client.api.inspect_image(image)
    except (ImageNotFound, NotFound):
        raise UsageError(
            f"unknown image {image!r}: the Docker engine does not hold it; allowed: an image in the engine "
            "(build it, or docker pull it first)"
        ) from None
    config = attrs.get("Config") or {}
    labels = config.get("Labels") or {}
    platform = platform or labels.get(PLATFORM_LABEL)
    language = language or labels.get(LANGUAGE_LABEL)
    if not platform:
        raise UsageError(
            f"image {image!r} has no {PLATFORM_LABEL} label; pass --platform (allowed: {', '.join(PLATFORMS)})"
        )
    if platform not in PLATFORMS:
        raise InvalidValue("platform", platform, PLATFORMS)
    if language and language not in LANGUAGES:
        raise InvalidValue("language", language, LANGUAGES)
    return Target(image, platform, language or "", str(attrs.get("Id", "")), config)


def has_path(client: docker.DockerClient, image: str, path: str) -> bool:
    """Whether the image's file system holds ``path`` (a created, never started container)."""
    from docker.errors import NotFound

    container = client.containers.create(image, entrypoint=["/bin/true"], command=[])
    try:
        container.get_archive(path)
        return True
    except NotFound:
        return False
    finally:
        container.remove(force=True)


# ---------------------------------------------------------------------------- running it
class _Running:
    """A started container and the means to report it when it does not answer."""

    def __init__(self, client: docker.DockerClient, target: Target, env: Mapping[str, str]) -> None:
        self.target = target
        self.started = time.monotonic()
        self.container: Container = client.containers.run(
            target.image, detach=True, network_mode="host", environment=dict(env),
            labels={"org.faasforge.invoke": "1", "org.faasforge.invoke.pid": str(os.getpid())},
        )

    def alive(self) -> bool:
        self.container.reload()
        return bool(self.container.status in ("created", "running"))

    def log_tail(self) -> list[str]:
        try:
            raw = self.container.logs(tail=LOG_TAIL_LINES)
        except Exception:  # noqa: BLE001 - the container may be gone already
            return []
        return [line for line in bytes(raw).decode("utf-8", "replace").splitlines() if line.strip()]

    def fail(self, reason: str) -> InvokeFailed:
        return InvokeFailed(self.target.image, reason, self.log_tail())

    def remove(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            self.container.remove(force=True)


def _wait_port(running: _Running, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            pass
        if not running.alive():
            raise running.fail(f"the container exited before it listened on port {port}")
        time.sleep(0.1)
    raise running.fail(f"nothing listened on port {port} within {timeout:g} s")


def _http(url: str, payload: Mapping[str, Any] | None, timeout: float, headers: Mapping[str, str] | None = None,
          method: str = "POST") -> tuple[int, bytes]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {}),
    })
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


def _decoded(body: bytes) -> Any:
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _http_call(running: _Running, url: str, payload: Mapping[str, Any], number: int, timeout: float,
               headers: Mapping[str, str] | None = None) -> Call:
    start = time.monotonic()
    try:
        status, body = _http(url, payload, timeout, headers)
    except (OSError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        raise running.fail(f"call {number} to {url} got no answer ({reason})") from None
    return Call(number, number == 1, 200 <= status < 300, str(status), time.monotonic() - start, _decoded(body))


def invoke_image(
    image: str,
    event: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    calls: int = 1,
    timeout: float = 60.0,
    platform: str | None = None,
    language: str | None = None,
    client: docker.DockerClient | None = None,
    on_call: Callable[[Call], None] | None = None,
) -> Invocation:
    """Run ``image`` under its platform's contract, call it ``calls`` times with ``event``.

    ``timeout`` bounds the start (until the function is ready) and each call. Raises UsageError
    for an unknown image or a platform that cannot be invoked here, InvokeFailed when the image
    does not answer. A call that answers with an error is returned with ``ok=False``.
    """
    if calls < 1:
        raise InvalidValue("number of calls", calls, "a whole number of at least 1")
    if timeout <= 0:
        raise InvalidValue("timeout", timeout, "a number of seconds above 0")
    from faasforge.engine import docker_client

    own_client = client is None
    engine = client or docker_client()
    try:
        target = describe_image(engine, image, platform, language)
        runner = _RUNNERS[target.platform]
        return runner(engine, target, dict(event), dict(env or {}), calls, timeout, on_call)
    finally:
        if own_client:
            engine.close()


Runner = Callable[
    ["docker.DockerClient", Target, dict[str, Any], dict[str, str], int, float, "Callable[[Call], None] | None"],
    Invocation,
]


def _calls(count: int, make: Callable[[int], Call], on_call: Callable[[Call], None] | None) -> tuple[Call, ...]:
    done = []
    for number in range(1, count + 1):
        call = make(number)
        done.append(call)
        if on_call is not None:
            on_call(call)
    return tuple(done)


def _run_http(path: str, port_env: str, extra_env: Callable[[int], dict[str, str]] | None = None) -> Runner:
    """local and gcp: a server on a port; POST the event."""

    def run(client: docker.DockerClient, target: Target, event: dict[str, Any], env: dict[str, str], count: int,
            timeout: float, on_call: Callable[[Call], None] | None) -> Invocation:
        port = free_port()
        full_env = {**env, port_env: str(port), **(extra_env(port) if extra_env else {})}
        running = _Running(client, target, full_env)
        try:
            _wait_port(running, port, timeout)
            ready = time.monotonic() - running.started
            url = f"http://127.0.0.1:{port}{path}"

            def make(number: int) -> Call:
                trace = f"{uuid.uuid4().hex}/{number};o=1"  # Cloud Run's request id header
                return _http_call(running, url, event, number, timeout, {"X-Cloud-Trace-Context": trace})

            return Invocation(target.image, target.platform, target.language, ready, _calls(count, make, on_call))
        finally:
            running.remove()

    return run


def _run_openwhisk(client: docker.DockerClient, target: Target, event: dict[str, Any], env: dict[str, str],
                   count: int, timeout: float, on_call: Callable[[Call], None] | None) -> Invocation:
    port = free_port()
    running = _Running(client, target, {**env, "PORT": str(port)})
    try:
        _wait_port(running, port, timeout)
        base = f"http://127.0.0.1:{port}"
        init = {"value": {"name": "faasforge-invoke", "main": "main", "code": "", "binary": False, "env": {}}}
        try:
            status, body = _http(f"{base}/init", init, timeout)
        except (OSError, urllib.error.URLError) as exc:
            raise running.fail(f"/init got no answer ({getattr(exc, 'reason', exc)})") from None
        if status != 200:
            raise running.fail(f"/init answered HTTP {status}: {body.decode('utf-8', 'replace')[:300]}")
        ready = time.monotonic() - running.started

        def make(number: int) -> Call:
            activation = uuid.uuid4().hex
            message = {
                "value": event, "activation_id": activation, "transaction_id": uuid.uuid4().hex,
                "namespace": "guest", "action_name": "/guest/faasforge-invoke",
                "deadline": str(int((time.time() + timeout) * 1000)),
            }
            return _http_call(running, f"{base}/run", message, number, timeout)

        return Invocation(target.image, target.platform, target.language, ready, _calls(count, make, on_call))
    finally:
        running.remove()


def _run_aws(client: docker.DockerClient, target: Target, event: dict[str, Any], env: dict[str, str],
             count: int, timeout: float, on_call: Callable[[Call], None] | None) -> Invocation:
    from faasforge.lambda_api import RuntimeApi

    with RuntimeApi() as api:
        lambda_env = {
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_LAMBDA_FUNCTION_NAME": "faasforge-invoke",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            **env,
        }
        running = _Running(client, target, lambda_env)
        try:
            deadline = time.monotonic() + timeout
            init_error = None
            while True:
                try:
                    init_error = api.wait_polled(min(0.5, max(deadline - time.monotonic(), 0.01)))
                    break
                except TimeoutError:
                    if not running.alive():
                        raise running.fail("the container exited before its runtime asked for an event") from None
                    if time.monotonic() >= deadline:
                        raise running.fail(f"the runtime did not ask for an event within {timeout:g} s") from None
            if init_error is not None:
                raise running.fail(_init_error(init_error.body))
            ready = time.monotonic() - running.started
            payload = json.dumps(event).encode()

            def make(number: int) -> Call:
                outcome = api.invoke(payload, timeout)
                if outcome.kind == "timeout":
                    state = "the container exited" if not running.alive() else f"no answer within {timeout:g} s"
                    raise running.fail(f"call {number}: {state}")
                if outcome.kind == "init_error":
                    raise running.fail(_init_error(outcome.body))
                return Call(number, number == 1, outcome.kind == "response", outcome.kind, outcome.seconds,
                            _decoded(outcome.body))

            return Invocation(target.image, target.platform, target.language, ready, _calls(count, make, on_call))
        finally:
            running.remove()


def _init_error(body: bytes) -> str:
    return f"the runtime reported an init error: {body.decode('utf-8', 'replace')[:300]}"


def _run_azure(client: docker.DockerClient, target: Target, event: dict[str, Any], env: dict[str, str],
               count: int, timeout: float, on_call: Callable[[Call], None] | None) -> Invocation:
    if not has_path(client, target.image, AZURE_HOST_DIR):
        raise UsageError(
            f"image {target.image!r} cannot be invoked here: it has no Azure Functions host ({AZURE_HOST_DIR}); "
            "allowed: an image built FROM mcr.microsoft.com/azure-functions/* (the default base images)"
        )
    port = free_port()
    running = _Running(client, target, {**env, "ASPNETCORE_URLS": f"http://127.0.0.1:{port}"})
    try:
        _wait_port(running, port, timeout)
        deadline = time.monotonic() + timeout
        while True:  # the host listens before it has loaded the functions
            try:
                status, _ = _http(f"http://127.0.0.1:{port}/", None, 2.0, method="GET")
                if status == 200:
                    break
            except (OSError, urllib.error.URLError):
                pass
            if not running.alive():
                raise running.fail("the Functions host exited before it was ready")
            if time.monotonic() >= deadline:
                raise running.fail(f"the Functions host was not ready within {timeout:g} s")
            time.sleep(0.2)
        ready = time.monotonic() - running.started
        url = f"http://127.0.0.1:{port}/api/handler"
        calls = _calls(count, lambda n: _http_call(running, url, event, n, timeout), on_call)
        return Invocation(target.image, target.platform, target.language, ready, calls)
    finally:
        running.remove()


_RUNNERS: dict[str, Runner] = {
    "local": _run_http("/", "PORT", lambda port: {"HOST": "127.0.0.1"}),
    "gcp": _run_http("/", "PORT"),
    "openwhisk": _run_openwhisk,
    "aws": _run_aws,
    "azure": _run_azure,
}


def smoke_image(image: str, event: Mapping[str, Any], timeout: float = 120.0,
                client: docker.DockerClient | None = None) -> tuple[str, str]:
    """One call, for ``build --smoke``: ``("ok", detail)``, ``("failed", reason)`` or
    ``("not-invocable", reason)`` (an image this machine cannot run, e.g. azure without a host)."""
    try:
        result = invoke_image(image, event, calls=1, timeout=timeout, client=client)
    except InvokeFailed as exc:
        return "failed", exc.reason
    except UsageError as exc:
        return "not-invocable", str(exc)
    call = result.calls[0]
    if not call.ok:
        return "failed", f"the call answered {call.status}: {json.dumps(call.reply, default=str)[:300]}"
    return "ok", f"answered {call.status} in {call.seconds:.3f} s (ready after {result.ready_seconds:.2f} s)"
