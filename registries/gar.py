"""Google Artifact Registry through google-cloud-artifact-registry and google-auth.

- Names: ``{region}-docker.pkg.dev/{project}/{repository}/{benchmark}:{tag}``, the repository
  ``sebs-benchmarks-{resources_id}`` (format DOCKER) created when missing, waiting for the operation.
- Existence: one ``GetTag`` on ``.../packages/{image}/tags/{tag}`` (NotFound: absent).
- Push credentials: user ``oauth2accesstoken``, password the access token of the credentials
  (application default credentials, a key file, or a Prefect GcpCredentials block).
- ``describe_image`` reads the manifest from the registry's ``/v2/`` API with those credentials.
- x64 only: Cloud Run and Cloud Functions run amd64 images; an arm64 request is refused.

The REST transport is used (no gRPC channel); the SDK is imported when the adapter is made.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from faasforge.registries.base import NamingOptions, PushCredentials
from faasforge.registries.cloud import CloudRegistry
from faasforge.registries.config import RetryPolicy, Section

from faasforge.errors import ConfigError, RegistryAuthError, RegistryError
from faasforge.model import ImageName, ImageRequest, RemoteImage
from faasforge.retry import call_with_retries
from faasforge.settings import Settings

__all__ = ["GarRegistry"]

log = logging.getLogger("faasforge.registries.gar")
T = TypeVar("T")
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
PUSH_USER = "oauth2accesstoken"
DEFAULT_RESOURCES_ID = "default"
OPERATION_TIMEOUT_SECONDS = 120.0


class GarRegistry(CloudRegistry):
    """One Artifact Registry repository (format DOCKER) in one project and region."""

    platform = "gcp"
    x64_only_because = "Cloud Run and Cloud Functions run amd64"

    def __init__(
        self,
        credentials: Callable[[], tuple[Any, str | None]],
        *,
        project: str | None,
        region: str,
        repository: str,
        api_endpoint: str | None = None,
        registry_override: str | None = None,
        naming: NamingOptions | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(naming, retry)
        self._load_credentials = credentials
        self._project = project
        self.region = region
        self.repository = repository
        self.api_endpoint = api_endpoint
        self.registry_override = registry_override
        self._credentials: Any = None
        self._client: Any = None
        self._ensured: set[str] = set()

    @classmethod
    def from_config(
        cls, section: Section, settings: Settings, naming: NamingOptions, retry: RetryPolicy
    ) -> GarRegistry:
        resources_id = section.get("resources_id", DEFAULT_RESOURCES_ID)
        return cls(
            lambda: _credentials(section),
            project=section.get("project"),
            region=section.require("region", "the Artifact Registry location, e.g. us-central1"),
            repository=settings.repository or section.get("repository") or f"sebs-benchmarks-{resources_id}",
            api_endpoint=section.get("api_endpoint"),
            registry_override=section.get("registry_override"),
            naming=naming,
            retry=retry,
        )

    # -- naming ---------------------------------------------------------------------------------

    @property
    def project(self) -> str:
        """The configured project, else the one the credentials name."""
        if self._project is None:
            _, project = self._credentials_and_project()
            if not project:
                raise ConfigError(
                    "gcp needs a project: set gcp.project in the registries config, "
                    "FAASFORGE_GCP_PROJECT or GOOGLE_CLOUD_PROJECT"
                )
            self._project = project
        return self._project

    def registry_host(self) -> str:
        return self.registry_override or f"{self.region}-docker.pkg.dev"

    def repository_for(self, request: ImageRequest) -> str:
        return f"{self.project}/{self.repository}/{request.benchmark}"

    def label(self) -> str:
        if self._project is None:  # not known before the credentials are
            return f"Artifact Registry {self.registry_host()} (repository {self.repository})"
        return f"Artifact Registry {self.registry_host()}/{self._project}/{self.repository}"

    # -- the Registry protocol ------------------------------------------------------------------

    def find_image(self, name: ImageName) -> RemoteImage | None:
        from google.api_core.exceptions import NotFound

        client = self._api()
        tag_name = f"{self._package_path(name)}/tags/{quote(name.tag, safe='')}"

        def get_tag() -> Any:
            try:
                return client.get_tag(name=tag_name, retry=None, timeout=self.retry.timeout_seconds)
            except NotFound:
                return None

        tag = self._call("GetTag", get_tag)
        if tag is None:
            return None
        version = str(tag.version)  # .../versions/sha256:...
        return RemoteImage(digest=version.rsplit("/", 1)[-1])

    def ensure_repository(self, name: ImageName) -> None:
        if self.repository in self._ensured:
            return
        from google.api_core.exceptions import AlreadyExists, NotFound
        from google.cloud import artifactregistry_v1

        client = self._api()
        parent = f"projects/{self.project}/locations/{self.region}"
        timeout = self.retry.timeout_seconds

        def ensure() -> None:
            try:
                client.get_repository(name=f"{parent}/repositories/{self.repository}", retry=None, timeout=timeout)
                return
            except NotFound:
                pass
            repository = artifactregistry_v1.Repository(
                format_=artifactregistry_v1.Repository.Format.DOCKER,
                description="faasforge: serverless benchmark function images",
            )
            try:
                operation = client.create_repository(
                    parent=parent, repository=repository, repository_id=self.repository,
                    retry=None, timeout=timeout,
                )
                operation.result(timeout=OPERATION_TIMEOUT_SECONDS)
                log.info("created Artifact Registry repository %s/%s", parent, self.repository)
            except AlreadyExists:  # created concurrently
                pass

        self._call("CreateRepository", ensure)
        self._ensured.add(self.repository)

    def _fresh_credentials(self, refused: bool) -> PushCredentials:
        """``oauth2accesstoken`` and the credentials' access token (refreshed when stale or refused)."""
        from google.auth.transport.requests import Request

        credentials, _ = self._credentials_and_project()
        if refused or not credentials.valid:
            self._call("token refresh", lambda: credentials.refresh(Request()))
        expiry = getattr(credentials, "expiry", None)
        return PushCredentials(
            registry=self.registry_host(),
            username=PUSH_USER,
            password=str(credentials.token),
            expires_at=float(calendar.timegm(expiry.utctimetuple())) if expiry else None,
        )

    # -- plumbing -------------------------------------------------------------------------------

    def _package_path(self, name: ImageName) -> str:
        prefix = f"{self.project}/{self.repository}/"
        if not name.repository.startswith(prefix):
            raise RegistryError(f"{name.image_uri} is not in {self.label()}")
        image = name.repository[len(prefix):]
        return (
            f"projects/{self.project}/locations/{self.region}/repositories/{self.repository}"
            f"/packages/{quote(image, safe='')}"  # an image path's '/' is %2F in resource names
        )

    def _credentials_and_project(self) -> tuple[Any, str | None]:
        with self._lock:
            if self._credentials is None:
                self._credentials, project = self._translate("credentials", self._load_credentials)
                if self._project is None and project:
                    self._project = project
            return self._credentials, self._project

    def _api(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.api_core.client_options import ClientOptions
                from google.cloud import artifactregistry_v1

                credentials, _ = self._credentials_and_project()
                options = ClientOptions(api_endpoint=self.api_endpoint) if self.api_endpoint else None
                self._client = artifactregistry_v1.ArtifactRegistryClient(
                    credentials=credentials, transport="rest", client_options=options
                )
            return self._client

    def _call(self, operation: str, call: Callable[[], T]) -> T:
        endpoint = self.api_endpoint or "artifactregistry.googleapis.com"
        return self._translate(
            operation,
            lambda: call_with_retries(
                call, what=f"Artifact Registry {operation} ({endpoint})", transient=_transient,
                policy=self.retry,
            ),
        )

    def _translate(self, operation: str, call: Callable[[], T]) -> T:
        """google-auth and google-api-core exceptions become faasforge's, naming no secret."""
        from google.api_core import exceptions as api
        from google.auth import exceptions as auth

        try:
            return call()
        except auth.DefaultCredentialsError:
            raise RegistryAuthError(
                f"no Google credentials for {self.label()}: set GOOGLE_APPLICATION_CREDENTIALS, run "
                "`gcloud auth application-default login`, or set gcp.credentials_file or "
                "gcp.prefect_block (docs/CLOUDS.md)"
            ) from None
        except auth.RefreshError:
            raise RegistryAuthError(
                f"{self.label()}: Google rejected the credentials (access token refresh failed)"
            ) from None
        except (api.Unauthorized, api.Forbidden) as exc:  # HTTP 401/403 (gRPC's names are subclasses)
            hint = " (creating a repository needs roles/artifactregistry.repoAdmin)" if (
                operation == "CreateRepository" and isinstance(exc, api.Forbidden)
            ) else ""
            raise self._rejected(operation, f"HTTP {exc.code}", hint=hint) from None
        except api.GoogleAPICallError as exc:
            raise self._failed(operation, f"HTTP {exc.code}") from None
        except auth.GoogleAuthError as exc:
            raise RegistryAuthError(f"{self.label()}: {type(exc).__name__} while authenticating") from None


def _credentials(section: Section) -> tuple[Any, str | None]:
    """Credentials and their project: a Prefect block, a key file, or application defaults."""
    block = section.get("prefect_block")
    if block:
        from faasforge.registries.blocks import gcp_credentials_from_block

        return gcp_credentials_from_block(block, SCOPES)
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    path = section.get("credentials_file")
    if path:
        try:
            credentials, project = google.auth.load_credentials_from_file(path, scopes=SCOPES)  # type: ignore[no-untyped-call]
        except DefaultCredentialsError:
            raise ConfigError(
                f"gcp.credentials_file {path!r} ({section.describe('credentials_file')}) is missing "
                "or not a Google credentials file"
            ) from None
        return credentials, project
    credentials, project = google.auth.default(scopes=SCOPES)
    return credentials, project


def _transient(exc: BaseException) -> str | None:
    import requests
    from google.api_core import exceptions as api
    from google.auth.exceptions import TransportError

    retryable = (
        api.ServiceUnavailable, api.InternalServerError, api.TooManyRequests, api.GatewayTimeout,
        api.BadGateway, api.DeadlineExceeded,
    )
    if isinstance(exc, retryable):
        return f"HTTP {exc.code}" if exc.code else type(exc).__name__
    if isinstance(exc, (TransportError, requests.ConnectionError, requests.Timeout)):
        return type(exc).__name__
    return None
