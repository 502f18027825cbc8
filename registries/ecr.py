"""AWS Elastic Container Registry through boto3.

- Names: ``{account}.dkr.ecr.{region}.amazonaws.com/sebs-benchmarks-{resources_id}:{tag}``;
  the account comes from STS when not configured, the region from the config or the session.
- Existence: one ``DescribeImages`` for the tag (ImageNotFound / RepositoryNotFound: absent).
- Repository: created when missing (``DescribeRepositories`` then ``CreateRepository``).
- Push credentials: ``GetAuthorizationToken``, reused until they expire; dropped on a 401.
- ``describe_image`` reads the manifest from the registry's ``/v2/`` API with those credentials.
- Lambda takes single-architecture images only: a tag holding an image index counts as absent
  (it is rebuilt and replaced).

boto3 is imported when the adapter is made, never at CLI start-up.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from faasforge.registries.base import NamingOptions, PushCredentials
from faasforge.registries.cloud import CloudRegistry
from faasforge.registries.config import RetryPolicy, Section
from faasforge.registries.oci import INDEX_TYPES
from faasforge.registries.redact import install_sdk_log_redaction

from faasforge.errors import ConfigError, RegistryAuthError
from faasforge.model import ImageName, ImageRequest, RemoteImage
from faasforge.retry import call_with_retries
from faasforge.settings import Settings

__all__ = ["EcrRegistry", "ecr_host"]

log = logging.getLogger("faasforge.registries.ecr")
T = TypeVar("T")
DEFAULT_RESOURCES_ID = "default"
MISSING_CODES = frozenset({"ImageNotFoundException", "RepositoryNotFoundException"})
AUTH_CODES = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
    "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "AccessDenied",
    "AccessDeniedException", "AuthFailure", "MissingAuthenticationToken", "UnauthorizedOperation",
})
TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
    "ServiceUnavailable", "ServiceUnavailableException", "ServerException", "InternalFailure",
    "RequestTimeout", "RequestTimeoutException",
})


def ecr_host(account_id: str, region: str) -> str:
    """The registry host of an account's ECR in a region (China regions end in ``.com.cn``)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account_id}.dkr.ecr.{region}.{suffix}"


class EcrRegistry(CloudRegistry):
    """One account's ECR in one region."""

    platform = "aws"

    def __init__(
        self,
        session: Any,
        *,
        region: str,
        repository: str,
        account_id: str | None = None,
        endpoint_url: str | None = None,
        sts_endpoint_url: str | None = None,
        registry_override: str | None = None,
        naming: NamingOptions | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(naming, retry)
        self.session = session
        self.region = region
        self.repository = repository
        self.endpoint_url = endpoint_url
        self.sts_endpoint_url = sts_endpoint_url
        self.registry_override = registry_override
        self._configured_account = account_id
        self._account = account_id
        self._clients: dict[str, Any] = {}
        self._ensured: set[str] = set()
        install_sdk_log_redaction()  # botocore's DEBUG logs print the ECR token otherwise

    @classmethod
    def from_config(
        cls, section: Section, settings: Settings, naming: NamingOptions, retry: RetryPolicy
    ) -> EcrRegistry:
        session = _session(section)
        region = section.get("region") or session.region_name
        if not region:
            raise ConfigError(
                "aws needs a region: set aws.region in the registries config, FAASFORGE_AWS_REGION, "
                "AWS_REGION, or a region in the AWS profile"
            )
        resources_id = section.get("resources_id", DEFAULT_RESOURCES_ID)
        return cls(
            session,
            region=region,
            repository=settings.repository or section.get("repository") or f"sebs-benchmarks-{resources_id}",
            account_id=section.get("account_id"),
            endpoint_url=section.get("endpoint_url"),
            sts_endpoint_url=section.get("sts_endpoint_url"),
            registry_override=section.get("ecr_registry_override"),
            naming=naming,
            retry=retry,
        )

    # -- naming ---------------------------------------------------------------------------------

    def registry_host(self) -> str:
        if self.registry_override:
            return self.registry_override
        return ecr_host(self.account_id(), self.region)

    def repository_for(self, request: ImageRequest) -> str:
        return self.repository

    def account_id(self) -> str:
        """The configured account, else the caller's from ``sts:GetCallerIdentity`` (asked once)."""
        with self._lock:
            if self._account is None:
                sts = self._client("sts", self.sts_endpoint_url)
                identity = self._call("sts:GetCallerIdentity", sts.get_caller_identity)
                self._account = str(identity["Account"])
            return self._account

    # -- the Registry protocol ------------------------------------------------------------------

    def find_image(self, name: ImageName) -> RemoteImage | None:
        ecr = self._client("ecr", self.endpoint_url)
        kwargs = self._registry_id() | {
            "repositoryName": name.repository, "imageIds": [{"imageTag": name.tag}],
        }

        def describe() -> dict[str, Any] | None:
            try:
                return dict(ecr.describe_images(**kwargs))
            except Exception as exc:
                if _code(exc) in MISSING_CODES:
                    return None
                raise

        reply = self._call("ecr:DescribeImages", describe)
        if not reply or not reply.get("imageDetails"):
            return None
        detail = reply["imageDetails"][0]
        media_type = detail.get("imageManifestMediaType")
        if media_type in INDEX_TYPES:
            log.warning(
                "%s holds a multi-architecture index, which Lambda cannot run; it will be replaced "
                "by a single-architecture image", name.image_uri,
            )
            return None
        size = detail.get("imageSizeInBytes")
        return RemoteImage(
            digest=str(detail["imageDigest"]),
            compressed_bytes=int(size) if size is not None else None,
            media_type=media_type,
        )

    def ensure_repository(self, name: ImageName) -> None:
        if name.repository in self._ensured:
            return
        ecr = self._client("ecr", self.endpoint_url)
        ids = self._registry_id()

        def ensure() -> None:
            try:
                ecr.describe_repositories(repositoryNames=[name.repository], **ids)
                return
            except Exception as exc:
                if _code(exc) != "RepositoryNotFoundException":
                    raise
            try:
                ecr.create_repository(repositoryName=name.repository, **ids)
                log.info("created ECR repository %s in %s", name.repository, self.label())
            except Exception as exc:
                if _code(exc) != "RepositoryAlreadyExistsException":  # created concurrently
                    raise

        self._call("ecr:CreateRepository", ensure)
        self._ensured.add(name.repository)

    def _fresh_credentials(self, refused: bool) -> PushCredentials:
        """``AWS`` and a token from ``ecr:GetAuthorizationToken`` (kept until it expires)."""
        ecr = self._client("ecr", self.endpoint_url)
        ids = {"registryIds": [self._configured_account]} if self._configured_account else {}
        reply = self._call("ecr:GetAuthorizationToken", lambda: ecr.get_authorization_token(**ids))
        data = reply["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        expires = data.get("expiresAt")
        return PushCredentials(
            registry=self.registry_host(),
            username=username,
            password=password,
            expires_at=expires.timestamp() if expires is not None else None,
        )

    # -- plumbing -------------------------------------------------------------------------------

    def label(self) -> str:
        """How messages name this registry: its host once the account is known."""
        if self.registry_override or self._account:
            return f"ECR registry {self.registry_host()}"
        return f"ECR in {self.region}"

    def _registry_id(self) -> dict[str, str]:
        return {"registryId": self._configured_account} if self._configured_account else {}

    def _client(self, service: str, endpoint_url: str | None) -> Any:
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            if service not in self._clients:
                from botocore.config import Config

                config = Config(
                    retries={"total_max_attempts": 1, "mode": "standard"},  # faasforge.retry does it
                    connect_timeout=self.retry.timeout_seconds,
                    read_timeout=self.retry.timeout_seconds,
                    user_agent_extra="faasforge",
                )
                self._clients[service] = self.session.client(
                    service, region_name=self.region, endpoint_url=endpoint_url, config=config
                )
            return self._clients[service]

    def _call(self, operation: str, call: Callable[[], T]) -> T:
        """``call()`` with retries; boto exceptions become faasforge's, naming no secret."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        service = operation.split(":", 1)[0]
        endpoint = (self.sts_endpoint_url if service == "sts" else self.endpoint_url) or f"{service} in {self.region}"
        try:
            return call_with_retries(
                call, what=f"AWS {operation} ({endpoint})", transient=_transient, policy=self.retry
            )
        except (NoCredentialsError, PartialCredentialsError):
            raise RegistryAuthError(
                f"no AWS credentials for {self.label()}: set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, aws.profile or aws.prefect_block (docs/CLOUDS.md)"
            ) from None
        except ClientError as exc:
            code, status = _code(exc), _status(exc)
            if code in AUTH_CODES or status in (401, 403):
                shown = code if code and not code.isdigit() else f"HTTP {status}"
                raise self._rejected(operation, shown, "AWS credentials") from None
            raise self._failed(operation, code or status) from None
        except BotoCoreError as exc:
            raise self._failed(operation, type(exc).__name__) from None


def _session(section: Section) -> Any:
    """A boto3 session: a Prefect AwsCredentials block, a profile, or the default chain."""
    block = section.get("prefect_block")
    if block:
        from faasforge.registries.blocks import aws_session_from_block

        return aws_session_from_block(block)
    import boto3
    from botocore.exceptions import ProfileNotFound

    profile = section.get("profile")
    try:
        return boto3.session.Session(profile_name=profile, region_name=section.get("region"))
    except ProfileNotFound:
        raise ConfigError(
            f"AWS profile {profile!r} ({section.describe('profile')}) is not in ~/.aws/config "
            "or ~/.aws/credentials"
        ) from None


def _code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def _transient(exc: BaseException) -> str | None:
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError)):
        return type(exc).__name__
    if isinstance(exc, ClientError):
        code, status = _code(exc), _status(exc)
        if code in TRANSIENT_CODES or (status is not None and (status >= 500 or status == 429)):
            return code or f"HTTP {status}"
    return None
