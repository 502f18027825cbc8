"""faasforge's Python storage/nosql helpers against moto's S3 and DynamoDB servers on 127.0.0.1.

local and openwhisk speak S3 through MinIO's client and DynamoDB through boto3 with SeBS's
variables; aws uses boto3's own settings (AWS_ENDPOINT_URL pointed at moto).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.storage.support import is_unique_name_of, load_python_helper

S3_PLATFORMS = ("local", "openwhisk", "aws")


@pytest.fixture
def platform_env(request: pytest.FixtureRequest, moto_storage, monkeypatch: pytest.MonkeyPatch):
    """Set the environment one platform's helpers read; returns (platform, server)."""
    platform = request.param

    def apply(tables: dict[str, str] | None = None) -> None:
        env = getattr(moto_storage, f"env_{platform}")(tables)
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    return platform, moto_storage, apply


@pytest.mark.parametrize("platform_env", S3_PLATFORMS, indirect=True)
def test_storage_round_trip(platform_env, tmp_path: Path) -> None:
    platform, server, apply = platform_env
    apply()
    bucket = server.make_bucket()
    module = load_python_helper(platform, "storage")
    client = module.storage.get_instance()
    assert module.storage.get_instance() is client

    source = tmp_path / "photo.jpg"
    source.write_bytes(b"\xff\xd8 not really a jpeg")
    key = client.upload(bucket, "input/photo.jpg", str(source))
    assert is_unique_name_of(key, "input/photo.jpg"), key
    assert server.get_object(bucket, key) == source.read_bytes()

    streamed = client.upload_stream(bucket, "output/result.txt", io.BytesIO(b"from a BytesIO"))
    raw = client.upload_stream(bucket, "output/raw.bin", b"from bytes")
    assert is_unique_name_of(streamed, "output/result.txt") and is_unique_name_of(raw, "output/raw.bin")
    assert server.get_object(bucket, streamed) == b"from a BytesIO"
    assert client.download_stream(bucket, raw) == b"from bytes"

    target = tmp_path / "nested" / "copy.jpg"
    client.download(bucket, key, str(target))
    assert target.read_bytes() == source.read_bytes()


@pytest.mark.parametrize("platform_env", S3_PLATFORMS, indirect=True)
def test_storage_download_directory(platform_env, tmp_path: Path) -> None:
    platform, server, apply = platform_env
    apply()
    bucket = server.make_bucket()
    files = {"data/a.txt": b"a", "data/sub/b.txt": b"bb", "data/sub/deeper/c.txt": b"ccc", "other/x.txt": b"x"}
    for key, body in files.items():
        server.put_object(bucket, key, body)
    load_python_helper(platform, "storage").storage().download_directory(bucket, "data", str(tmp_path / "out"))
    got = {p.relative_to(tmp_path / "out").as_posix(): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert got == {k: v for k, v in files.items() if k.startswith("data/")}


@pytest.mark.parametrize("platform_env", S3_PLATFORMS, indirect=True)
def test_nosql_insert_get_query_update_delete(platform_env) -> None:
    platform, server, apply = platform_env
    real = server.make_table("cart_id", "product_id")
    other = server.make_table("cart_id", "product_id")
    apply({"shopping_cart": real, "unused": other})
    db = load_python_helper(platform, "nosql").nosql.get_instance()

    db.insert("shopping_cart", ("cart_id", "c1"), ("product_id", "p1"), {"name": "Tea", "price": 2.5, "quantity": 3})
    db.insert("shopping_cart", ("cart_id", "c1"), ("product_id", "p2"), {"name": "Cup", "price": 7, "quantity": 1})
    db.insert("shopping_cart", ("cart_id", "c2"), ("product_id", "p1"), {"name": "Pot", "price": 30, "quantity": 1})

    item = db.get("shopping_cart", ("cart_id", "c1"), ("product_id", "p1"))
    assert item == {"cart_id": "c1", "product_id": "p1", "name": "Tea", "price": 2.5, "quantity": 3}
    assert type(item["quantity"]) is int and type(item["price"]) is float

    items = db.query("shopping_cart", ("cart_id", "c1"), "product_id")
    assert sorted(i["product_id"] for i in items) == ["p1", "p2"]

    # "status" and "name" are DynamoDB reserved words: the update must use placeholders.
    db.update("shopping_cart", ("cart_id", "c1"), ("product_id", "p2"), {"status": "paid", "name": "Mug"})
    assert db.get("shopping_cart", ("cart_id", "c1"), ("product_id", "p2")) == {
        "cart_id": "c1", "product_id": "p2", "name": "Mug", "price": 7, "quantity": 1, "status": "paid"}

    db.delete("shopping_cart", ("cart_id", "c1"), ("product_id", "p1"))
    assert db.get("shopping_cart", ("cart_id", "c1"), ("product_id", "p1")) is None
    assert [i["product_id"] for i in db.query("shopping_cart", ("cart_id", "c1"), "product_id")] == ["p2"]
    assert server.client("dynamodb").scan(TableName=other)["Count"] == 0


@pytest.mark.parametrize("platform", ["local", "openwhisk"])
def test_missing_configuration_is_one_clear_error(platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MINIO_ADDRESS", "MINIO_STORAGE_CONNECTION_URL", "NOSQL_STORAGE_TYPE", "NOSQL_STORAGE_ENDPOINT",
                 "NOSQL_STORAGE_TABLE_cart"):
        monkeypatch.delenv(name, raising=False)
    storage = load_python_helper(platform, "storage").storage.get_instance()  # constructing needs nothing
    with pytest.raises(RuntimeError, match="MINIO_ADDRESS/MINIO_ACCESS_KEY/MINIO_SECRET_KEY or MINIO_STORAGE_CONNECTION_URL"):
        storage.download_stream("bucket", "key")

    nosql = load_python_helper(platform, "nosql").nosql
    with pytest.raises(RuntimeError, match="set NOSQL_STORAGE_TABLE_cart to the name of table 'cart'"):
        nosql().get("cart", ("a", "1"), ("b", "2"))
    monkeypatch.setenv("NOSQL_STORAGE_TABLE_cart", "real-cart")
    monkeypatch.setenv("NOSQL_STORAGE_TYPE", "cassandra")
    with pytest.raises(RuntimeError, match="unsupported NOSQL_STORAGE_TYPE 'cassandra'; allowed: scylladb"):
        nosql().get("cart", ("a", "1"), ("b", "2"))
    monkeypatch.setenv("NOSQL_STORAGE_TYPE", "scylladb")
    with pytest.raises(RuntimeError, match="set NOSQL_STORAGE_ENDPOINT"):
        nosql().get("cart", ("a", "1"), ("b", "2"))


def test_local_and_openwhisk_take_one_shared_copy_of_the_helpers() -> None:
    """One implementation of the S3/DynamoDB helpers: both platforms' shared.txt name the same
    flavours, so both images stage the very same files of wrappers/shared/ (nothing to drift)."""
    from faasforge.staging import own_wrapper_files
    from tests.storage.support import WRAPPERS

    for language, names in (("python", ("storage.py", "nosql.py", "storage_base.py", "dynamodb.py")),
                            ("nodejs", ("storage.js", "nosql.js", "storage_base.js", "dynamodb.js"))):
        local = own_wrapper_files(WRAPPERS, "local", language)
        openwhisk = own_wrapper_files(WRAPPERS, "openwhisk", language)
        for name in names:
            assert local[name] == openwhisk[name], (language, name)
            assert local[name].is_relative_to((WRAPPERS / "shared").resolve()), local[name]
            assert not (WRAPPERS / "local" / language / name).exists()
