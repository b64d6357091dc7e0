"""A DEVELOPMENT-ONLY identity provider on loopback, so one command demos the whole flow.

It publishes a JWKS and a ``client_credentials`` token endpoint that mints short-lived RS256
access tokens for the MCP resource with the scopes asked for. It has one fixed demo client, keeps
its signing key in memory only, and refuses to listen on anything but a loopback address.
Never use it for anything but local development and demos.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

__all__ = [
    "DEV_CLIENT_ID",
    "DEV_CLIENT_SECRET",
    "DevIdentityProvider",
    "JwtSigner",
    "require_loopback",
]

DEV_CLIENT_ID = "demo-client"
#: Published in the README on purpose: the dev IdP is a loopback-only demo, not a real IdP.
DEV_CLIENT_SECRET = "demo-secret-development-only"  # noqa: S105
TOKEN_LIFETIME = 300
MAX_FORM_BYTES = 65_536


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, size: int) -> str:
    return _b64url(value.to_bytes(size, "big"))


def require_loopback(host: str) -> None:
    """Raise ``ValueError`` unless ``host`` is a loopback address or ``localhost``."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(
        f"the development IdP only listens on loopback, not {host!r} "
        "(use 127.0.0.1, ::1 or localhost)"
    )


@dataclass
class JwtSigner:
    """Signs JWTs with one RS256 or ES256 key (``cryptography``) and publishes its JWK."""

    alg: str = "RS256"
    kid: str = field(default_factory=lambda: "dev-" + secrets.token_hex(4))
    _key: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.alg == "RS256":
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif self.alg == "ES256":
            self._key = ec.generate_private_key(ec.SECP256R1())
        else:
            raise ValueError(f"unsupported algorithm {self.alg!r}; use RS256 or ES256")

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK."""
        numbers = self._key.public_key().public_numbers()
        if self.alg == "RS256":
            size = (numbers.n.bit_length() + 7) // 8
            return {
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": self.kid,
                "n": _uint(numbers.n, size),
                "e": _uint(numbers.e, 3),
            }
        return {
            "kty": "EC",
            "use": "sig",
            "alg": "ES256",
            "kid": self.kid,
            "crv": "P-256",
            "x": _uint(numbers.x, 32),
            "y": _uint(numbers.y, 32),
        }

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS (``typ: at+jwt``) of ``claims``."""
        header = {"alg": self.alg, "typ": "at+jwt", "kid": self.kid}
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        data = signing_input.encode("ascii")
        if self.alg == "RS256":
            signature = self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input + "." + _b64url(signature)


class DevIdentityProvider:
    """The development IdP; ``start()`` serves it in a background thread."""

    def __init__(self, host: str, port: int, *, audience: str, scopes: tuple[str, ...]) -> None:
        require_loopback(host)
        self.audience = audience
        self.scopes = scopes
        self.signer = JwtSigner("RS256")
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        bound_port = self._server.server_address[1]
        self.issuer = f"http://{'[' + host + ']' if ':' in host else host}:{bound_port}"
        self._thread: threading.Thread | None = None

    @property
    def jwks_uri(self) -> str:
        """The JWKS URL."""
        return self.issuer + "/jwks"

    @property
    def token_url(self) -> str:
        """The token endpoint URL."""
        return self.issuer + "/token"

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 metadata of this IdP."""
        return {
            "issuer": self.issuer,
            "token_endpoint": self.token_url,
            "jwks_uri": self.jwks_uri,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": list(self.scopes),
            "response_types_supported": [],
        }

    def issue(self, client_id: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """A token response for ``client_id`` granting ``scopes``."""
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": client_id,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "jti": secrets.token_hex(8),
            "client_id": client_id,
            "scope": " ".join(scopes),
        }
        return {
            "access_token": self.signer.sign(claims),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "scope": " ".join(scopes),
        }

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="dev-idp",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def _token_response(
        self, form: dict[str, list[str]], authorization: str | None
    ) -> tuple[int, dict[str, Any]]:
        client_id, secret = _client_credentials(form, authorization)
        if not (
            hmac.compare_digest(client_id, DEV_CLIENT_ID)
            and hmac.compare_digest(secret, DEV_CLIENT_SECRET)
        ):
            return 401, {"error": "invalid_client", "error_description": "unknown client"}
        if form.get("grant_type", [""])[0] != "client_credentials":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "only client_credentials is supported",
            }
        resource = form.get("resource", [self.audience])[0]
        if resource != self.audience:
            return 400, {
                "error": "invalid_target",
                "error_description": f"the only resource is {self.audience}",
            }
        requested = tuple(dict.fromkeys(form.get("scope", [""])[0].split()))
        unknown = [s for s in requested if s not in self.scopes]
        if unknown:
            return 400, {
                "error": "invalid_scope",
                "error_description": f"unknown scope(s): {' '.join(unknown)}",
            }
        return 200, self.issue(client_id, requested)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "gopher-dev-idp"

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/jwks":
                    self._send(200, {"keys": [idp.signer.public_jwk()]})
                elif self.path in (
                    "/.well-known/openid-configuration",
                    "/.well-known/oauth-authorization-server",
                ):
                    self._send(200, idp.metadata())
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                if self.path != "/token":
                    self._send(404, {"error": "not_found"})
                    return
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 <= length <= MAX_FORM_BYTES:
                    self._send(
                        400, {"error": "invalid_request", "error_description": "bad Content-Length"}
                    )
                    return
                form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
                status, payload = idp._token_response(form, self.headers.get("Authorization"))
                self._send(status, payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def _client_credentials(form: dict[str, list[str]], authorization: str | None) -> tuple[str, str]:
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except ValueError:
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return form.get("client_id", [""])[0], form.get("client_secret", [""])[0]
