"""The storage and NoSQL samples under every platform's runtime contract, with faasforge's own
wrappers and helpers, against real servers on 127.0.0.1 (the containers run on the host's
network): moto's S3 for local and openwhisk (MinIO client) and aws (the SDKs), gcp-storage-emulator
for gcp, Azurite for azure; moto's DynamoDB for the to-do list on local, aws and openwhisk.

Each test prepares the input as SeBS does (the sample's input.py: ``generate_input`` uploads the
photo or seeds the table), calls the image the way its platform does (``faasforge invoke``; for
azure the handler inside the image with azure-functions' request type), with the storage settings
that platform's helpers read (README, "Storage and NoSQL in functions"), and checks: SeBS's reply
shape, the sample's own ``validate_output``, and the thumbnail stored in the bucket.

Not covered, because nothing emulates them here: gcp Datastore and azure Cosmos DB. No emulator
installs from PyPI or npm: the packages named for them only start another one (PyPI dsemu and npm
google-datastore-emulator run the gcloud SDK's emulator, from a local gcloud or the google/cloud-sdk
image; npm @testcontainers/azure-cosmosdb-emulator runs Microsoft's emulator container image)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from faasforge.invoke import invoke_image
from tests.runtime.conftest import Builder
from tests.runtime.contract import assert_record, azure_records, contract_records, function_output
from tests.storage.support import THUMBNAIL, TODO_LIST, SeBSInput

pytestmark = [pytest.mark.docker, pytest.mark.slow]

LANGUAGES = ("python", "nodejs")
TIMEOUT = 180  # a cold container on a loaded 2-core machine; no timing is asserted


class GcsStore:
    """Buckets on gcp-storage-emulator, for SeBS's input preparation and the checks."""

    def __init__(self, url: str) -> None:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage as gcs

        self.url = url
        self.client = gcs.Client(project="faasforge-test", credentials=AnonymousCredentials(),
                                 client_options=ClientOptions(api_endpoint=url))

    def make_bucket(self) -> str:
        return str(self.client.create_bucket(f"faasforge-{uuid.uuid4().hex[:12]}").name)

    def upload_file(self, bucket: str, key: str, path: str) -> None:
        self.client.bucket(bucket).blob(key).upload_from_filename(path)

    def download_file(self, bucket: str, key: str, path: str) -> None:
        self.client.bucket(bucket).blob(key).download_to_filename(path)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(blob.name for blob in self.client.list_blobs(bucket, prefix=prefix))


class BlobStore:
    """Containers on Azurite's Blob service (a SeBS "bucket" is a container on Azure)."""

    def __init__(self, connection_string: str) -> None:
        from azure.storage.blob import BlobServiceClient

        self.client = BlobServiceClient.from_connection_string(connection_string)

    def make_bucket(self) -> str:
        return str(self.client.create_container(f"faasforge-{uuid.uuid4().hex[:12]}").container_name)

    def upload_file(self, bucket: str, key: str, path: str) -> None:
        with open(path, "rb") as data:
            self.client.get_container_client(bucket).upload_blob(key, data)

    def download_file(self, bucket: str, key: str, path: str) -> None:
        with open(path, "wb") as out:
            self.client.get_container_client(bucket).download_blob(key).readinto(out)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(blob.name for blob in self.client.get_container_client(bucket).list_blobs(name_starts_with=prefix))


class StoreInput(SeBSInput):
    """SeBS's input preparation (tests/storage/support.py) on a store other than moto's S3."""

    def upload(self, bucket_index: int, key: str, filepath: str) -> None:
        self.server.upload_file(self.bucket, f"{self.input_paths[bucket_index]}/{key}", filepath)

    def download(self, bucket: str, key: str, filepath: str) -> None:
        self.server.download_file(bucket, key, filepath)


@dataclass
class Site:
    """Where one platform's helpers find their servers: the store the test prepares and checks,
    and, given the real table names, the container's environment and the event's extra
    parameters (openwhisk's activation parameters)."""

    store: Any
    settings: Callable[[dict[str, str]], tuple[dict[str, str], dict[str, str]]]
    prepare: type[SeBSInput] = SeBSInput


def site_for(platform: str, request: pytest.FixtureRequest) -> Site:
    if platform == "gcp":
        url = request.getfixturevalue("gcs_emulator")
        env = {"STORAGE_EMULATOR_HOST": url, "GOOGLE_CLOUD_PROJECT": "faasforge-test"}
        return Site(GcsStore(url), lambda tables: (env, {}), StoreInput)
    if platform == "azure":
        connection = request.getfixturevalue("azurite")
        return Site(BlobStore(connection), lambda tables: ({"STORAGE_CONNECTION_STRING": connection}, {}), StoreInput)
    moto = request.getfixturevalue("moto_storage")
    if platform == "openwhisk":  # SeBS passes them as activation parameters; the action moves them to the environment
        return Site(moto, lambda tables: ({}, moto.env_openwhisk(tables)))
    if platform == "aws":  # the SDKs' own settings (AWS_ENDPOINT_URL), as a Lambda's role would give them
        return Site(moto, lambda tables: (moto.env_aws(tables), {}))
    return Site(moto, lambda tables: (moto.env_local(tables), {}))


def call_sample(platform: str, language: str, image: str, site: Site, prepared: SeBSInput,
                docker_engine: Any) -> Any:
    """One call of the image under its platform's contract; the function's output (SeBS's record
    checked on the way)."""
    env, params = site.settings(prepared.tables)
    event = {**prepared.config, **params}
    if platform == "azure":
        [record] = azure_records(docker_engine, image, language, event, calls=1, env=env)
        assert_record(platform, language, record)
        assert record["is_cold"] is True
    else:
        invocation = invoke_image(image, event, env=env, timeout=TIMEOUT)
        [record] = contract_records(platform, language, invocation)
    return function_output(platform, record)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("platform", ("local", "aws", "gcp", "openwhisk", "azure"))
def test_thumbnail_reads_and_writes_the_platforms_object_storage(
    platform: str, language: str, build_function: Builder, docker_engine: Any, request: pytest.FixtureRequest
) -> None:
    image = build_function(platform, language, benchmark=THUMBNAIL.name)
    site = site_for(platform, request)
    prepared = site.prepare(THUMBNAIL, "small", site.store)
    out_prefix = prepared.output_paths[0]
    assert site.store.keys(prepared.bucket, out_prefix) == []
    output = call_sample(platform, language, image, site, prepared, docker_engine)
    assert prepared.validate(output, language) is None, output
    assert site.store.keys(prepared.bucket, out_prefix) == [output["result"]["key"]]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("platform", ("local", "aws", "openwhisk"))
def test_todo_list_answers_from_the_platforms_nosql(
    platform: str, language: str, build_function: Builder, docker_engine: Any, request: pytest.FixtureRequest,
    moto_storage: Any
) -> None:
    image = build_function(platform, language, benchmark=TODO_LIST.name)
    site = site_for(platform, request)
    prepared = site.prepare(TODO_LIST, "large", site.store)
    output = call_sample(platform, language, image, site, prepared, docker_engine)
    assert prepared.validate(output, language) is None, output
    # The writes reached the table: 3 seeded + 5 added - 1 removed.
    assert moto_storage.client("dynamodb").scan(TableName=prepared.tables["todos"])["Count"] == 7
