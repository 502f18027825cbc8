"""What the cloud adapters (ECR, Artifact Registry, ACR) share: short-lived push credentials and
the ``/v2/`` data plane that reads manifests with them."""

from __future__ import annotations

import threading

from faasforge.registries.base import NamedRegistry, NamingOptions, PushCredentials
from faasforge.registries.config import RetryPolicy
from faasforge.registries.oci import OciClient

from faasforge.errors import RegistryAuthError, RegistryError, UsageError
from faasforge.model import ImageName, RemoteImage


class CloudRegistry(NamedRegistry):
    """A registry whose pushes take a token from the cloud's own API.

    The token is kept until it is about to expire or a push is refused
    (``invalidate_credentials``, after a 401); the next ``push_credentials`` then fetches a new
    one through ``_fresh_credentials``, told whether the last one was refused. Manifests (digest,
    compressed size) are read over the registry's ``/v2/`` API with the same credentials.
    """

    #: why only x64 images are accepted here, or None when arm64 is fine too
    x64_only_because: str | None = None

    def __init__(self, naming: NamingOptions | None, retry: RetryPolicy | None, verify: bool | str = True) -> None:
        super().__init__(naming)
        self.retry = retry or RetryPolicy()
        self.verify = verify
        self._lock = threading.RLock()
        self._push: PushCredentials | None = None
        self._refused = False
        self._oci: OciClient | None = None

    def label(self) -> str:
        """How messages name this registry."""
        raise NotImplementedError

    def _rejected(self, operation: str, answer: str, what: str = "credentials", hint: str = "") -> RegistryAuthError:
        """The cloud refused ``what`` for ``operation`` (``answer``: its HTTP status or error code)."""
        return RegistryAuthError(f"{self.label()} rejected the {what} ({operation}: {answer}){hint}")

    def _failed(self, operation: str, detail: object) -> RegistryError:
        """``operation`` failed otherwise (``detail``: a status, an error code or an exception's class)."""
        return RegistryError(f"{operation} failed for {self.label()}: {detail}")

    def _fresh_credentials(self, refused: bool) -> PushCredentials:
        """New push credentials from the cloud's API; ``refused``: the last ones got a 401."""
        raise NotImplementedError

    def check_architecture(self, architecture: str) -> None:
        if self.x64_only_because and architecture != "x64":
            raise UsageError(
                f"{self.platform} takes x64 images only ({self.x64_only_because}); {architecture} was requested"
            )

    def push_credentials(self) -> PushCredentials | None:
        with self._lock:
            if self._push is None or self._push.expired():
                self._push = self._fresh_credentials(self._refused)
                self._refused = False
            return self._push

    def invalidate_credentials(self) -> None:
        with self._lock:
            self._push = None
            self._refused = True
            if self._oci is not None:
                self._oci.clear_tokens()

    def describe_image(self, name: ImageName) -> RemoteImage:
        return self._data_plane().get_manifest(name.repository, name.tag)[1]

    def _data_plane(self) -> OciClient:
        with self._lock:
            if self._oci is None:
                self._oci = OciClient.for_host(
                    self.registry_host(), self.push_credentials, self.retry, verify=self.verify
                )
            return self._oci
