"""The bearer-token side of the distribution auth spec: a token server for a real
``docker-registry`` configured with ``auth.token`` (what Docker Hub and most private registries do).

The registry answers 401 with ``WWW-Authenticate: Bearer realm=...,service=...,scope=...``; clients
(the Docker engine when pushing, faasforge's OciClient when checking) fetch a token from the realm
with HTTP basic credentials. Tokens are RS256 JWTs carrying the signing certificate in ``x5c``;
the registry trusts that certificate (``rootcertbundle``).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.server import Reply, Request

SERVICE = "faasforge-test-registry"
ISSUER = "faasforge-test-token-issuer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    def __init__(self, users: dict[str, str], certificate: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        self.users = users
        self.certificate = certificate
        self.key = key
        self.issued = 0

    def handle(self, request: Request) -> Reply:
        kind, _, encoded = request.header("Authorization").partition(" ")
        user, _, password = base64.b64decode(encoded or "").decode().partition(":") if kind == "Basic" else ("", "", "")
        if not user or self.users.get(user) != password:
            return Reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
        access = []
        for pair in request.target.split("?", 1)[-1].split("&"):  # scope may repeat
            key, _, value = pair.partition("=")
            if key == "scope":
                kind_, name, actions = unquote(value).split(":")
                access.append({"type": kind_, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()]}
        claims = {
            "iss": ISSUER, "sub": user, "aud": request.query.get("service", SERVICE), "exp": now + 300,
            "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access,
        }
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{signing_input}.{_b64(signature)}"
        self.issued += 1
        return Reply(200, {"token": token, "access_token": token, "expires_in": 300})
