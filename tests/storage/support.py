"""Shared by the storage tests: faasforge's own helpers loaded as an image holds them, the Node.js
driver, and SeBS's input preparation for the samples."""

from __future__ import annotations

import atexit
import functools
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from types import ModuleType

from faasforge.staging import own_wrapper_files
from tests.conftest import ROOT

WRAPPERS = ROOT / "wrappers"
DRIVER = Path(__file__).with_name("drive.js")


@functools.cache
def staged_wrappers(platform: str, language: str) -> Path:
    """faasforge's own wrapper files of one platform and language (its folder plus the shared
    flavours its shared.txt names) copied into one folder, as an image holds them side by side."""
    target = Path(tempfile.mkdtemp(prefix=f"faasforge-wrappers-{platform}-{language}-"))
    atexit.register(shutil.rmtree, target, True)
    for rel, real in own_wrapper_files(WRAPPERS, platform, language).items():
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(real, target / rel)
    return target


def helper_path(platform: str, language: str, name: str) -> Path:
    path = staged_wrappers(platform, language) / name
    assert path.is_file(), f"{platform} {language} has no wrapper file {name}"
    return path


def copy_helpers(platform: str, language: str, target: Path) -> None:
    """Put a platform's wrapper files that an image stages beside the function (the storage/nosql
    helpers and the shared modules they import; not the entry file) into ``target``."""
    for path in sorted(staged_wrappers(platform, language).iterdir()):
        if path.is_file() and not path.name.startswith("handler."):
            shutil.copy(path, target / path.name)


def load_python_helper(platform: str, name: str) -> ModuleType:
    """A fresh copy of a platform's ``{name}.py`` (its own singleton), imported as a module of a
    package, as ``function.{name}`` is in an image (the helpers import their shared base modules
    relatively)."""
    package = ModuleType(f"faasforge_wrapper_{platform}_{uuid.uuid4().hex[:6]}")
    package.__path__ = [str(staged_wrappers(platform, "python"))]
    sys.modules[package.__name__] = package
    return importlib.import_module(f"{package.__name__}.{name}")


def is_unique_name_of(key: str, original: str) -> bool:
    """True when ``key`` is ``original`` with SeBS's 8-hex suffix before the extension."""
    base, extension = os.path.splitext(original)
    return re.fullmatch(re.escape(base) + r"\.[0-9a-f]{8}" + re.escape(extension), key) is not None


SAMPLES = ROOT / "benchmarks"
THUMBNAIL = SAMPLES / "200.multimedia" / "215.thumbnail"
TODO_LIST = SAMPLES / "100.webapps" / "140.todo-list"


def load_input_module(benchmark_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"faasforge_input_{uuid.uuid4().hex[:6]}", benchmark_dir / "input.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SeBSInput:
    """What SeBS does before a call, against the moto server: a bucket with the benchmark's
    input/output prefixes, one DynamoDB table per ``allocate_nosql`` entry, then ``generate_input``
    with upload and nosql functions of SeBS's signatures; ``validate`` runs its validate_output."""

    def __init__(self, benchmark_dir: Path, size: str, server, data_dir: Path | None = None) -> None:
        self.server = server
        self.name = benchmark_dir.name
        self.module = load_input_module(benchmark_dir)
        self.bucket = server.make_bucket()
        inputs, outputs = getattr(self.module, "buckets_count", lambda: (0, 0))()
        self.input_paths = [f"{self.name}-{i}-input" for i in range(inputs)]
        self.output_paths = [f"{self.name}-{i}-output" for i in range(outputs)]
        self.tables: dict[str, str] = {}
        allocate = getattr(self.module, "allocate_nosql", dict)
        for table, keys in allocate().items():
            self.tables[table] = server.make_table(keys["primary_key"], keys["secondary_key"])
        self.config = self.module.generate_input(
            str(data_dir) if data_dir else None, size, self.bucket, self.input_paths, self.output_paths, self.upload,
            self.nosql_upload,
        )

    def upload(self, bucket_index: int, key: str, filepath: str) -> None:
        self.server.client("s3").upload_file(filepath, self.bucket, f"{self.input_paths[bucket_index]}/{key}")

    def nosql_upload(self, benchmark: str, table: str, data: dict, primary_key: tuple, secondary_key: tuple) -> None:
        assert benchmark == self.name
        import boto3

        item = dict(data, **{primary_key[0]: primary_key[1], secondary_key[0]: secondary_key[1]})
        resource = boto3.resource("dynamodb", endpoint_url=self.server.endpoint, region_name="us-east-1",
                                  aws_access_key_id="test", aws_secret_access_key="test")
        resource.Table(self.tables[table]).put_item(Item=item)

    def download(self, bucket: str, key: str, filepath: str) -> None:
        """validate_output's storage: ``download(bucket, key, path)``."""
        self.server.client("s3").download_file(bucket, key, filepath)

    def validate(self, output: dict, language: str) -> str | None:
        return self.module.validate_output(None, self.config, output, language, self)


def drive(node_modules: Path, scenario: str, helper: Path, env: dict[str, str], args: dict | None = None) -> dict:
    """Run a drive.js scenario (storage or nosql) with only ``env``'s storage settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MINIO_", "NOSQL_"))}
    done = subprocess.run(
        ["node", str(DRIVER), scenario, str(helper), json.dumps(args or {})],
        env=base | env | {"NODE_PATH": str(node_modules), "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1"},
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
