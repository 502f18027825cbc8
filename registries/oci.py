"""Any OCI distribution registry (the ``local`` platform, OpenWhisk's Docker Hub, private ones).

Existence is one manifest HEAD with the OCI and Docker manifest Accept headers; auth follows the
registry's challenge: anonymous, HTTP basic, or the bearer-token flow.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse, urlsplit

import requests
from faasforge.registries.base import NamedRegistry, NamingOptions, PushCredentials

from faasforge.errors import InvalidValue, RegistryAuthError, RegistryError, UsageError
from faasforge.index import image_index
from faasforge.model import ImageName, ImageRequest, RemoteImage
from faasforge.redaction import has_userinfo
from faasforge.retry import RetryPolicy, call_with_retries

MANIFEST_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
CREDENTIALS_HINT = (
    "FAASFORGE_REGISTRY_USERNAME and FAASFORGE_REGISTRY_PASSWORD (local), "
    "FAASFORGE_OPENWHISK_USERNAME and FAASFORGE_OPENWHISK_PASSWORD (openwhisk), or the cloud's "
    "credential chain (docs/CLOUDS.md)"
)
REGISTRY_RULE = "host[:port][/namespace], optionally prefixed by http:// or https://"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?$")
_NAMESPACE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
DOCKER_HUB_HOSTS = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class RegistryAddress:
    """A parsed registry setting: how to reach it and how image names spell it."""

    scheme: str  # http or https
    host: str  # host[:port] as in image names
    namespace: str  # "" or a path prefix for repositories

    @property
    def api_base(self) -> str:
        host = "registry-1.docker.io" if self.host in DOCKER_HUB_HOSTS else self.host
        return f"{self.scheme}://{host}"

    @property
    def is_docker_hub(self) -> bool:
        return self.host in DOCKER_HUB_HOSTS

    @property
    def server_address(self) -> str:
        """What Docker calls the registry in auth configs."""
        return "https://index.docker.io/v1/" if self.is_docker_hub else self.host


def parse_registry(text: str) -> RegistryAddress:
    """Parse ``127.0.0.1:5000``, ``https://registry.example.com/team`` or ``docker.io/user``."""
    raw = text.strip()
    if has_userinfo(raw):
        host = raw.rsplit("@", 1)[1].split("/", 1)[0]
        raise UsageError(
            f"the registry address for {host!r} holds credentials (user:password@); an address "
            f"takes none: set {CREDENTIALS_HINT}"
        )
    if not raw or any(c.isspace() for c in raw):
        raise InvalidValue("registry", text, REGISTRY_RULE)
    scheme = ""
    if "://" in raw:
        parsed = urlparse(raw)
        if parsed.scheme not in ("http", "https") or parsed.query or parsed.fragment or parsed.params:
            raise InvalidValue("registry", text, REGISTRY_RULE)
        scheme = parsed.scheme
        raw = (parsed.netloc + parsed.path).rstrip("/")
    host, _, namespace = raw.partition("/")
    if not _HOST.match(host) or (namespace and not _NAMESPACE.match(namespace)):
        raise InvalidValue("registry", text, REGISTRY_RULE)
    if ":" in host and not 0 < int(host.rsplit(":", 1)[1]) < 65536:
        raise InvalidValue("registry", text, REGISTRY_RULE)
    if not scheme:
        hostname = host.rsplit(":", 1)[0]
        loopback = hostname in ("localhost",) or hostname.startswith("127.")
        scheme = "http" if loopback else "https"
    return RegistryAddress(scheme=scheme, host=host, namespace=namespace)


class _RetryableStatus(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


def _transient(exc: Exception) -> str | None:
    """Connection errors, timeouts, 429 and 5xx are worth another try (the reason names the type
    or the status, never a body)."""
    if isinstance(exc, _RetryableStatus):
        return f"HTTP {exc.status}"
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return type(exc).__name__
    return None


def _env_ca_bundle() -> bool | str:
    """The CA bundle requests would take from the environment, else the default trust."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


class OciClient:
    """Minimal distribution-API client: manifests only, with auth and retries."""

    def __init__(
        self,
        address: RegistryAddress,
        credentials: Callable[[], PushCredentials | None] = lambda: None,
        *,
        session: requests.Session | None = None,
        verify: bool | str = True,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.address = address
        self._credentials = credentials
        self.session = session or requests.Session()
        # The environment (proxies, CA bundle) is read once per host here instead of by requests
        # on every call, which cost ~0.4 ms of a ~1.5 ms manifest HEAD.
        self.session.trust_env = False
        self.session.verify = _env_ca_bundle() if verify is True else verify
        self._proxies: dict[str, dict[str, str]] = {}
        self.retry = retry or RetryPolicy()
        self.timeout_seconds = self.retry.timeout_seconds
        self._tokens: dict[str, str] = {}

    @classmethod
    def for_host(
        cls,
        host: str,
        credentials: Callable[[], PushCredentials | None],
        retry: RetryPolicy,
        verify: bool | str = True,
    ) -> OciClient:
        """A client for a cloud registry's data plane (the ``/v2/`` API Docker pushes to)."""
        return cls(parse_registry(host), credentials, verify=verify, retry=retry)

    def _proxies_for(self, url: str) -> dict[str, str]:
        """The proxies the environment sets for this URL's host (``*_proxy``, ``no_proxy``)."""
        host = urlsplit(url).netloc
        proxies = self._proxies.get(host)
        if proxies is None:
            proxies = self._proxies[host] = requests.utils.get_environ_proxies(url)
        return proxies

    def clear_tokens(self) -> None:
        """Forget bearer tokens, e.g. after the credentials behind them were refreshed."""
        self._tokens.clear()

    def _send(
        self, method: str, url: str, headers: dict[str, str], data: bytes | None = None
    ) -> requests.Response:
        """One request, retried by the one policy (faasforge.retry) on connection errors,
        timeouts, HTTP 429 and 5xx."""

        def once() -> requests.Response:
            try:
                response = self.session.request(
                    method, url, headers=headers, data=data, timeout=self.timeout_seconds,
                    allow_redirects=True, proxies=self._proxies_for(url),
                )
            except requests.exceptions.SSLError as exc:
                raise RegistryError(
                    f"TLS error talking to registry {self.address.host}: {type(exc).__name__}"
                ) from None
            if response.status_code >= 500 or response.status_code == 429:
                raise _RetryableStatus(response.status_code)
            return response

        return call_with_retries(
            once, what=f"registry {self.address.host}", transient=_transient, policy=self.retry
        )

    def request(
        self, method: str, path: str, scope: str, accept: str | None = None,
        data: bytes | None = None, content_type: str | None = None,
    ) -> requests.Response:
        url = f"{self.address.api_base}{path}"
        headers = {"Accept": accept} if accept else {}
        if content_type:
            headers["Content-Type"] = content_type
        token = self._tokens.get(scope)
        if token:
            headers["Authorization"] = token
        response = self._send(method, url, headers, data)
        if response.status_code == 401:
            challenge = response.headers.get("WWW-Authenticate", "")
            headers["Authorization"] = self._authorize(challenge, scope)
            self._tokens[scope] = headers["Authorization"]
            response = self._send(method, url, headers, data)
        if response.status_code in (401, 403):
            self._tokens.pop(scope, None)
            raise RegistryAuthError(
                f"registry {self.address.host} rejected the credentials (HTTP {response.status_code})"
            )
        return response

    def _authorize(self, challenge: str, scope: str) -> str:
        creds = self._credentials()
        kind, _, params_text = challenge.partition(" ")
        if kind.lower() == "basic":
            if creds is None:
                raise RegistryAuthError(
                    f"registry {self.address.host} needs credentials and none are configured"
                )
            pair = f"{creds.username}:{creds.password}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        if kind.lower() != "bearer":
            raise RegistryAuthError(
                f"registry {self.address.host} asks for unsupported auth scheme {kind!r}"
            )
        params = dict(re.findall(r'(\w+)="([^"]*)"', params_text))
        realm = params.get("realm")
        if not realm:
            raise RegistryAuthError(f"registry {self.address.host} sent a bearer challenge without realm")
        query: dict[str, str] = {"scope": scope}
        if "service" in params:
            query["service"] = params["service"]
        auth = (creds.username, creds.password) if creds else None

        def fetch() -> requests.Response:
            return self.session.get(
                realm, params=query, auth=auth, timeout=self.timeout_seconds, proxies=self._proxies_for(realm)
            )

        reply = call_with_retries(
            fetch, what=f"token service of registry {self.address.host}", transient=_transient, policy=self.retry
        )
        if reply.status_code != 200:
            raise RegistryAuthError(
                f"registry {self.address.host} rejected the credentials (token service HTTP {reply.status_code})"
            )
        body = reply.json()
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryAuthError(f"registry {self.address.host}: token service returned no token")
        return f"Bearer {token}"

    def head_manifest(self, repository: str, reference: str) -> RemoteImage | None:
        """One HEAD: the digest if the registry holds ``repository:reference``, else None."""
        headers = self._manifest_headers(repository, reference)
        if headers is None:
            return None
        return RemoteImage(digest=headers.get("Docker-Content-Digest", ""), media_type=headers.get("Content-Type"))

    def manifest_descriptor(self, repository: str, reference: str) -> dict[str, Any] | None:
        """One HEAD: ``{mediaType, digest, size}`` of ``repository:reference``, or None if absent."""
        headers = self._manifest_headers(repository, reference)
        if headers is None:
            return None
        return {
            "mediaType": headers.get("Content-Type", ""),
            "digest": headers.get("Docker-Content-Digest", ""),
            "size": int(headers.get("Content-Length", "0")),
        }

    def _manifest_headers(self, repository: str, reference: str) -> Mapping[str, str] | None:
        """The headers of one manifest HEAD, or None when the registry answers 404."""
        response = self.request(
            "HEAD", f"/v2/{repository}/manifests/{reference}", f"repository:{repository}:pull", MANIFEST_ACCEPT
        )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryError(
                f"registry {self.address.host} answered HTTP {response.status_code} for {repository}:{reference}"
            )
        return response.headers

    def put_manifest(self, repository: str, reference: str, body: bytes, media_type: str) -> str:
        """One PUT of a manifest (an image index, say); its digest."""
        response = self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", f"repository:{repository}:pull,push",
            data=body, content_type=media_type,
        )
        if response.status_code not in (200, 201):
            try:
                code = str(response.json()["errors"][0]["code"])
            except (ValueError, KeyError, IndexError, TypeError):
                code = "no error code"
            raise RegistryError(
                f"registry {self.address.host} refused the manifest {repository}:{reference} "
                f"(HTTP {response.status_code}, {code})"
            )
        return response.headers.get("Docker-Content-Digest", "")

    def get_manifest(self, repository: str, reference: str) -> tuple[dict[str, Any], RemoteImage]:
        response = self.request(
            "GET", f"/v2/{repository}/manifests/{reference}", f"repository:{repository}:pull", MANIFEST_ACCEPT
        )
        if response.status_code != 200:
            raise RegistryError(
                f"registry {self.address.host} answered HTTP {response.status_code} for {repository}:{reference}"
            )
        manifest = json.loads(response.content)
        media_type = response.headers.get("Content-Type") or manifest.get("mediaType")
        compressed: int | None = None
        if media_type not in INDEX_TYPES:
            layers = manifest.get("layers", [])
            config = manifest.get("config", {})
            compressed = sum(int(layer.get("size", 0)) for layer in layers) + int(config.get("size", 0))
        return manifest, RemoteImage(
            digest=response.headers.get("Docker-Content-Digest", ""),
            compressed_bytes=compressed,
            media_type=media_type,
        )


class OciRegistry(NamedRegistry):
    """``{registry}/{namespace/}{repository}:{tag}`` on any OCI distribution registry."""

    def __init__(
        self,
        registry: str,
        repository: str = "faasforge-benchmarks",
        *,
        platform: str = "local",
        username: str | None = None,
        password: str | None = None,
        naming: NamingOptions | None = None,
        verify: bool | str = True,
        client: OciClient | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(naming)
        self.platform = platform
        self.address = parse_registry(registry)
        self.repository = repository
        self._username = username
        self._password = password
        self.client = client or OciClient(self.address, self.push_credentials, verify=verify, retry=retry)

    @classmethod
    def from_environment(
        cls,
        registry: str,
        repository: str | None,
        platform: str,
        naming: NamingOptions,
        retry: RetryPolicy | None = None,
    ) -> OciRegistry:
        """Credentials from ``FAASFORGE_REGISTRY_USERNAME`` / ``FAASFORGE_REGISTRY_PASSWORD``."""
        return cls(
            registry,
            repository or "faasforge-benchmarks",
            platform=platform,
            username=os.environ.get("FAASFORGE_REGISTRY_USERNAME"),
            password=os.environ.get("FAASFORGE_REGISTRY_PASSWORD"),
            naming=naming,
            verify=os.environ.get("FAASFORGE_REGISTRY_CA_BUNDLE") or True,
            retry=retry,
        )

    def registry_host(self) -> str:
        return self.address.host

    def repository_for(self, request: ImageRequest) -> str:
        return f"{self.address.namespace}/{self.repository}" if self.address.namespace else self.repository

    def ensure_repository(self, name: ImageName) -> None:
        return None  # distribution registries create repositories on first push

    def find_image(self, name: ImageName) -> RemoteImage | None:
        return self.client.head_manifest(name.repository, name.tag)

    def describe_image(self, name: ImageName) -> RemoteImage:
        return self.client.get_manifest(name.repository, name.tag)[1]

    def push_credentials(self) -> PushCredentials | None:
        if self._username and self._password is not None:
            return PushCredentials(self.address.server_address, self._username, self._password)
        return None

    def invalidate_credentials(self) -> None:
        self.client.clear_tokens()

    def publish_index(self, name: ImageName, children: Sequence[tuple[str, ImageName]]) -> RemoteImage:
        """One image index over ``children`` ((architecture, name) pairs, pushed to the same
        repository), published as ``name`` with one manifest PUT; a hash-style index tag the
        registry already holds is left as it is."""
        if self.naming.tag_style == "hash":
            existing = self.client.head_manifest(name.repository, name.tag)
            if existing is not None:
                return existing
        descriptors = []
        for architecture, child in children:
            descriptor = self.client.manifest_descriptor(child.repository, child.tag)
            if descriptor is None:
                raise RegistryError(f"registry {self.address.host} does not hold {child.image_uri} for the index")
            descriptors.append((architecture, descriptor))
        body, media_type = image_index(descriptors)
        digest = self.client.put_manifest(name.repository, name.tag, body, media_type)
        return RemoteImage(digest=digest, media_type=media_type)
