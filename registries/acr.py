"""Azure Container Registry through azure-containerregistry and azure-identity.

- Names: ``{registry}.azurecr.io/{repository}:{tag}``, the repository
  ``sebs-benchmarks-{resources_id}`` (ACR creates repositories on the first push).
- Existence: the tag's properties (``GET /acr/v1/{repository}/_tags/{tag}``; ResourceNotFound:
  absent).
- Push credentials: an Entra ID token for ``https://containerregistry.azure.net/.default`` from
  ``DefaultAzureCredential``, exchanged at ``/oauth2/exchange`` for an ACR refresh token, used with
  user ``00000000-0000-0000-0000-000000000000`` (as ``az acr login`` does). The alternative is the
  registry's admin user, read from environment variables the config names; then every call goes
  through the registry's ``/v2/`` API with those, since the SDK takes Entra ID tokens only.
- ``describe_image`` reads the manifest from the registry's ``/v2/`` API.
- x64 only: Azure Functions run amd64 container images.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

import requests
from faasforge.registries.base import NamingOptions, PushCredentials
from faasforge.registries.cloud import CloudRegistry
from faasforge.registries.config import RetryPolicy, Section

from faasforge.errors import ConfigError, RegistryAuthError, RegistryError
from faasforge.model import ImageName, ImageRequest, RemoteImage
from faasforge.retry import call_with_retries
from faasforge.settings import Settings

__all__ = ["ACR_TOKEN_USER", "AcrRegistry"]

log = logging.getLogger("faasforge.registries.acr")
T = TypeVar("T")
ACR_TOKEN_USER = "00000000-0000-0000-0000-000000000000"
DEFAULT_AUDIENCE = "https://containerregistry.azure.net"
DEFAULT_RESOURCES_ID = "default"
ADMIN_USERNAME_ENV = "FAASFORGE_AZURE_ADMIN_USERNAME"
ADMIN_PASSWORD_ENV = "FAASFORGE_AZURE_ADMIN_PASSWORD"  # the variable's name, not a secret


class _RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class AcrRegistry(CloudRegistry):
    """One Azure container registry, with Entra ID (default) or admin credentials."""

    platform = "azure"
    x64_only_because = "Azure Functions run amd64 containers"

    def __init__(
        self,
        *,
        login_server: str,
        repository: str,
        endpoint: str | None = None,
        image_host: str | None = None,
        credential: Callable[[], Any] | None = None,
        admin: tuple[str, str] | None = None,
        audience: str = DEFAULT_AUDIENCE,
        verify: bool | str = True,
        naming: NamingOptions | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(naming, retry, verify)
        self.login_server = login_server
        self.repository = repository
        self.endpoint = (endpoint or f"https://{login_server}").rstrip("/")
        self.image_host = image_host or login_server
        self.audience = audience.rstrip("/")
        self._make_credential = credential
        self._admin = admin
        self._credential: Any = None
        self._client: Any = None
        self._session = requests.Session()

    @classmethod
    def from_config(
        cls, section: Section, settings: Settings, naming: NamingOptions, retry: RetryPolicy
    ) -> AcrRegistry:
        registry = section.require("registry", "the registry name, e.g. myregistry")
        login_server = registry if "." in registry else f"{registry}.azurecr.io"
        user_env, username = section.secret("admin_username_env", ADMIN_USERNAME_ENV)
        password_env, password = section.secret("admin_password_env", ADMIN_PASSWORD_ENV)
        if bool(username) != bool(password):
            missing = password_env if username else user_env
            raise ConfigError(f"azure admin credentials need both variables: {missing} is not set")
        client_id = section.get("managed_identity_client_id")

        def credential() -> Any:
            from azure.identity import DefaultAzureCredential

            return DefaultAzureCredential(managed_identity_client_id=client_id)

        resources_id = section.get("resources_id", DEFAULT_RESOURCES_ID)
        return cls(
            login_server=login_server,
            repository=settings.repository or section.get("repository") or f"sebs-benchmarks-{resources_id}",
            endpoint=section.get("endpoint"),
            image_host=section.get("login_server"),
            credential=credential,
            admin=(username, password) if username and password else None,
            audience=section.get("audience", DEFAULT_AUDIENCE) or DEFAULT_AUDIENCE,
            verify=section.get("ca_bundle") or True,
            naming=naming,
            retry=retry,
        )

    # -- naming ---------------------------------------------------------------------------------

    def registry_host(self) -> str:
        return self.image_host

    def repository_for(self, request: ImageRequest) -> str:
        return self.repository

    def label(self) -> str:
        return f"ACR registry {self.login_server}"

    # -- the Registry protocol ------------------------------------------------------------------

    def find_image(self, name: ImageName) -> RemoteImage | None:
        if self._admin is not None:
            return self._data_plane().head_manifest(name.repository, name.tag)
        from azure.core.exceptions import ResourceNotFoundError

        client = self._api()

        def tag_properties() -> Any:
            try:
                return client.get_tag_properties(name.repository, name.tag)
            except ResourceNotFoundError:
                return None

        properties = self._call("GetTagProperties", tag_properties)
        return RemoteImage(digest=str(properties.digest)) if properties is not None else None

    def ensure_repository(self, name: ImageName) -> None:
        return None  # ACR creates a repository on its first push

    # -- plumbing -------------------------------------------------------------------------------

    def _fresh_credentials(self, refused: bool) -> PushCredentials:
        """The admin user, or an ACR refresh token exchanged for the Entra ID token."""
        if self._admin is not None:
            return PushCredentials(self.image_host, self._admin[0], self._admin[1])
        refresh_token = self._call("token exchange", self._exchange)
        return PushCredentials(self.image_host, ACR_TOKEN_USER, refresh_token, _jwt_expiry(refresh_token))

    def _exchange(self) -> str:
        """Entra ID access token → ACR refresh token (``POST /oauth2/exchange``)."""
        token = self._entra_credential().get_token(f"{self.audience}/.default").token
        reply = self._session.post(
            f"{self.endpoint}/oauth2/exchange",
            data={
                "grant_type": "access_token",
                "service": urlparse(self.endpoint).netloc,
                "access_token": token,
            },
            headers={"Accept": "application/json"},
            timeout=self.retry.timeout_seconds,
            verify=self.verify,
        )
        if reply.status_code in (401, 403):
            raise self._rejected("token exchange", f"HTTP {reply.status_code}", "Entra ID token")
        if reply.status_code >= 500 or reply.status_code == 429:
            raise _RetryableStatus(reply.status_code)
        if reply.status_code != 200:
            raise self._failed("token exchange", f"HTTP {reply.status_code}")
        try:
            refresh_token = str(reply.json()["refresh_token"])
        except (ValueError, KeyError, TypeError):
            raise RegistryError(f"{self.label()}: the token exchange returned no refresh token") from None
        return refresh_token

    def _entra_credential(self) -> Any:
        with self._lock:
            if self._credential is None:
                if self._make_credential is None:
                    raise RegistryAuthError(f"{self.label()}: no Entra ID credential configured")
                self._credential = self._make_credential()
            return self._credential

    def _api(self) -> Any:
        with self._lock:
            if self._client is None:
                from azure.containerregistry import ContainerRegistryClient

                self._client = ContainerRegistryClient(
                    endpoint=self.endpoint,
                    credential=self._entra_credential(),
                    audience=self.audience,
                    connection_verify=self.verify,
                    retry_total=0,  # faasforge.retry does it
                    connection_timeout=self.retry.timeout_seconds,
                    read_timeout=self.retry.timeout_seconds,
                )
            return self._client

    def _call(self, operation: str, call: Callable[[], T]) -> T:
        """``call()`` with retries; Azure exceptions become faasforge's, naming no secret."""
        from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

        try:
            return call_with_retries(
                call, what=f"{self.label()} {operation} ({self.endpoint})", transient=_transient,
                policy=self.retry,
            )
        except ClientAuthenticationError as exc:
            status = getattr(exc, "status_code", None)
            if status is None:  # no HTTP answer: azure-identity found or got no token at all
                raise RegistryAuthError(
                    f"no Entra ID token for {self.label()}: DefaultAzureCredential got none from the "
                    "environment, a workload or managed identity or the Azure CLI; or set the admin "
                    "credentials (docs/CLOUDS.md)"
                ) from None
            raise self._rejected(operation, f"HTTP {status}", "Entra ID credentials") from None
        except HttpResponseError as exc:
            if exc.status_code in (401, 403):
                raise self._rejected(operation, f"HTTP {exc.status_code}") from None
            raise self._failed(operation, f"HTTP {exc.status_code}") from None
        except AzureError as exc:
            raise self._failed(operation, type(exc).__name__) from None
        except requests.exceptions.SSLError:
            raise RegistryError(
                f"TLS error talking to {self.label()} at {self.endpoint} (azure.ca_bundle?)"
            ) from None


def _jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT-shaped ACR refresh token (not verified: only for caching)."""
    parts = token.split(".")
    if len(parts) < 2:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        exp = json.loads(base64.urlsafe_b64decode(payload)).get("exp")
    except (binascii.Error, ValueError, AttributeError):
        return None
    return float(exp) if isinstance(exp, (int, float)) else None


def _transient(exc: BaseException) -> str | None:
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        return type(exc).__name__
    if isinstance(exc, HttpResponseError) and exc.status_code is not None and (
        exc.status_code >= 500 or exc.status_code == 429
    ):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, _RetryableStatus):
        return f"HTTP {exc.status}"
    if isinstance(exc, requests.exceptions.SSLError):
        return None
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return type(exc).__name__
    return None

