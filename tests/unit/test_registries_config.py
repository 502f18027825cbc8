"""The registries config, retries, log redaction and adapter naming: no network, no engine."""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faasforge.registries import ADAPTERS, make_registry
from faasforge.registries.config import RegistriesConfig, RetryPolicy
from faasforge.registries.redact import install_sdk_log_redaction, redact

from faasforge.errors import ConfigError, RegistryUnreachable, UsageError
from faasforge.model import ImageRequest
from faasforge.retry import call_with_retries
from faasforge.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
REQUEST = ImageRequest("aws", "010.sleep", "python", "3.11", "x64")
HASH = "ab" * 32


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registries.toml"
    path.write_text(text)
    return path


def test_no_file_means_defaults() -> None:
    config = RegistriesConfig.load(None, environ={})
    assert config.retry == RetryPolicy()
    assert config.section("aws").get("region") is None


def test_environment_wins_over_the_file_and_says_where_values_came_from(tmp_path: Path) -> None:
    path = write(tmp_path, '[aws]\nregion = "eu-west-1"\nresources_id = "abc"\n[retry]\nattempts = 2\n')
    config = RegistriesConfig.load(path, environ={"FAASFORGE_AWS_REGION": "us-east-2", "FAASFORGE_RETRY_BACKOFF_SECONDS": "0.1"})
    aws = config.section("aws")
    assert (aws.get("region"), aws.get("resources_id")) == ("us-east-2", "abc")
    assert aws.describe("region") == "environment variable FAASFORGE_AWS_REGION"
    assert aws.describe("resources_id") == f"registries config {str(path)!r}"
    assert config.retry == RetryPolicy(attempts=2, backoff_seconds=0.1, timeout_seconds=10.0)


def test_the_shipped_example_parses() -> None:
    config = RegistriesConfig.load(ROOT / "config" / "registries.example.toml", environ={})
    assert config.section("gcp").get("region") == "us-central1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[aws]\nregoin = 'x'\n", r"unknown key aws\.regoin; allowed: account_id, ecr_registry_override, endpoint_url, "),
        ("[azure]\nadmin_password = 'x'\n", r"unknown key azure\.admin_password; .*secrets are never read from this file"),
        ("[ibm]\nregion = 'x'\n", r"unknown table \[ibm\]; allowed: aws, azure, gcp, openwhisk, retry"),
        ("[aws]\nregion = 5\n", r"aws\.region must be text, not int"),
        ("[retry]\nattempts = 'many'\n", r"retry\.attempts must be a whole number, got 'many'"),
        ("[retry]\nattempts = 0\n", r"retry\.attempts must be at least 1"),
        ("aws = 3\n", r"aws must be a table"),
        ("[aws\n", r"is not valid TOML"),
    ],
)
def test_mistakes_are_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        RegistriesConfig.load(write(tmp_path, text), environ={})
    assert "\n" not in str(caught.value)


def test_a_missing_file_names_the_flag_and_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist \(--registries-config / FAASFORGE_REGISTRIES_CONFIG\)"):
        RegistriesConfig.load(tmp_path / "absent.toml")


def test_retries_double_the_back_off_then_give_a_clear_error() -> None:
    waits: list[float] = []
    calls = 0

    def flaky() -> str:
        nonlocal calls
        calls += 1
        raise ConnectionResetError

    with pytest.raises(RegistryUnreachable, match=r"^the test API did not answer after 4 attempts \(reset\)$"):
        call_with_retries(
            flaky, what="the test API", transient=lambda e: "reset" if isinstance(e, ConnectionResetError) else None,
            policy=RetryPolicy(attempts=4, backoff_seconds=0.5), sleep=waits.append,
        )
    assert (calls, waits) == (4, [0.5, 1.0, 2.0])


def test_other_errors_are_not_retried() -> None:
    calls = 0

    def broken() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("x")

    with pytest.raises(KeyError):
        call_with_retries(broken, what="x", transient=lambda e: None, policy=RetryPolicy(), sleep=lambda s: None)
    assert calls == 1


def test_botocore_wire_logs_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_sdk_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("botocore.parsers").debug("Response body:\n%r", b'{"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA=="}]}')
    logging.getLogger("botocore.endpoint").debug("headers=%s", {"X-Amz-Security-Token": b"session-secret"})
    assert "QVdTOnNlY3JldA" not in caplog.text and "session-secret" not in caplog.text
    assert caplog.text.count("***") == 2
    assert redact("<SecretAccessKey>k</SecretAccessKey>") == "<SecretAccessKey>***</SecretAccessKey>"


def settings_with(tmp_path: Path, text: str, **kw: object) -> Settings:
    return Settings(registries_config=write(tmp_path, text), **kw)  # type: ignore[arg-type]


def test_every_platform_has_an_adapter() -> None:
    assert set(ADAPTERS) == {"local", "openwhisk", "aws", "gcp", "azure"}


def test_ecr_names_follow_sebs(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, '[aws]\nregion = "us-west-2"\naccount_id = "111122223333"\nresources_id = "r1"\n')
    name = make_registry("aws", settings).registry_name(REQUEST, HASH)
    assert name.image_uri == f"111122223333.dkr.ecr.us-west-2.amazonaws.com/sebs-benchmarks-r1:function.aws.010.sleep.python-3.11-x64-{HASH[:12]}"
    china = settings_with(tmp_path, '[aws]\nregion = "cn-north-1"\naccount_id = "111122223333"\n')
    assert make_registry("aws", china).registry_name(REQUEST, HASH).registry == "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn"
    flagged = settings_with(tmp_path, '[aws]\nregion = "us-west-2"\naccount_id = "1"\n', repository="mine")
    assert make_registry("aws", flagged).registry_name(REQUEST, HASH).repository == "mine"  # --repository wins


def test_ecr_needs_a_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match=r"^aws needs a region: set aws\.region .*FAASFORGE_AWS_REGION"):
        make_registry("aws", settings_with(tmp_path, ""))


def test_gar_and_acr_names(tmp_path: Path) -> None:
    gcp = settings_with(tmp_path, '[gcp]\nproject = "p1"\nregion = "europe-west4"\n')
    name = make_registry("gcp", gcp).registry_name(ImageRequest("gcp", "110.dynamic-html", "python", "3.11", "x64"), HASH)
    assert name.image_uri.startswith("europe-west4-docker.pkg.dev/p1/sebs-benchmarks-default/110.dynamic-html:function.gcp.")
    azure = settings_with(tmp_path, '[azure]\nregistry = "myacr"\nresources_id = "r9"\n')
    name = make_registry("azure", azure).registry_name(ImageRequest("azure", "010.sleep", "python", "3.11", "x64"), HASH)
    assert name.image_uri.startswith("myacr.azurecr.io/sebs-benchmarks-r9:function.azure.010.sleep.")


@pytest.mark.parametrize(
    ("platform", "text", "message"),
    [
        ("gcp", '[gcp]\nproject = "p"\n', r"^gcp needs gcp\.region \(the Artifact Registry location, e\.g\. us-central1\).*FAASFORGE_GCP_REGION$"),
        ("azure", "", r"^azure needs azure\.registry \(the registry name, e\.g\. myregistry\)"),
    ],
)
def test_required_settings_are_named(tmp_path: Path, platform: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_registry(platform, settings_with(tmp_path, text))


def test_half_an_admin_login_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAASFORGE_AZURE_ADMIN_USERNAME", "admin")
    monkeypatch.delenv("FAASFORGE_AZURE_ADMIN_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match=r"need both variables: FAASFORGE_AZURE_ADMIN_PASSWORD is not set$"):
        make_registry("azure", settings_with(tmp_path, '[azure]\nregistry = "r"\n'))


@pytest.mark.parametrize(("platform", "package"), [("aws", "prefect-aws"), ("gcp", "prefect-gcp")])
def test_a_prefect_block_without_its_package_is_a_clear_error(tmp_path: Path, platform: str, package: str) -> None:
    if importlib.util.find_spec(package.replace("-", "_")) is not None:
        pytest.skip(f"{package} is installed here")
    extra = '\nproject = "p"' if platform == "gcp" else ""
    text = f'[{platform}]\nregion = "us-central1"{extra}\nprefect_block = "bench-creds"\n'
    with pytest.raises(ConfigError, match=rf"names a Prefect \w+ block, but {package} is not installed \(pip install {package}\)"):
        registry = make_registry(platform, settings_with(tmp_path, text))
        registry.push_credentials()  # gcp loads its credentials lazily


def test_gcp_and_azure_refuse_arm64(tmp_path: Path) -> None:
    gcp = make_registry("gcp", settings_with(tmp_path, '[gcp]\nproject = "p"\nregion = "us-central1"\n'))
    with pytest.raises(UsageError, match="gcp takes x64 images only"):
        gcp.check_architecture("arm64")
    make_registry("aws", settings_with(tmp_path, '[aws]\nregion = "us-east-1"\naccount_id = "1"\n')).check_architecture("arm64")


def test_cli_start_up_imports_no_cloud_sdk_and_is_fast() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import faasforge.cli, registries; faasforge.cli.build_parser(); "
        "print(round(time.perf_counter() - t, 3)); "
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'google', 'azure', 'prefect', 'docker')}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, modules = result.stdout.splitlines()
    assert modules == "[]"
    assert float(seconds) < 0.5
    runs = []
    for _ in range(3):  # the best of three, so a busy machine does not decide
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "faasforge", "--help"], cwd=ROOT, capture_output=True, check=True)
        runs.append(time.perf_counter() - started)
    assert min(runs) < 0.5  # `faasforge --help`, interpreter start included
