"""Every cloud, one test: an absent image is built, pushed (the repository created where the cloud
needs that) and recorded; then the registry reports it present with the digest the data plane
serves, and a skip records the same digest and size. No credential reaches any output.

What only one cloud has is checked by its ``after_push`` below (moto's repositories, Artifact
Registry's create operation, ACR's token exchange, OpenWhisk's namespace path).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from faasforge.registries.acr import ACR_TOKEN_USER

from faasforge.pipeline import Workspace, check_registry, record_image, resolve_image
from tests.cloud.conftest import (
    GCP_PROJECT,
    Cloud,
    Published,
    Secrets,
    catalog_rows,
    mirror_to_ecr_api,
    moto_client,
    publish,
    request_for,
    split_uri,
    unique,
    workspace,
)

pytestmark = [pytest.mark.docker]


@dataclass(frozen=True)
class Pushed:
    cloud: Cloud
    ws: Workspace
    published: Published
    name: str  # resources_id or repository the test picked
    repository: str
    tag: str
    before: dict[str, int]


def _aws(p: Pushed) -> None:
    assert p.repository == f"sebs-benchmarks-{p.name}"
    assert p.tag.startswith("function.aws.010.sleep.python-3.11-x64-")
    assert p.published.decision.reason == "content not in registry"
    record = p.published.record
    assert record.compressed_mb and record.size_mb and record.compressed_mb < record.size_mb
    repositories = moto_client(p.cloud).describe_repositories()["repositories"]  # type: ignore[attr-defined]
    assert p.repository in {r["repositoryName"] for r in repositories}  # created when missing
    # Real ECR learns of the tag from the push itself; moto has no /v2/, so the test registers it.
    mirror_to_ecr_api(p.cloud, p.repository, p.tag)


def _gcp(p: Pushed) -> None:
    # {region}-docker.pkg.dev/{project}/{repository}/{benchmark}, the host overridden to the data plane
    assert p.repository == f"{GCP_PROJECT}/sebs-benchmarks-{p.name}/010.sleep"
    fake = p.cloud.extras["fake"]
    name = f"projects/{GCP_PROJECT}/locations/us-central1/repositories/sebs-benchmarks-{p.name}"
    assert fake.repositories[name]["format"] == "DOCKER"  # type: ignore[attr-defined]
    assert p.cloud.extras["server"].count("GET", "/operations/") >= 1  # type: ignore[attr-defined]  # waited for it
    listed = p.ws.registry("gcp")._api().list_docker_images(parent=name)  # type: ignore[attr-defined]
    served = p.cloud.data_plane.head(p.repository, p.tag)
    assert served is not None
    assert [(i.uri.rsplit("@", 1)[1], list(i.tags)) for i in listed] == [(served[0], [p.tag])]


def _azure(p: Pushed) -> None:
    assert p.repository == f"sebs-benchmarks-{p.name}"
    api = p.cloud.extras["api"]
    assert api.count("POST", "/oauth2/exchange") > p.before["exchanges"]  # type: ignore[attr-defined]
    credentials = p.ws.registry("azure").push_credentials()
    assert credentials is not None and credentials.username == ACR_TOKEN_USER
    assert credentials.expires_at and credentials.expires_at > time.time() + 3600  # the JWT's exp


def _openwhisk(p: Pushed) -> None:
    assert p.repository == f"sebs/{p.name}"  # {registry}/{namespace}/{repository}
    assert p.tag.startswith("function.openwhisk.010.sleep.python-3.11-x64-")


AFTER_PUSH: dict[str, Callable[[Pushed], None]] = {
    "aws": _aws, "gcp": _gcp, "azure": _azure, "openwhisk": _openwhisk,
}


def _before(cloud: Cloud) -> dict[str, int]:
    if cloud.platform == "azure":
        return {"exchanges": cloud.extras["api"].count("POST", "/oauth2/exchange")}  # type: ignore[attr-defined]
    return {}


@pytest.mark.parametrize("platform", list(AFTER_PUSH))
def test_absent_then_built_pushed_and_present_with_the_registry_digest(
    platform: str, request: pytest.FixtureRequest, cloud_systems: Path, cloud_env: Callable[[dict[str, str]], None],
    docker_engine: object, base_image: str, tmp_path: Path, secrets: Secrets, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # the SDKs' wire logs too: they must not show a token
    cloud: Cloud = request.getfixturevalue(f"{platform}_cloud")
    cloud_env(cloud.env)
    name = unique("functions-") if platform == "openwhisk" else unique()
    config = cloud.config(tmp_path, **({"repository": name} if platform == "openwhisk" else {"resources_id": name}))
    ws = workspace(cloud_systems, config)
    before = _before(cloud)

    published = publish(ws, request_for(platform), docker_engine)

    host, repository, tag = split_uri(published.record.image_uri)
    assert host == cloud.data_plane.host
    served = cloud.data_plane.head(repository, tag)
    assert served is not None and published.record.digest == served[0]
    AFTER_PUSH[platform](Pushed(cloud, ws, published, name, repository, tag, before))

    again = resolve_image(request_for(platform), ws)
    assert again.image_uri == published.record.image_uri
    decision = check_registry(again, ws)  # the cloud's own API, one request
    assert not decision.build and decision.remote is not None and decision.remote.digest == served[0]
    skipped = record_image(again, decision, ws)
    assert (skipped.rebuilt, skipped.digest, skipped.compressed_mb) == (False, served[0], published.record.compressed_mb)

    out = capsys.readouterr()
    rows = [repr(r) + json.dumps(r.to_json()) for r in catalog_rows(ws)]
    assert len(rows) == 1
    secrets.assert_absent(out.out, out.err, caplog.text, rows, [str(published)])
