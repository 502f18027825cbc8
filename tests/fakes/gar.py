"""A fake of the Artifact Registry v1 REST API and Google's OAuth token endpoint, for
google-cloud-artifact-registry (``transport="rest"``) and google-auth to talk to for real.

- ``POST /token``: a service account's signed JWT assertion (verified with its public key) →
  an access token; an unknown or badly signed assertion → 400 ``invalid_grant``.
- API calls need ``Authorization: Bearer`` with that access token or a self-signed JWT of the
  service account (what the GAPIC client sends by default); else 401 UNAUTHENTICATED.
- ``GET/POST .../repositories[/R]`` (create returns a long-running operation, finished on the
  first ``GET .../operations/{id}``), ``GET .../repositories/R/dockerImages``,
  ``GET .../repositories/R/packages/{image}/tags/{tag}``: images and tags come from the real
  data-plane registry, where they live at ``{project}/{repository}/{image}``.

JSON is camelCase; errors are ``{"error": {"code", "message", "status"}}``. The ``/`` of a nested
image name arrives as ``%252F`` (the client encodes ``%2F`` once more): decode exactly once.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from datetime import datetime, timezone
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.distribution import DistributionRegistry
from tests.fakes.server import Reply, Request

_LOCATION = r"/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
_REPOSITORIES = re.compile(_LOCATION + r"/repositories$")
_REPOSITORY = re.compile(_LOCATION + r"/repositories/(?P<repo>[^/]+)$")
_IMAGES = re.compile(_LOCATION + r"/repositories/(?P<repo>[^/]+)/dockerImages$")
_TAG = re.compile(_LOCATION + r"/repositories/(?P<repo>[^/]+)/packages/(?P<pkg>[^/]+)/tags/(?P<tag>[^/]+)$")
_OPERATION = re.compile(_LOCATION + r"/operations/(?P<op>[^/]+)$")
REPOSITORY_TYPE = "type.googleapis.com/google.devtools.artifactregistry.v1.Repository"
FORMATS = {0: "FORMAT_UNSPECIFIED", 1: "DOCKER", 2: "MAVEN", 3: "NPM", 5: "APT", 6: "YUM", 8: "PYTHON"}


def _error(code: int, status: str, message: str) -> Reply:
    return Reply(code, {"error": {"code": code, "message": message, "status": status}})


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeArtifactRegistry:
    def __init__(
        self,
        data_plane: DistributionRegistry,
        *,
        service_account: str,
        public_key: rsa.RSAPublicKey,
        access_token: str,
    ) -> None:
        self.data_plane = data_plane
        self.service_account = service_account
        self.public_key = public_key
        self.access_token = access_token
        self.repositories: dict[str, dict[str, object]] = {}
        self.operations: dict[str, dict[str, object]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- auth -------------------------------------------------------------------------------------

    def signed_by_service_account(self, token: str) -> dict[str, object] | None:
        """The claims of an RS256 JWT signed by the service account's key, else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            self.public_key.verify(
                _b64decode(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(_b64decode(parts[1]))
        except (InvalidSignature, ValueError):
            return None
        return claims if claims.get("iss") == self.service_account else None

    def _token_endpoint(self, request: Request) -> Reply:
        form = request.form()
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" or not self.signed_by_service_account(
            form.get("assertion", "")
        ):
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        return Reply(200, {"access_token": self.access_token, "expires_in": 3600, "token_type": "Bearer"})

    def _authorized(self, request: Request) -> bool:
        kind, _, token = request.header("Authorization").partition(" ")
        return kind == "Bearer" and (token == self.access_token or self.signed_by_service_account(token) is not None)

    # -- API ----------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/token":
            return self._token_endpoint(request)
        if not self._authorized(request):
            return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        path = request.path  # still percent-encoded: each segment is decoded once below
        if request.method == "POST" and (m := _REPOSITORIES.match(path)):
            return self._create_repository(m.group("project"), m.group("location"), request)
        if request.method == "GET" and (m := _REPOSITORY.match(path)):
            repo = self.repositories.get(self._repo_name(m.group("project"), m.group("location"), m.group("repo")))
            return Reply(200, repo) if repo else _error(404, "NOT_FOUND", f"Repository {m.group('repo')} not found")
        if request.method == "GET" and (m := _OPERATION.match(path)):
            with self._lock:
                operation = self.operations.get(path[len("/v1/"):])
                if operation is None:
                    return _error(404, "NOT_FOUND", "operation not found")
                operation["done"] = True  # finished by the time anyone asks
                return Reply(200, operation)
        if request.method == "GET" and (m := _TAG.match(path)):
            return self._get_tag(m.group("project"), m.group("location"), m.group("repo"), m.group("pkg"), m.group("tag"))
        if request.method == "GET" and (m := _IMAGES.match(path)):
            return self._docker_images(m.group("project"), m.group("location"), m.group("repo"))
        return _error(404, "NOT_FOUND", f"{request.method} {path} is not served by this fake")

    @staticmethod
    def _repo_name(project: str, location: str, repo: str) -> str:
        return f"projects/{unquote(project)}/locations/{unquote(location)}/repositories/{unquote(repo)}"

    def _create_repository(self, project: str, location: str, request: Request) -> Reply:
        repo_id = request.query.get("repositoryId", "")
        name = self._repo_name(project, location, repo_id)
        body = request.json()
        with self._lock:
            if name in self.repositories:
                return _error(409, "ALREADY_EXISTS", f"the repository {repo_id} already exists")
            now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
            repository = {
                # the REST client sends enums as numbers ($alt=json;enum-encoding=int); names back are fine
                "name": name, "format": FORMATS.get(body.get("format", 0), str(body.get("format"))),
                "description": body.get("description", ""), "createTime": now, "updateTime": now,
            }
            self.repositories[name] = repository
            op_name = f"projects/{unquote(project)}/locations/{unquote(location)}/operations/op-{next(self._ids)}"
            self.operations[op_name] = {
                "name": op_name, "done": False, "response": {"@type": REPOSITORY_TYPE, **repository},
            }
            return Reply(200, {"name": op_name, "done": False})

    def _image_path(self, project: str, repo: str, image: str) -> str:
        return f"{unquote(project)}/{unquote(repo)}/{image}"

    def _get_tag(self, project: str, location: str, repo: str, package: str, tag: str) -> Reply:
        image, tag = unquote(unquote(package)), unquote(tag)  # %252F → %2F (the path) → / (the id)
        found = self.data_plane.head(self._image_path(project, repo, image), tag)
        if found is None:
            return _error(404, "NOT_FOUND", f"Requested entity was not found: tag {tag}")
        base = f"{self._repo_name(project, location, repo)}/packages/{unquote(package)}"
        return Reply(200, {"name": f"{base}/tags/{tag}", "version": f"{base}/versions/{found[0]}"})

    def _docker_images(self, project: str, location: str, repo: str) -> Reply:
        prefix = f"{unquote(project)}/{unquote(repo)}/"
        host = f"{unquote(location)}-docker.pkg.dev"
        by_digest: dict[str, dict[str, object]] = {}
        for repository in self.data_plane.catalog():
            if not repository.startswith(prefix):
                continue
            for tag in self.data_plane.tags(repository):
                manifest = self.data_plane.manifest(repository, tag)
                data = json.loads(manifest.body)
                size = sum(int(layer.get("size", 0)) for layer in data.get("layers", []))
                image = repository[len(prefix):]
                entry = by_digest.setdefault(manifest.digest, {
                    "name": f"{self._repo_name(project, location, repo)}/dockerImages/"
                            f"{image.replace('/', '%2F')}@{manifest.digest}",
                    "uri": f"{host}/{repository}@{manifest.digest}",
                    "tags": [], "imageSizeBytes": str(size), "mediaType": manifest.media_type,
                    "uploadTime": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
                })
                entry["tags"].append(tag)  # type: ignore[attr-defined]
        return Reply(200, {"dockerImages": list(by_digest.values())})
