"""Fresh throw-away keys, the JWKS publishing them, and signed tokens (made with ``cryptography``).

The JWKS holds 12 keys: one signing key per benchmarked algorithm (RS256, PS256, ES256, EdDSA),
each pinned to its algorithm with ``alg``, among 8 decoys of every kind, so every library has to
find its key by ``kid``. Besides the good token per algorithm, :func:`make_fixture` mints the bad
tokens :mod:`.conformance` uses to prove each validator checks everything.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from .policy import AUDIENCE, ISSUER, REQUIRED_SCOPES

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int, length: int | None = None) -> bytes:
    size = length if length is not None else max(1, (value.bit_length() + 7) // 8)
    return value.to_bytes(size, "big")


def _generate(alg: str) -> PrivateKey:
    if alg in ("RS256", "PS256"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def public_jwk(key: PrivateKey, kid: str, alg: str | None) -> dict[str, str]:
    """The public JWK of ``key`` (``use: sig``; ``alg`` when given)."""
    jwk: dict[str, str]
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.public_key().public_numbers()
        jwk = {"kty": "RSA", "n": b64url(_uint(numbers.n)), "e": b64url(_uint(numbers.e))}
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        point = key.public_key().public_numbers()
        x, y = b64url(_uint(point.x, 32)), b64url(_uint(point.y, 32))
        jwk = {"kty": "EC", "crv": "P-256", "x": x, "y": y}
    else:
        raw = key.public_key().public_bytes_raw()
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
    jwk.update({"use": "sig", "kid": kid})
    if alg is not None:
        jwk["alg"] = alg
    return jwk


def _sign(key: PrivateKey, alg: str, message: bytes) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        if alg == "RS256":
            return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        return key.sign(message, pss, hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        return _uint(r, 32) + _uint(s, 32)
    return key.sign(message)


def sign_jwt(key: PrivateKey, alg: str, kid: str, claims: dict[str, Any]) -> str:
    """A compact JWS of ``claims`` with header ``{alg, typ: JWT, kid}``."""
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    )
    signature = _sign(key, alg, signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def good_claims(alg: str, now: int) -> dict[str, Any]:
    """The claims of a typical IdP access token for this resource."""
    return {
        "iss": ISSUER,
        "sub": "user-4711",
        "aud": [AUDIENCE, "account"],
        "azp": "mcp-bench-client",
        "scope": "openid profile " + " ".join(REQUIRED_SCOPES) + " offline_access",
        "iat": now - 30,
        "nbf": now - 30,
        "exp": now + 3600,
        "jti": f"bench-{alg}-0001",
        "client_id": "mcp-bench-client",
    }


@dataclass
class AlgorithmTokens:
    """The good token of one algorithm and the bad ones that must be refused."""

    alg: str
    good: str
    bad: dict[str, str] = field(default_factory=dict)


@dataclass
class Fixture:
    """The JWKS (as a dict and as JSON text) and the tokens per algorithm."""

    jwks: dict[str, Any]
    jwks_json: str
    tokens: dict[str, AlgorithmTokens]


def _bad_tokens(key: PrivateKey, alg: str, kid: str, now: int, good: str) -> dict[str, str]:
    def variant(**changes: object) -> str:
        claims = good_claims(alg, now)
        for name, value in changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return sign_jwt(key, alg, kid, claims)

    head, _, signature = good.split(".")
    forged_claims = good_claims(alg, now) | {"sub": "admin"}
    forged_payload = b64url(json.dumps(forged_claims, separators=(",", ":")).encode())
    return {
        "forged payload (signature of another payload)": f"{head}.{forged_payload}.{signature}",
        "expired": variant(exp=now - 3600, iat=now - 7200, nbf=now - 7200),
        "not yet valid (nbf)": variant(nbf=now + 3600),
        "no exp": variant(exp=None),
        "other issuer": variant(iss=ISSUER + "-evil"),
        "other audience": variant(aud="https://other.example/mcp"),
        "no aud": variant(aud=None),
        "missing scope mcp:write": variant(scope="openid mcp:read"),
        "unknown kid": sign_jwt(key, alg, kid + "-unknown", good_claims(alg, now)),
    }


def make_fixture(now: int | None = None) -> Fixture:
    """Generate keys and tokens; ``now`` defaults to the current time."""
    now = int(time.time()) if now is None else now
    decoy_kinds = ["RS256", "ES256", "RS256", "EdDSA", "RS256", "ES256", "RS256", "EdDSA"]
    members: list[dict[str, str]] = []
    tokens: dict[str, AlgorithmTokens] = {}
    for i, alg in enumerate(("RS256", "PS256", "ES256", "EdDSA")):
        for j, kind in enumerate(decoy_kinds[2 * i : 2 * i + 2]):
            members.append(public_jwk(_generate(kind), f"decoy-{i}-{j}", None))
        kid = f"bench-{alg.lower()}"
        key = _generate(alg)
        members.append(public_jwk(key, kid, alg))
        good = sign_jwt(key, alg, kid, good_claims(alg, now))
        tokens[alg] = AlgorithmTokens(alg, good, _bad_tokens(key, alg, kid, now, good))
    jwks = {"keys": members}
    return Fixture(jwks=jwks, jwks_json=json.dumps(jwks), tokens=tokens)
