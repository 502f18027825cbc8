"""moto in server mode on 127.0.0.1: the S3 and DynamoDB APIs the storage/nosql helpers talk to.

One server answers both APIs. ``env_*`` give the environment each platform's helpers read
(docs: README "Storage and NoSQL"), so a test hands the same server to Python, Node.js or a
function container (host networking).
"""

from __future__ import annotations

import uuid
from typing import Any

from faasforge.ports import free_port

ACCESS_KEY = "faasforge-test-access"
SECRET_KEY = "faasforge-test-secret"
REGION = "us-east-1"


class MotoStorage:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}"

    def start(self) -> MotoStorage:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        )

    def make_bucket(self) -> str:
        name = f"faasforge-{uuid.uuid4().hex[:12]}"
        self.client("s3").create_bucket(Bucket=name)
        return name

    def make_table(self, primary_key: str, secondary_key: str) -> str:
        name = f"faasforge-{uuid.uuid4().hex[:12]}"
        self.client("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": primary_key, "KeyType": "HASH"},
                       {"AttributeName": secondary_key, "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": primary_key, "AttributeType": "S"},
                                  {"AttributeName": secondary_key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        return name

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=body)

    def get_object(self, bucket: str, key: str) -> bytes:
        return bytes(self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def env_local(self, tables: dict[str, str] | None = None) -> dict[str, str]:
        """What the local helpers read (SeBS's names)."""
        env = {"MINIO_ADDRESS": self.address, "MINIO_ACCESS_KEY": ACCESS_KEY, "MINIO_SECRET_KEY": SECRET_KEY,
               "NOSQL_STORAGE_TYPE": "scylladb", "NOSQL_STORAGE_ENDPOINT": self.address}
        return env | self._tables(tables)

    def env_openwhisk(self, tables: dict[str, str] | None = None) -> dict[str, str]:
        """What the openwhisk helpers read once the action's entry moved its parameters to the environment."""
        env = {"MINIO_STORAGE_CONNECTION_URL": self.address, "MINIO_STORAGE_ACCESS_KEY": ACCESS_KEY,
               "MINIO_STORAGE_SECRET_KEY": SECRET_KEY,
               "NOSQL_STORAGE_TYPE": "scylladb", "NOSQL_STORAGE_ENDPOINT": self.address}
        return env | self._tables(tables)

    def env_aws(self, tables: dict[str, str] | None = None) -> dict[str, str]:
        """The SDKs' own settings, pointed at this server."""
        env = {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
               "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/nonexistent/aws-config",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials"}
        return env | self._tables(tables)

    @staticmethod
    def _tables(tables: dict[str, str] | None) -> dict[str, str]:
        return {f"NOSQL_STORAGE_TABLE_{name}": real for name, real in (tables or {}).items()}
