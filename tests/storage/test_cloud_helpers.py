"""The gcp and azure helpers: storage against real emulators on 127.0.0.1 (Cloud Storage:
gcp-storage-emulator; Blob Storage: Azurite), in Python and Node.js; the NoSQL helpers (Datastore,
Cosmos DB), which have no emulator here, are imported and constructed from their environment."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from tests.storage.support import drive, helper_path, is_unique_name_of, load_python_helper

FILES = {"data/a.txt": b"a", "data/sub/b.txt": b"bb", "other/x.txt": b"x"}


def python_storage_round_trip(storage, bucket: str, tmp_path: Path, read) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(b"jpeg-ish bytes")
    key = storage.upload(bucket, "input/photo.jpg", str(source))
    assert is_unique_name_of(key, "input/photo.jpg") and read(key) == b"jpeg-ish bytes"
    streamed = storage.upload_stream(bucket, "output/result.txt", io.BytesIO(b"streamed"))
    assert is_unique_name_of(streamed, "output/result.txt") and storage.download_stream(bucket, streamed) == b"streamed"
    storage.download(bucket, key, str(tmp_path / "nested" / "copy.jpg"))
    assert (tmp_path / "nested" / "copy.jpg").read_bytes() == b"jpeg-ish bytes"
    storage.download_directory(bucket, "data", str(tmp_path / "out"))
    got = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert got == {k: v for k, v in FILES.items() if k.startswith("data/")}


def node_storage_round_trip(node_modules: Path, platform: str, env: dict[str, str], bucket: str, read) -> None:
    report = drive(node_modules, "storage", helper_path(platform, "nodejs", "storage.js"), env,
                   {"bucket": bucket, "prefix": "data"})
    assert is_unique_name_of(report["uploaded"], "input/photo.jpg") and read(report["uploaded"]) == b"not really a jpeg"
    assert read(report["streamed"]) == b"from a stream" and report["back"] == "from a stream"
    assert report["files"] == {"data/a.txt": "a", "data/sub/b.txt": "bb"}


@pytest.fixture
def gcs_bucket(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch):
    import uuid

    from google.cloud import storage as gcs

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    client = gcs.Client()
    bucket = client.create_bucket(f"faasforge-{uuid.uuid4().hex[:10]}")
    for key, body in FILES.items():
        bucket.blob(key).upload_from_string(body)
    return bucket.name, lambda key: bucket.blob(key).download_as_bytes()


@pytest.fixture
def azure_container(azurite: str, monkeypatch: pytest.MonkeyPatch):
    import uuid

    from azure.storage.blob import BlobServiceClient

    monkeypatch.setenv("STORAGE_CONNECTION_STRING", azurite)
    container = BlobServiceClient.from_connection_string(azurite).create_container(f"faasforge-{uuid.uuid4().hex[:10]}")
    for key, body in FILES.items():
        container.upload_blob(key, body)
    return container.container_name, lambda key: container.download_blob(key).readall()


def test_gcp_storage_python(gcs_bucket, tmp_path: Path) -> None:
    bucket, read = gcs_bucket
    storage = load_python_helper("gcp", "storage").storage.get_instance()
    python_storage_round_trip(storage, bucket, tmp_path, read)


def test_gcp_storage_nodejs(gcs_bucket, gcs_emulator: str, node_modules: Path) -> None:
    bucket, read = gcs_bucket
    node_storage_round_trip(node_modules, "gcp", {"STORAGE_EMULATOR_HOST": gcs_emulator}, bucket, read)


def test_azure_storage_python(azure_container, azurite: str, tmp_path: Path) -> None:
    container, read = azure_container
    module = load_python_helper("azure", "storage")
    python_storage_round_trip(module.storage.get_instance(), container, tmp_path, read)
    # As SeBS's handler does: the connection string passed in, no environment needed.
    assert module.storage(azurite).download_stream(container, "data/a.txt") == b"a"


def test_azure_storage_nodejs(azure_container, azurite: str, node_modules: Path) -> None:
    container, read = azure_container
    node_storage_round_trip(node_modules, "azure", {"STORAGE_CONNECTION_STRING": azurite}, container, read)


def test_gcp_nosql_keys_follow_sebs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Table = kind, secondary value = name, primary key = parent; the database from the environment."""
    monkeypatch.setenv("DATASTORE_EMULATOR_HOST", "127.0.0.1:9")  # never contacted: building keys is local
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "faasforge-test")
    monkeypatch.setenv("NOSQL_STORAGE_DATABASE", "benchmarks")
    db = load_python_helper("gcp", "nosql").nosql.get_instance()
    key = db._entity_key("shopping_cart", ("cart_id", "c1"), ("product_id", "p1"))
    assert key.flat_path == ("cart_id", "c1", "shopping_cart", "p1") and key.parent.flat_path == ("cart_id", "c1")
    assert key.database == "benchmarks" and key.project == "faasforge-test"


def test_gcp_nosql_nodejs_constructs(node_modules: Path) -> None:
    script = (
        "const {nosql} = require(process.argv[1]); const db = nosql.get_instance('benchmarks');"
        "const key = db._key('shopping_cart', ['cart_id', 'c1'], ['product_id', 'p1']);"
        "console.log(JSON.stringify({path: key.path, db: db.client.options.databaseId}));"
    )
    done = subprocess.run(
        ["node", "-e", script, str(helper_path("gcp", "nodejs", "nosql.js"))],
        env={"PATH": "/usr/bin:/bin", "NODE_PATH": str(node_modules), "GOOGLE_CLOUD_PROJECT": "faasforge-test",
             "DATASTORE_EMULATOR_HOST": "127.0.0.1:9"},
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == '{"path":["cart_id","c1","shopping_cart","p1"],"db":"benchmarks"}'


def test_azure_nosql_reads_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOSQL_STORAGE_DATABASE", "NOSQL_STORAGE_URL", "NOSQL_STORAGE_CREDS"):
        monkeypatch.delenv(name, raising=False)
    module = load_python_helper("azure", "nosql")
    with pytest.raises(RuntimeError, match="set NOSQL_STORAGE_DATABASE, NOSQL_STORAGE_URL, NOSQL_STORAGE_CREDS"):
        module.nosql.get_instance().get("cart", ("cart_id", "c1"), ("product_id", "p1"))

    from azure.core.exceptions import ServiceRequestError

    from faasforge.ports import free_port

    closed = free_port()  # nothing listens there: the client must try exactly this endpoint
    monkeypatch.setenv("NOSQL_STORAGE_DATABASE", "benchmarks")
    monkeypatch.setenv("NOSQL_STORAGE_URL", f"http://127.0.0.1:{closed}")
    monkeypatch.setenv("NOSQL_STORAGE_CREDS", "ZmFrZS1rZXk=")
    with pytest.raises(ServiceRequestError, match=f"127.0.0.1.*{closed}"):
        module.nosql().get("cart", ("cart_id", "c1"), ("product_id", "p1"))
