"""The PyJWT token check shared by the peers that verify with PyJWT.

What a user writes following PyJWT's and the MCP SDK's documentation: ``PyJWKClient`` (signing
keys cached in-process after the first fetch) and ``jwt.decode`` checking the RS256 signature,
``exp``, ``iss`` and ``aud`` on every request (no cache of verified tokens).
"""

from __future__ import annotations

from typing import Any

import jwt


class PyJwtCheck:
    """Verifies RS256 access tokens for one issuer and audience against a JWKS URI."""

    def __init__(self, jwks_uri: str, *, issuer: str, audience: str) -> None:
        self.issuer = issuer
        self.audience = audience
        self._keys = jwt.PyJWKClient(jwks_uri, cache_keys=True, lifespan=3600)

    def claims(self, token: str) -> dict[str, Any] | None:
        """The verified claims of ``token``, or ``None`` when it is not valid."""
        try:
            key = self._keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            return None
        return claims
