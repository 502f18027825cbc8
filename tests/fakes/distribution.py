"""A real distribution registry (Debian's ``docker-registry``) on a free loopback port.

Started per test session with an htpasswd holding the users a cloud's data plane accepts (ECR's
``AWS``, Artifact Registry's ``oauth2accesstoken``, ACR's token user ...). The Docker engine
treats 127.0.0.0/8 registries as plain-HTTP, so pushes need no TLS.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from faasforge.ports import free_port
from tests.helpers import ACCEPT


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    body: bytes


class DistributionRegistry:
    def __init__(
        self, workdir: Path, users: dict[str, str] | None = None, token_auth: dict[str, str] | None = None
    ) -> None:
        """``users`` go to an htpasswd (basic auth); ``token_auth`` (realm, service, issuer,
        rootcertbundle) makes it ask for bearer tokens instead."""
        self.workdir = workdir
        self.users = dict(users or {})
        self.token_auth = token_auth
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def auth(self) -> tuple[str, str] | None:
        """Basic credentials the tests (and fakes) use to read it: the first user."""
        return next(iter(self.users.items())) if self.users else None

    def start(self) -> DistributionRegistry:
        binary = shutil.which("docker-registry")
        if binary is None:
            raise RuntimeError("docker-registry is not installed (scripts/services.sh up installs it)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.workdir / 'data'}",
            "  delete:",
            "    enabled: true",
            "http:",
            f"  addr: {self.host}",
        ]
        if self.token_auth:
            config += ["auth:", "  token:"] + [f"    {k}: {v}" for k, v in self.token_auth.items()]
        elif self.users:
            htpasswd = self.workdir / "htpasswd"
            htpasswd.unlink(missing_ok=True)
            for user, password in self.users.items():  # bcrypt, password on stdin (-i), not argv
                flags = "-Bic" if not htpasswd.exists() else "-Bi"
                subprocess.run(
                    ["htpasswd", flags, str(htpasswd), user], input=password.encode(),
                    check=True, capture_output=True,
                )
            config += ["auth:", "  htpasswd:", "    realm: faasforge-test", f"    path: {htpasswd}"]
        (self.workdir / "config.yml").write_text("\n".join(config) + "\n")
        log = (self.workdir / "registry.log").open("ab")
        self._process = subprocess.Popen(
            [binary, "serve", str(self.workdir / "config.yml")], stdout=log, stderr=log,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {(self.workdir / 'registry.log').read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/v2/", timeout=1).status_code in (200, 401):
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"docker-registry did not answer on {self.url}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def head(self, repository: str, reference: str) -> tuple[str, str] | None:
        """(digest, media type) of ``repository:reference``, or None when absent."""
        r = requests.head(
            f"{self.url}/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT},
            auth=self.auth, timeout=10,
        )
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.headers["Docker-Content-Digest"], r.headers["Content-Type"]

    def manifest(self, repository: str, reference: str) -> Manifest:
        r = requests.get(
            f"{self.url}/v2/{repository}/manifests/{reference}", headers={"Accept": ACCEPT},
            auth=self.auth, timeout=10,
        )
        r.raise_for_status()
        return Manifest(r.headers["Docker-Content-Digest"], r.headers["Content-Type"], r.content)

    def catalog(self) -> list[str]:
        r = requests.get(f"{self.url}/v2/_catalog", auth=self.auth, timeout=10)
        r.raise_for_status()
        return list(r.json().get("repositories") or [])

    def tags(self, repository: str) -> list[str]:
        r = requests.get(f"{self.url}/v2/{repository}/tags/list", auth=self.auth, timeout=10)
        if r.status_code == 404:
            return []
        r.raise_for_status()
        return list(r.json().get("tags") or [])
