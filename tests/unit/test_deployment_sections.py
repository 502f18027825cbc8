"""config/systems.json's deployment sections and faasforge's own helpers agree: every listed file
exists, every SDK a helper imports is installed for its module, and every pin is exact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from faasforge.staging import own_wrapper_files
from tests.conftest import ROOT

SYSTEMS = json.loads((ROOT / "config" / "systems.json").read_text())
PLATFORMS = ("local", "aws", "gcp", "azure", "openwhisk")
# Python import → distribution name, for the SDKs the helpers import.
DISTRIBUTIONS = {
    "minio": "minio", "boto3": "boto3", "botocore": "boto3",
    "google.cloud.storage": "google-cloud-storage", "google.cloud.datastore": "google-cloud-datastore",
    "azure.storage.blob": "azure-storage-blob", "azure.cosmos": "azure-cosmos",
}
NODE_BUILTINS = {"fs", "path", "crypto", "stream", "stream/promises", "util", "os"}


def wrapper(platform: str, language: str, name: str) -> Path:
    """A wrapper file as staging finds it: the platform's own folder or a shared flavour it takes."""
    files = own_wrapper_files(ROOT / "wrappers", platform, language)
    assert name in files, f"{platform}/{language}: {name} listed, missing"
    return files[name]


def deployment(platform: str, language: str) -> dict:
    return SYSTEMS[platform]["languages"][language]["deployment"]


def python_imports(path: Path) -> set[str]:
    """The DISTRIBUTIONS keys a helper imports (``from google.cloud import storage`` counts as
    ``google.cloud.storage``; ``azure.cosmos.exceptions`` as ``azure.cosmos``)."""
    text = path.read_text()
    names = set(re.findall(r"^\s*import ([\w.]+)", text, re.M))
    names |= {f"{module}.{name}" for module, name in re.findall(r"^\s*from ([\w.]+) import (\w+)", text, re.M)}
    found = set()
    for name in names:
        parts = name.split(".")
        prefixes = [".".join(parts[:i]) for i in range(len(parts), 0, -1)]
        found |= {next((p for p in prefixes if p in DISTRIBUTIONS), "")} - {""}
    return found


def node_requires(path: Path) -> set[str]:
    return {name for name in re.findall(r"require\('([^'.][^']*)'\)", path.read_text()) if name not in NODE_BUILTINS}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("language", ["python", "nodejs"])
def test_listed_files_exist_and_include_the_helpers(platform: str, language: str) -> None:
    files = deployment(platform, language)["files"]
    extension = "py" if language == "python" else "js"
    assert f"storage.{extension}" in files and f"nosql.{extension}" in files
    for name in files:
        assert wrapper(platform, language, name).is_file()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_python_helpers_sdks_are_pinned_for_their_module(platform: str) -> None:
    module_packages = deployment(platform, "python")["module_packages"]
    for module in ("storage", "nosql"):
        lines = module_packages[module]
        assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.]*", line) for line in lines), lines
        installed = {line.split("==")[0].lower() for line in lines}
        imported = {DISTRIBUTIONS[name] for name in python_imports(wrapper(platform, "python", f"{module}.py"))}
        assert imported and imported <= installed, (platform, module, imported, installed)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_nodejs_helpers_sdks_are_pinned_for_their_module(platform: str) -> None:
    section = deployment(platform, "nodejs")
    for module in ("storage", "nosql"):
        versions = section["module_packages"][module]
        assert all(re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", v) for v in versions.values()), versions
        required = node_requires(wrapper(platform, "nodejs", f"{module}.js"))
        assert required and required <= set(versions) | set(section["packages"]), (platform, module, required)
