"""No secret echoed back: credentials in registry addresses are refused without repeating them,
and every error message that quotes a value has its credentials blanked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from faasforge.registries.config import RegistriesConfig
from faasforge.registries.oci import parse_registry

from faasforge.errors import BuildFailed, ConfigError, InvalidValue, UsageError
from faasforge.redaction import has_userinfo, mask_secrets

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("address", [
    "user:s3cret@127.0.0.1:5000",
    "https://user:s3cret@registry.example.com/team",
    "http://ada:s3cret@127.0.0.1:5000",
    "s3cret@registry.example.com",
])
def test_credentials_in_a_registry_address_are_refused_without_the_secret(address: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_registry(address)
    message = str(caught.value)
    assert "s3cret" not in message
    assert "holds credentials" in message and "FAASFORGE_REGISTRY_PASSWORD" in message
    assert caught.value.exit_code == 2


def test_the_cli_refuses_credentials_in_registry_in_one_line_without_the_secret(tmp_path: Path) -> None:
    env = {**os.environ, "FAASFORGE_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect")}
    result = subprocess.run(
        [sys.executable, "-m", "faasforge", "plan", "--benchmark", "010.sleep",
         "--registry", "user:s3cret@127.0.0.1:5000"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "s3cret" not in result.stderr
    assert lines[0].startswith("faasforge: error: the registry address for '127.0.0.1:5000' holds credentials")


@pytest.mark.parametrize(("text", "secret"), [
    ("pip: GET https://ada:s3cretpw@pypi.example.com/simple/numpy/ failed", "s3cretpw"),
    ("npm ERR! 403 https://registry.example.com/pkg?token=abcdef123456 forbidden", "abcdef123456"),
    ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
    ("password=hunter2hunter2 in the environment", "hunter2hunter2"),
    ('{"refresh_token": "rt-0123456789"}', "rt-0123456789"),
    ("a token ghp_0123456789abcdefghijABCDEFGHIJ pasted", "ghp_0123456789abcdefghijABCDEFGHIJ"),
    ("key AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLMNOP"),
])
def test_mask_secrets_blanks_credentials(text: str, secret: str) -> None:
    masked = mask_secrets(text)
    assert secret not in masked and "***" in masked


def test_mask_secrets_leaves_ordinary_text_alone() -> None:
    for text in (
        "unknown architecture for platform 'gcp' 'arm64'; allowed: x64",
        "127.0.0.1:5000/faasforge-benchmarks:function.local.110.dynamic-html.python-3.11-x64-0123abcd4567",
        "base image 'python:3.11-slim' is not in the engine",
        "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef",
        "git@github.com is not a registry",
    ):
        assert mask_secrets(text) == text
    assert not has_userinfo("127.0.0.1:5000/team")


def test_every_faasforge_error_masks_the_values_it_quotes() -> None:
    assert "s3cret" not in str(InvalidValue("index url", "https://u:s3cret@example.com/simple", "an https URL"))
    assert "tok3n" not in str(ConfigError("bad value 'https://example.com/?access_token=tok3n'"))
    failed = BuildFailed("img", "pip failed", ["Looking in indexes: https://u:s3cret@pypi.example.com/simple"])
    assert "s3cret" not in str(failed) and all("s3cret" not in line for line in failed.log_tail)


def test_an_env_key_holding_the_secret_itself_is_refused_without_echoing_it(tmp_path: Path) -> None:
    config = tmp_path / "registries.toml"
    config.write_text('[openwhisk]\nregistry = "127.0.0.1:5000"\npassword_env = "p@ss w0rd!"\n')
    section = RegistriesConfig.load(config, environ={}).section("openwhisk")
    with pytest.raises(ConfigError, match="must name an environment variable") as caught:
        section.secret("password_env", "FAASFORGE_OPENWHISK_PASSWORD")
    assert "p@ss w0rd!" not in str(caught.value)
