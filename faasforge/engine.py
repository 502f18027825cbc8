"""The Docker engine: connect, check emulation, build, inspect.

The client comes from the environment (``DOCKER_HOST`` or the default socket) unless one is
passed in.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faasforge.errors import (
    BaseImageMissing,
    BuildFailed,
    EmulationUnavailable,
    EngineError,
    InvalidValue,
    first_line,
)
from faasforge.model import DOCKER_PLATFORM, ENGINE_ARCHITECTURE, BuildResult

if TYPE_CHECKING:
    import docker

log = logging.getLogger("faasforge.engine")
LOG_TAIL_LINES = 25
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
QEMU_ENTRY = {"arm64": "qemu-aarch64", "x64": "qemu-x86_64"}
MACHINE_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}

LineSink = Callable[[str], None]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # pip and npm colour their errors; logs and tails stay plain


# Per engine, what does not change while a process runs: asking again costs a /version or /info
# round trip per image (/info grows with the engine's image count). bench/ scenario 3.
_api_versions: dict[str, str] = {}  # DOCKER_HOST (or "") -> negotiated API version
_machines: dict[str, str] = {}  # client base URL -> x64 / arm64


def docker_client(timeout: int = 600) -> docker.DockerClient:
    """A client for the engine named by the environment; EngineError when it does not answer.

    The API version is negotiated once per engine and process, then reused."""
    import docker
    from docker.errors import DockerException

    engine = os.environ.get("DOCKER_HOST", "")
    try:
        client = docker.from_env(timeout=timeout, version=_api_versions.get(engine))
        client.ping()
    except DockerException as exc:
        _api_versions.pop(engine, None)
        raise EngineError(
            f"the Docker engine does not answer ({_short(exc)}); start one (scripts/services.sh up) "
            "or set DOCKER_HOST"
        ) from None
    _api_versions[engine] = client.api.api_version
    return client


def _short(exc: BaseException | str) -> str:
    return first_line(exc, 200)


def engine_architecture(client: docker.DockerClient) -> str:
    """x64 or arm64, as the engine reports its machine (asked once per engine and process)."""
    key = str(getattr(client.api, "base_url", ""))
    if key not in _machines:
        machine = str(client.info().get("Architecture", ""))
        _machines[key] = MACHINE_ARCH.get(machine, machine)
    return _machines[key]


def engine_is_local(client: docker.DockerClient) -> bool:
    base_url = str(getattr(client.api, "base_url", ""))
    return base_url.startswith("http+unix://") or "localhost" in base_url or "127.0.0.1" in base_url


def check_emulation(client: docker.DockerClient, architecture: str, binfmt_dir: Path = BINFMT_DIR) -> None:
    """Fail fast when a foreign-architecture build cannot run: QEMU must be in binfmt_misc."""
    native = engine_architecture(client)
    if architecture == native or not engine_is_local(client):
        return
    entry = binfmt_dir / QEMU_ENTRY.get(architecture, f"qemu-{architecture}")
    try:
        enabled = entry.read_text().splitlines()[0].strip() == "enabled"
    except OSError:
        enabled = False
    if not enabled:
        raise EmulationUnavailable(
            f"building {architecture} images on this {native} engine needs QEMU emulation, but "
            f"{entry} is not registered; install qemu-user-static (apt-get install "
            "qemu-user-static binfmt-support) or run scripts/services.sh up"
        )


def image_exists(client: docker.DockerClient, reference: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.api.inspect_image(reference)
    except ImageNotFound:
        return False
    return True


def check_base_images(client: docker.DockerClient, images: list[str], for_what: str = "") -> None:
    """Each base image must be in the engine or known to its registry (one request, no pull);
    ``for_what`` names the language version it serves (``python 3.9 (local x64)``)."""
    from docker.errors import APIError, ImageNotFound

    for image in dict.fromkeys(images):
        if not image:
            continue
        try:
            client.api.inspect_image(image)
            continue
        except ImageNotFound:
            pass
        try:
            client.api.inspect_distribution(image)
        except APIError as exc:
            reason = _short(getattr(exc, "explanation", None) or exc)
            serves = f" for {for_what}" if for_what else ""
            raise BaseImageMissing(
                f"base image {image!r}{serves} is not in the engine and cannot be pulled ({reason}); "
                "pull it, pick another version, or point systems.json at one (scripts/services.sh up "
                "builds offline stand-ins; --systems-overlay config/systems.offline.json uses them)"
            ) from None


# The classic builder's race between concurrent builds that share layers (moby/moby#36573): the
# export of one build loses a layer another build committed at the same moment. The same build
# run again succeeds (nuclio/nuclio#1956 retries it too), so the build step retries it once.
ENGINE_RACE_MARKERS = ("layer does not exist", "failed to get layer", "failed to register layer")
RACE_RETRIES = 1


def is_engine_race(message: str) -> bool:
    """Whether a build error is the engine's layer race, not a fault of the Dockerfile."""
    lowered = message.lower()
    return any(marker in lowered for marker in ENGINE_RACE_MARKERS)


BUILDERS = ("classic", "buildkit")
BUILDER_ENV = "FAASFORGE_BUILDER"
BUILDKIT_CLI_ENV = "FAASFORGE_BUILDKIT_CLI"
# Debian's docker.io CLI (20.10) drives the engine's built-in BuildKit with DOCKER_BUILDKIT=1;
# newer CLIs need a buildx plugin for that. docker-py cannot drive BuildKit (docker/docker-py#2230).
DEFAULT_BUILDKIT_CLI = "/usr/bin/docker"


def configured_builder() -> str:
    """``$FAASFORGE_BUILDER``: ``classic`` (docker-py, the default) or ``buildkit`` (the engine's
    built-in BuildKit through the docker CLI; BENCHMARKS.md, scenario 7, has both measured)."""
    value = os.environ.get(BUILDER_ENV, "").strip().lower() or "classic"
    if value not in BUILDERS:
        raise InvalidValue(f"builder ({BUILDER_ENV})", value, BUILDERS)
    return value


def buildkit_cli() -> str:
    """The docker CLI that drives BuildKit: ``$FAASFORGE_BUILDKIT_CLI``, else Debian's."""
    import shutil

    configured = os.environ.get(BUILDKIT_CLI_ENV, "").strip()
    candidate = configured or (DEFAULT_BUILDKIT_CLI if Path(DEFAULT_BUILDKIT_CLI).is_file() else "docker")
    found = shutil.which(candidate)
    if not found:
        raise EngineError(
            f"the BuildKit builder needs a docker CLI that drives BuildKit ({candidate!r} not found); "
            f"set {BUILDKIT_CLI_ENV}, install Debian's docker.io, or use {BUILDER_ENV}=classic"
        )
    return found


@dataclass(frozen=True)
class _Build:
    """What one build attempt is given (the same for the classic builder and BuildKit)."""

    context_dir: Path
    image_uri: str
    architecture: str
    build_args: dict[str, str]
    content_hash: str
    network_mode: str

    @property
    def platform(self) -> str:
        return DOCKER_PLATFORM[self.architecture]

    @property
    def labels(self) -> dict[str, str]:
        return {"org.faasforge.content-hash": self.content_hash}


class _BuildLog:
    """A build's output lines: ANSI colours removed, blank lines dropped, the last
    ``LOG_TAIL_LINES`` kept for BuildFailed, each one handed to ``on_line``."""

    def __init__(self, on_line: LineSink | None) -> None:
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self._on_line = on_line

    def add(self, text: str) -> None:
        for line in _ANSI.sub("", text).rstrip("\n").splitlines():
            if line.strip():
                self.tail.append(line)
                if self._on_line:
                    self._on_line(line)


def build_image(
    client: docker.DockerClient,
    context_dir: Path,
    image_uri: str,
    architecture: str,
    build_args: dict[str, str],
    content_hash: str,
    on_line: LineSink | None = None,
    network_mode: str = "host",
    race_retries: int = RACE_RETRIES,
    builder: str | None = None,
) -> BuildResult:
    """Build ``context_dir`` into ``image_uri`` for ``architecture``; BuildFailed with the log tail.

    ``builder``: ``classic`` (docker-py) or ``buildkit`` (default: ``configured_builder()``).
    A build that fails with the engine's layer race (``is_engine_race``) is run again, up to
    ``race_retries`` times; the layers it had committed are engine cache hits then."""
    started = time.monotonic()
    once = _build_once_buildkit if (builder or configured_builder()) == "buildkit" else _build_once
    build = _Build(context_dir, image_uri, architecture, build_args, content_hash, network_mode)
    attempt = 0
    while True:
        attempt += 1
        try:
            image_id = once(client, build, _BuildLog(on_line))
            break
        except BuildFailed as exc:
            if attempt > race_retries or not is_engine_race(exc.reason):
                raise
            log.warning(
                "build of %s hit the engine's layer race (%s); building it again (retry %d of %d)",
                image_uri, exc.reason, attempt, race_retries,
            )
    inspected = client.api.inspect_image(image_id or image_uri)
    return BuildResult(
        image_uri=image_uri,
        image_id=inspected["Id"],
        size_bytes=int(inspected.get("Size", 0)),
        architecture=str(inspected.get("Architecture", "")),
        seconds=round(time.monotonic() - started, 3),
        content_hash=content_hash,
    )


def _build_once(client: docker.DockerClient, build: _Build, output: _BuildLog) -> str | None:
    """One classic-builder build through docker-py; the image id, or BuildFailed."""
    from docker.errors import APIError

    error: str | None = None
    image_id: str | None = None
    try:
        stream = client.api.build(
            path=str(build.context_dir),
            dockerfile="Dockerfile",
            tag=build.image_uri,
            buildargs=build.build_args,
            platform=build.platform,
            network_mode=build.network_mode,
            rm=True,
            forcerm=True,
            decode=True,
            labels=build.labels,
        )
        for chunk in stream:
            error = error or _chunk_error(chunk)
            if chunk.get("stream"):
                output.add(chunk["stream"])
            aux = chunk.get("aux")
            if isinstance(aux, dict) and "ID" in aux:
                image_id = aux["ID"]
    except APIError as exc:
        error = _short(exc.explanation or exc) if hasattr(exc, "explanation") else _short(exc)
    if error:
        output.tail.append(error)
        raise BuildFailed(build.image_uri, error, list(output.tail))
    return image_id


def _build_once_buildkit(client: docker.DockerClient, build: _Build, output: _BuildLog) -> str | None:
    """One build by the engine's BuildKit, through the docker CLI (same engine: DOCKER_HOST);
    the image lands in the engine as with the classic builder. The image id, or BuildFailed."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="faasforge-buildkit-") as tmp:
        iidfile = Path(tmp) / "iid"
        cmd = [
            buildkit_cli(), "build", "--progress=plain", "--network", build.network_mode,
            "--platform", build.platform, "--tag", build.image_uri, "--iidfile", str(iidfile),
            "--file", str(build.context_dir / "Dockerfile"),
        ]
        for key, value in build.labels.items():
            cmd += ["--label", f"{key}={value}"]
        for key, value in build.build_args.items():
            cmd += ["--build-arg", f"{key}={value}"]
        cmd.append(str(build.context_dir))
        env = {**os.environ, "DOCKER_BUILDKIT": "1", "DOCKER_CLI_HINTS": "false"}
        try:
            proc = subprocess.Popen(
                cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
            )
        except OSError as exc:
            raise EngineError(f"the BuildKit builder could not start {cmd[0]} ({exc.strerror})") from None
        assert proc.stdout is not None
        for raw in proc.stdout:
            output.add(raw)
        code = proc.wait()
        image_id = iidfile.read_text().strip() if iidfile.is_file() else None
    if code != 0 or not image_id:
        reason = next((ln.strip() for ln in reversed(output.tail) if "error" in ln.lower()), f"exit code {code}")
        raise BuildFailed(build.image_uri, reason[:200], list(output.tail))
    return image_id


def _chunk_error(chunk: dict[str, Any]) -> str | None:
    if "error" in chunk:
        return str(chunk["error"]).strip()
    detail = chunk.get("errorDetail")
    if isinstance(detail, dict) and detail.get("message"):
        return str(detail["message"]).strip()
    return None


def expected_engine_arch(architecture: str) -> str:
    return ENGINE_ARCHITECTURE[architecture]
