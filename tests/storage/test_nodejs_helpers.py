"""faasforge's Node.js storage/nosql helpers against moto's S3 and DynamoDB servers on 127.0.0.1,
run by the host's node with the pinned packages of config/systems.json (tests/storage/drive.js)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.storage.support import drive, helper_path, is_unique_name_of

S3_PLATFORMS = ("local", "openwhisk", "aws")


@pytest.mark.parametrize("platform", S3_PLATFORMS)
def test_storage(platform: str, moto_storage, node_modules: Path) -> None:
    bucket = moto_storage.make_bucket()
    for key, body in {"data/a.txt": b"a", "data/sub/b.txt": b"bb", "other/x.txt": b"x"}.items():
        moto_storage.put_object(bucket, key, body)
    env = getattr(moto_storage, f"env_{platform}")()
    report = drive(node_modules, "storage", helper_path(platform, "nodejs", "storage.js"), env,
                   {"bucket": bucket, "prefix": "data"})

    assert report["singleton"] is True and report["constructed"] == "function"
    assert is_unique_name_of(report["uploaded"], "input/photo.jpg"), report["uploaded"]
    assert moto_storage.get_object(bucket, report["uploaded"]) == b"not really a jpeg"
    assert report["streamed"] == report["streamedName"] and is_unique_name_of(report["streamed"], "output/result.txt")
    assert moto_storage.get_object(bucket, report["streamed"]) == b"from a stream"
    assert report["back"] == "from a stream" and report["copy"] == "not really a jpeg"
    assert report["files"] == {"data/a.txt": "a", "data/sub/b.txt": "bb"}
    assert is_unique_name_of(report["unique"], "dir/name.ext")


@pytest.mark.parametrize("platform", S3_PLATFORMS)
def test_nosql(platform: str, moto_storage, node_modules: Path) -> None:
    table = moto_storage.make_table("cart_id", "product_id")
    env = getattr(moto_storage, f"env_{platform}")({"shopping_cart": table})
    report = drive(node_modules, "nosql", helper_path(platform, "nodejs", "nosql.js"), env)

    assert report["get"] == {"cart_id": "c1", "product_id": "p1", "name": "Tea", "price": 2.5, "quantity": 3}
    assert report["query"] == ["p1", "p2"]
    assert report["updated"] == {"cart_id": "c1", "product_id": "p2", "name": "Mug", "price": 7, "quantity": 1,
                                 "status": "paid"}
    assert report["deleted"] is None and report["after"] == ["p2"]
