"""Test tokens, minted with PyJWT (a JOSE implementation independent of the engine under test).

:class:`TokenKit` holds signing keys by ``kid`` and mints access tokens for one issuer and
audience; :func:`token_classes` builds the request mix of the soak and injection tests — each
class with the HTTP status the server must answer.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["ISSUER", "SigningKey", "TokenClass", "TokenKit", "token_classes"]

ISSUER = "http://127.0.0.1/robustness-idp"


@dataclass(frozen=True)
class SigningKey:
    """An RS256 key and its ``kid``."""

    kid: str
    private: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        """A fresh 2048-bit RSA key."""
        return cls(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK (``use: sig``, ``alg: RS256``)."""
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return jwk


@dataclass
class TokenKit:
    """Mints RS256 access tokens for ``audience``."""

    audience: str
    issuer: str = ISSUER

    def mint(self, key: SigningKey, *, unique: bool = False, **overrides: object) -> str:
        """A token signed by ``key``; ``overrides`` replace claims (``None`` removes one)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "robustness-user",
            "aud": self.audience,
            "iat": now - 5,
            "exp": now + 3600,
            "scope": "mcp:read",
            "client_id": "robustness-client",
        }
        if unique:
            claims["jti"] = secrets.token_hex(8)
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(
            claims, key.private, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"}
        )

    def mint_of_length(self, key: SigningKey, length: int) -> str:
        """A valid token of ``length`` characters, or 1-2 fewer, padded with a ``pad`` claim.

        (base64url cannot make every length.) Big tokens are real: an IdP that puts groups or
        roles into its access tokens sends 10+ KB.
        """
        pad = max(0, (length - len(self.mint(key))) * 3 // 4)
        token = self.mint(key, pad="p" * pad)
        for _ in range(64):  # the estimate is off by a few characters at most
            if len(token) > length and pad > 0:
                pad -= 1
                token = self.mint(key, pad="p" * pad)
                continue
            longer = self.mint(key, pad="p" * (pad + 1))
            if len(longer) > length:
                break
            pad, token = pad + 1, longer
        if not length - 2 <= len(token) <= length:
            raise ValueError(f"no token of {length} characters (got {len(token)})")
        return token


@dataclass(frozen=True)
class TokenClass:
    """One kind of request of the traffic mix and the status it must get."""

    name: str
    tokens: tuple[str | None, ...]  # None: no Authorization header
    tool: str | None  # None: tools/list
    expected_status: int


def token_classes(kit: TokenKit, key: SigningKey, *, unique_pool: int = 200) -> list[TokenClass]:
    """The request mix: valid tokens (repeated and unique) and every kind of refusal."""
    stranger = SigningKey.generate(key.kid)  # same kid, other key: the signature fails
    valid = kit.mint(key)
    expired = kit.mint(key, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    forged = valid.rsplit(".", 1)[0] + "." + kit.mint(stranger).rsplit(".", 1)[1]
    return [
        TokenClass("valid_repeated_call", (valid,), "get-weather", 200),
        TokenClass(
            "valid_unique_call",
            tuple(kit.mint(key, unique=True) for _ in range(unique_pool)),
            "get-weather",
            200,
        ),
        TokenClass("valid_list", (valid,), None, 200),
        TokenClass("missing_scope", (valid,), "get-weather-alerts", 403),
        TokenClass("no_token", (None,), "get-weather", 401),
        TokenClass("expired", (expired,), "get-weather", 401),
        TokenClass("wrong_audience", (kit.mint(key, aud="https://elsewhere/mcp"),), None, 401),
        TokenClass("wrong_issuer", (kit.mint(key, iss="https://evil.example"),), None, 401),
        TokenClass("bad_signature", (forged,), "get-weather", 401),
        TokenClass("unknown_kid", (kit.mint(SigningKey.generate("not-published")),), None, 401),
        TokenClass("garbage", ("not.a.jwt", "x" * 5000, "e30.e30.", "..."), None, 401),
    ]
