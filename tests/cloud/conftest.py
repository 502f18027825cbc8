"""Fixtures for the cloud registry tests, all offline and real on the wire:

- aws: moto in server mode answers the ECR and STS APIs; the images go to a real distribution
  registry whose htpasswd holds moto's token user ``AWS`` (the data plane moto lacks).
- gcp: a fake of the Artifact Registry REST API and of Google's token endpoint (tests/fakes/gar.py),
  reached through application default credentials (a service account key file made here).
- azure: a TLS fake of ACR's own API and token exchange (tests/fakes/acr.py) plus an App Service
  managed identity endpoint that DefaultAzureCredential finds in the environment.
- openwhisk: a distribution registry with basic auth.

Builds and pushes use the real Docker engine and the local base images (a test systems.json maps
every cloud's python 3.11 to faasforge/base-python:3.11-x64). Nothing is mocked or patched.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from faasforge.registries import open_workspace
from faasforge.registries.acr import ACR_TOKEN_USER

from faasforge.catalog import Catalog
from faasforge.errors import RegistryUnreachable
from faasforge.model import ImageRecord, ImageRequest, RegistryDecision, ResolvedImage
from faasforge.pipeline import DockerEngine, Workspace, check_registry, resolve_image
from faasforge.ports import free_port
from faasforge.runner import PlainSteps, run_image
from faasforge.settings import Settings
from tests import helpers
from tests.conftest import ROOT, unavailable
from tests.fakes.acr import FakeAcr, FakeManagedIdentity, jwt_shaped
from tests.fakes.distribution import DistributionRegistry
from tests.fakes.gar import FakeArtifactRegistry
from tests.fakes.server import Blackhole, FakeServer
from tests.fakes.tls import private_pem, rsa_key, self_signed
from tests.helpers import CliResult, cli_environment

FAST_RETRY = {"attempts": 3, "backoff_seconds": 0.05, "timeout_seconds": 5}
MOTO_ACCOUNT = "123456789012"
MOTO_ECR_PASSWORD = f"{MOTO_ACCOUNT}-auth-token"  # what moto's GetAuthorizationToken hands out
GCP_PROJECT = "faasforge-test"
GCP_REGION = "us-central1"
SERVICE_ACCOUNT = f"builder@{GCP_PROJECT}.iam.gserviceaccount.com"
LOCAL_BASE = "faasforge/base-python:3.11-x64"
SLEEP = ("010.sleep", "python", "3.11", "x64")
ENV_PREFIXES = ("AWS_", "GOOGLE_", "GCLOUD_", "CLOUDSDK_", "AZURE_", "IDENTITY_", "MSI_", "FAASFORGE_", "PREFECT_")


def request_for(platform: str, cell: tuple[str, str, str, str] = SLEEP) -> ImageRequest:
    return ImageRequest(platform, *cell)


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def write_toml(path: Path, tables: dict[str, dict[str, object]]) -> Path:
    """A TOML file of flat tables (strings and numbers only)."""
    lines: list[str] = []
    for table, values in tables.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


# -- secrets: every one of them must stay out of every output --------------------------------------


@dataclass
class Secrets:
    values: dict[str, str] = field(default_factory=dict)

    def new(self, name: str) -> str:
        self.values[name] = f"{name}-{uuid.uuid4().hex}"
        return self.values[name]

    def needles(self) -> list[str]:
        """Each secret, and the base64 of ``user:secret`` forms Docker and HTTP basic auth use."""
        out: list[str] = []
        for value in self.values.values():
            out.append(value)
            for user in ("AWS", "oauth2accesstoken", ACR_TOKEN_USER, "faasforgeadmin", "whisk"):
                out.append(base64.b64encode(f"{user}:{value}".encode()).decode().rstrip("="))
        return out

    def assert_absent(self, *outputs: str | bytes | Iterable[str]) -> None:
        texts: list[str] = []
        for output in outputs:
            if isinstance(output, bytes):
                texts.append(output.decode("utf-8", "replace"))
            elif isinstance(output, str):
                texts.append(output)
            else:
                texts.extend(output)
        blob = "\n".join(texts)
        leaked = [n for n in self.needles() if n and n in blob]
        assert not leaked, f"{len(leaked)} credential(s) leaked into the output"


@pytest.fixture(scope="session")
def secrets() -> Secrets:
    found = Secrets()
    found.values["ecr-password"] = MOTO_ECR_PASSWORD
    return found


def assert_tree_clean(secrets: Secrets, *roots: Path, readable: Iterable[str] = ()) -> int:
    """Grep every file under ``roots`` (catalog, Prefect's database, results, logs); returns the
    bytes read. Each of ``readable`` must be found somewhere, proving the grep sees plain text."""
    total = 0
    needles = [n.encode() for n in secrets.needles()]
    unseen = {r.encode() for r in readable}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                total += len(data)
                leaked = [n for n in needles if n in data]
                assert not leaked, f"a credential leaked into {path.relative_to(root)}"
                unseen = {r for r in unseen if r not in data}
    assert not unseen, f"not found anywhere, so the grep proves little: {sorted(unseen)}"
    return total


# -- the environment: only what a test sets --------------------------------------------------------


def clean_environ() -> dict[str, str]:
    """os.environ without cloud, faasforge and Prefect settings (AWS_CA_BUNDLE kept)."""
    return {
        k: v for k, v in os.environ.items()
        if k == "AWS_CA_BUNDLE" or not k.startswith(ENV_PREFIXES)
    }


@pytest.fixture
def cloud_env(monkeypatch: pytest.MonkeyPatch, faasforge_home: Path) -> Callable[[dict[str, str]], None]:
    """Replace the cloud part of the environment with exactly ``env``."""

    def apply(env: dict[str, str]) -> None:
        for key in list(os.environ):
            if key.startswith(ENV_PREFIXES) and key != "AWS_CA_BUNDLE" and key not in (
                "FAASFORGE_HOME", "FAASFORGE_STAGING_DIR", "PREFECT_HOME",
                "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_LOGGING_LEVEL",
            ):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)

    return apply


# -- systems.json: the local base images stand in for the clouds' ----------------------------------


@pytest.fixture(scope="session")
def cloud_systems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = json.loads((ROOT / "config" / "systems.json").read_text())
    for platform in ("aws", "gcp", "azure", "openwhisk"):
        python = data[platform]["languages"]["python"]
        python["base_images"] = {"x64": {"3.11": LOCAL_BASE}, "arm64": {"3.11": "faasforge/base-python:3.11-arm64"}}
        python["versions"] = ["3.11"]
        # arm64 listed for every platform, so the adapters' own refusal (gcp, azure) is what answers
        data[platform]["architecture"] = ["x64", "arm64"]
    path = tmp_path_factory.mktemp("systems") / "systems.json"
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.fixture(scope="session")
def base_image(docker_engine: object) -> str:
    from docker.errors import ImageNotFound

    try:
        docker_engine.api.inspect_image(LOCAL_BASE)  # type: ignore[attr-defined]
    except ImageNotFound:
        message = f"{LOCAL_BASE} is not in the engine; run scripts/services.sh up"
        unavailable(message)
    return LOCAL_BASE


def start_registry(directory: Path, users: dict[str, str], token_auth: dict[str, str] | None = None) -> DistributionRegistry:
    if shutil.which("docker-registry") is None or shutil.which("htpasswd") is None:
        message = "docker-registry and htpasswd are needed (scripts/services.sh up installs them)"
        unavailable(message)
    return DistributionRegistry(directory, users, token_auth).start()


# -- one "cloud" per platform -----------------------------------------------------------------------


@dataclass
class Cloud:
    """A platform's API endpoint(s), its data-plane registry, environment and config tables."""

    platform: str
    data_plane: DistributionRegistry
    env: dict[str, str]
    table: dict[str, object]
    extras: dict[str, object] = field(default_factory=dict)

    def config(self, directory: Path, **overrides: object) -> Path:
        table = {**self.table, **overrides}
        table = {k: v for k, v in table.items() if v is not None}
        return write_toml(directory / f"registries-{uuid.uuid4().hex[:6]}.toml", {self.platform: table, "retry": dict(FAST_RETRY)})


@pytest.fixture(scope="session")
def aws_cloud(tmp_path_factory: pytest.TempPathFactory, secrets: Secrets) -> Iterator[Cloud]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    data_plane = start_registry(tmp_path_factory.mktemp("ecr-data-plane"), {"AWS": MOTO_ECR_PASSWORD})
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "AKIAFAASFORGETEST",
        "AWS_SECRET_ACCESS_KEY": secrets.new("aws-secret-key"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    }
    table = {
        "region": "us-east-1", "endpoint_url": endpoint, "sts_endpoint_url": endpoint,
        "ecr_registry_override": data_plane.host,
    }
    try:
        yield Cloud("aws", data_plane, env, table, {"endpoint": endpoint})
    finally:
        data_plane.stop()
        server.stop()


def moto_client(cloud: Cloud, service: str = "ecr") -> object:
    """A test-side boto3 client of the moto server (the emulator's glue, not the adapter's)."""
    import boto3

    return boto3.client(
        service, endpoint_url=str(cloud.extras["endpoint"]), region_name="us-east-1",
        aws_access_key_id="AKIAFAASFORGETEST", aws_secret_access_key="test-side",
    )


def mirror_to_ecr_api(cloud: Cloud, name_repository: str, tag: str) -> str:
    """What real ECR does on a push, done for moto: register the pushed manifest under the tag,
    with the digest and media type the data-plane registry serves."""
    manifest = cloud.data_plane.manifest(name_repository, tag)
    moto_client(cloud).put_image(  # type: ignore[attr-defined]
        repositoryName=name_repository, imageManifest=manifest.body.decode(), imageTag=tag,
        imageDigest=manifest.digest, imageManifestMediaType=manifest.media_type,
    )
    return manifest.digest


@pytest.fixture(scope="session")
def gcp_cloud(tmp_path_factory: pytest.TempPathFactory, secrets: Secrets) -> Iterator[Cloud]:
    workdir = tmp_path_factory.mktemp("gar")
    token = secrets.new("gar-access-token")
    key = rsa_key()
    data_plane = start_registry(workdir / "data-plane", {"oauth2accesstoken": token})
    fake = FakeArtifactRegistry(data_plane, service_account=SERVICE_ACCOUNT, public_key=key.public_key(), access_token=token)
    with FakeServer(fake) as server:
        pem = private_pem(key).decode()
        secrets.values["gar-private-key"] = pem.splitlines()[5]  # one line of the key's body
        key_file = workdir / "service-account.json"
        key_file.write_text(json.dumps({
            "type": "service_account", "project_id": GCP_PROJECT, "private_key_id": "k1",
            "private_key": pem, "client_email": SERVICE_ACCOUNT, "client_id": "1",
            "token_uri": f"{server.url}/token",
        }))
        env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
        table = {"region": GCP_REGION, "api_endpoint": server.url, "registry_override": data_plane.host}
        try:
            yield Cloud("gcp", data_plane, env, table, {"server": server, "fake": fake, "key_file": key_file})
        finally:
            data_plane.stop()


@pytest.fixture(scope="session")
def azure_cloud(tmp_path_factory: pytest.TempPathFactory, secrets: Secrets) -> Iterator[Cloud]:
    workdir = tmp_path_factory.mktemp("acr")
    cert, key = self_signed(workdir / "tls")
    entra = secrets.new("entra-token")
    refresh = jwt_shaped({"exp": int(time.time()) + 3 * 3600, "grant_type": "refresh_token", "nonce": secrets.new("acr-refresh")})
    secrets.values["acr-refresh-token"] = refresh
    admin_password = secrets.new("acr-admin-password")
    identity_header = secrets.new("identity-header")
    data_plane = start_registry(workdir / "data-plane", {ACR_TOKEN_USER: refresh, "faasforgeadmin": admin_password})
    fake = FakeAcr(data_plane, entra_token=entra, refresh_token=refresh, access_token=secrets.new("acr-access-token"))
    with FakeServer(fake, cert, key) as api, FakeServer(FakeManagedIdentity(identity_header, entra)) as identity:
        fake.url = api.url
        env = {"IDENTITY_ENDPOINT": f"{identity.url}/msi/token", "IDENTITY_HEADER": identity_header}
        table = {"registry": "faasforgetest", "endpoint": api.url, "login_server": data_plane.host, "ca_bundle": str(cert)}
        try:
            yield Cloud("azure", data_plane, env, table, {
                "api": api, "fake": fake, "cert": cert, "admin_password": admin_password,
                "identity_header": identity_header,
            })
        finally:
            data_plane.stop()


@pytest.fixture(scope="session")
def openwhisk_cloud(tmp_path_factory: pytest.TempPathFactory, secrets: Secrets) -> Iterator[Cloud]:
    password = secrets.new("whisk-password")
    data_plane = start_registry(tmp_path_factory.mktemp("whisk-data-plane"), {"whisk": password})
    env = {"FAASFORGE_OPENWHISK_USERNAME": "whisk", "FAASFORGE_OPENWHISK_PASSWORD": password}
    try:
        yield Cloud("openwhisk", data_plane, env, {"registry": data_plane.host, "namespace": "sebs"})
    finally:
        data_plane.stop()


# -- driving the pipeline through the runner, with its plain steps -----------------------------------


def workspace(systems: Path, config: Path, **settings: object) -> Workspace:
    return open_workspace(Settings(systems_config=systems, registries_config=config, **settings))  # type: ignore[arg-type]


@dataclass
class Published:
    resolved: ResolvedImage
    decision: RegistryDecision
    record: ImageRecord


def publish(ws: Workspace, request: ImageRequest, engine: object) -> Published:
    """resolve → check → stage → build → push → record: the flows' runner, with plain steps."""
    record = run_image(request, ws, PlainSteps(DockerEngine(engine)))  # type: ignore[arg-type]
    assert record.rebuilt, record.reason
    return Published(resolve_image(request, ws), RegistryDecision(True, record.reason), record)


def absent_check_ms(ws: Workspace, platform: str, checks: int, warm_up: bool = True) -> list[float]:
    """Milliseconds of each of ``checks`` existence checks of an absent image (after one, unless
    not ``warm_up``, that opens the clients and connections)."""
    resolved = resolve_image(request_for(platform), ws)
    registry = ws.registry(platform)
    if warm_up:
        registry.find_image(resolved.name)
    samples = []
    for _ in range(checks):
        started = time.perf_counter()
        assert registry.find_image(resolved.name) is None
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@dataclass
class Unanswered:
    """One registry check against a Blackhole: the error's text and what the Blackhole saw."""

    message: str
    host: str  # the Blackhole's host:port
    connections: int
    seconds: float
    ws: Workspace


def check_unanswered(systems: Path, config: Callable[[str], Path], platform: str) -> Unanswered:
    """Check one image with the registries config ``config(host)`` pointing at a Blackhole (it
    accepts connections and drops them); the check must end in RegistryUnreachable."""
    with Blackhole() as dead:
        ws = workspace(systems, config(dead.host))
        resolved = resolve_image(request_for(platform), ws)
        started = time.monotonic()
        with pytest.raises(RegistryUnreachable) as caught:
            check_registry(resolved, ws)
        elapsed = time.monotonic() - started
    return Unanswered(str(caught.value), dead.host, dead.connections, elapsed, ws)


def catalog_rows(ws: Workspace) -> list[ImageRecord]:
    return Catalog(ws.settings.catalog_path).all() if ws.settings.catalog_path.exists() else []


def split_uri(image_uri: str) -> tuple[str, str, str]:
    host, _, rest = image_uri.partition("/")
    repository, _, tag = rest.rpartition(":")
    return host, repository, tag


# -- the CLI as users run it ---------------------------------------------------------------------


@dataclass
class CliRun(CliResult):
    """A finished CLI run and the homes it wrote (Prefect's, faasforge's)."""

    prefect_home: Path
    faasforge_home: Path


def run_cli(args: list[str], env: dict[str, str], workdir: Path, timeout: float = 300) -> CliRun:
    """The CLI (tests.helpers.run_cli) with only the cloud settings in ``env``."""
    full = cli_environment(workdir, clean_environ()) | env
    result = helpers.run_cli(args, full, cwd=ROOT, timeout=timeout)
    return CliRun(**vars(result), prefect_home=workdir / "prefect-home", faasforge_home=workdir / "faasforge-home")
