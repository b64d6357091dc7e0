"""Signing keys of the development IdP: one RS256 or ES256 key in memory, its public JWK."""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

__all__ = ["JwtSigner", "b64url", "require_loopback"]


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, size: int) -> str:
    return b64url(value.to_bytes(size, "big"))


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
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        data = signing_input.encode("ascii")
        if self.alg == "RS256":
            signature = self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return signing_input + "." + b64url(signature)
