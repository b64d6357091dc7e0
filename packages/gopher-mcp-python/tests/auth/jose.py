"""Test-side JOSE: keys, JWKS and signed JWTs made with ``cryptography`` (not the engine)."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, size: int | None = None) -> str:
    length = size if size is not None else (value.bit_length() + 7) // 8
    return b64url(value.to_bytes(length, "big"))


@dataclass
class SigningKey:
    """A private key with its kid and algorithm."""

    kid: str
    alg: str
    private: Any

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK."""
        if self.alg == "RS256":
            numbers = self.private.public_key().public_numbers()
            return {
                "kty": "RSA",
                "kid": self.kid,
                "alg": "RS256",
                "use": "sig",
                "n": _uint(numbers.n),
                "e": _uint(numbers.e),
            }
        numbers = self.private.public_key().public_numbers()
        return {
            "kty": "EC",
            "kid": self.kid,
            "alg": "ES256",
            "use": "sig",
            "crv": "P-256",
            "x": _uint(numbers.x, 32),
            "y": _uint(numbers.y, 32),
        }

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        """A compact JWS of ``claims``."""
        head = {"alg": self.alg, "typ": "JWT", "kid": self.kid, **(header or {})}
        signing_input = (
            b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
        ).encode("ascii")
        if self.alg == "RS256":
            signature = self.private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            der = self.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input.decode("ascii") + "." + b64url(signature)


def rsa_key(kid: str) -> SigningKey:
    """A fresh 2048-bit RSA key for RS256."""
    return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ec_key(kid: str) -> SigningKey:
    """A fresh P-256 key for ES256."""
    return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))


def jwks_of(*keys: SigningKey) -> dict[str, Any]:
    """The JWK Set of ``keys``' public halves."""
    return {"keys": [k.public_jwk() for k in keys]}


def claims(
    issuer: str,
    audience: str | list[str],
    *,
    scope: str = "",
    sub: str = "user-1",
    lifetime: int = 300,
    **extra: Any,
) -> dict[str, Any]:
    """Typical access-token claims, valid from now for ``lifetime`` seconds."""
    now = int(time.time())
    out: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
    }
    if scope:
        out["scope"] = scope
    out.update(extra)
    return out
