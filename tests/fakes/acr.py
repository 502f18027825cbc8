"""A fake of Azure Container Registry's own API (not ``/v2/``), and of an App Service managed
identity endpoint, for azure-containerregistry and azure-identity to talk to for real.

ACR (serve over TLS: the SDK refuses bearer auth over plain HTTP):

- ``POST /oauth2/exchange``  grant_type=access_token + an Entra ID token → ``{"refresh_token"}``
  (JWT-shaped: the SDK reads its ``exp``)
- ``POST /oauth2/token``     grant_type=refresh_token + that refresh token + scope → ``{"access_token"}``
- ``GET /acr/v1/_catalog``, ``GET /acr/v1/{name}/_tags/{tag}``: 401 with a Bearer challenge unless
  the access token is sent; tag existence and digests come from the real data-plane registry.

Managed identity: ``GET <IDENTITY_ENDPOINT>?resource=...`` with ``X-IDENTITY-HEADER`` → a token.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timezone
from urllib.parse import unquote

from tests.fakes.distribution import DistributionRegistry
from tests.fakes.server import Reply, Request

ACR_AUDIENCE = "https://containerregistry.azure.net"


def jwt_shaped(claims: dict[str, object]) -> str:
    """header.payload.signature, base64url without padding (unsigned: the fake checks equality)."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{part(json.dumps(claims).encode())}.{part(b'fake-signature')}"


def _errors(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"errors": [{"code": code, "message": message}]})


class FakeAcr:
    def __init__(self, data_plane: DistributionRegistry, *, entra_token: str, refresh_token: str, access_token: str) -> None:
        self.data_plane = data_plane
        self.entra_token = entra_token
        self.refresh_token = refresh_token
        self.access_token = access_token
        self.url = ""  # set once served: the realm in challenges

    def handle(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/oauth2/exchange":
            form = request.form()
            if form.get("grant_type") != "access_token" or form.get("access_token") != self.entra_token:
                return _errors(401, "UNAUTHORIZED", "the access token is invalid")
            return Reply(200, {"refresh_token": self.refresh_token})
        if request.method == "POST" and request.path == "/oauth2/token":
            form = request.form()
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
                return _errors(401, "UNAUTHORIZED", "the refresh token is invalid")
            return Reply(200, {"access_token": self.access_token})
        if not request.path.startswith("/acr/v1/"):
            return _errors(404, "NAME_UNKNOWN", "not served by this fake")
        scope = self._scope(request.path)
        if request.header("Authorization") != f"Bearer {self.access_token}":
            challenge = f'Bearer realm="{self.url}/oauth2/token",service="{self.url.split("://")[-1]}",scope="{scope}"'
            return Reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                         {"WWW-Authenticate": challenge})
        if request.path == "/acr/v1/_catalog":
            return Reply(200, {"repositories": self.data_plane.catalog()})
        rest = request.path[len("/acr/v1/"):]
        name, sep, tag = rest.rpartition("/_tags/")
        if not sep:
            return _errors(404, "NAME_UNKNOWN", "not served by this fake")
        repository, tag = unquote(name), unquote(tag)
        found = self.data_plane.head(repository, tag)
        if found is None:
            return _errors(404, "TAG_UNKNOWN", "the specified tag does not exist")
        now = datetime.now(timezone.utc).isoformat()
        return Reply(200, {
            "registry": self.url.split("://")[-1],
            "imageName": repository,
            "tag": {
                "name": tag, "digest": found[0], "createdTime": now, "lastUpdateTime": now, "signed": False,
                "changeableAttributes": {
                    "deleteEnabled": True, "writeEnabled": True, "readEnabled": True, "listEnabled": True,
                },
            },
        })

    @staticmethod
    def _scope(path: str) -> str:
        if path == "/acr/v1/_catalog":
            return "registry:catalog:*"
        name = path[len("/acr/v1/"):].split("/_", 1)[0]
        return f"repository:{unquote(name)}:metadata_read"


class FakeManagedIdentity:
    """App Service managed identity: what ``DefaultAzureCredential`` finds through
    ``IDENTITY_ENDPOINT`` and ``IDENTITY_HEADER``."""

    def __init__(self, identity_header: str, token: str) -> None:
        self.identity_header = identity_header
        self.token = token

    def handle(self, request: Request) -> Reply:
        if request.header("X-IDENTITY-HEADER") != self.identity_header:
            return Reply(401, {"error": "unauthorized", "error_description": "bad identity header"})
        resource = request.query.get("resource", "")
        if resource.rstrip("/") != ACR_AUDIENCE:
            return Reply(400, {"error": "invalid_resource", "error_description": resource})
        return Reply(200, {
            "access_token": self.token, "expires_on": str(int(time.time()) + 3600),
            "resource": resource, "token_type": "Bearer",
        })
