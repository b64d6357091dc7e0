"""The PyJWT ``TokenVerifier`` a user of the official ``mcp`` SDK writes from its documentation.

``PyJwtCheck`` (``pyjwt_check.py``) behind the SDK's ``TokenVerifier`` protocol; importable with
``mcp`` 1.x and 2.x alike (``mcp_sdk_server.py`` serves it; ``verifier_cpu.py`` times it).
"""

from __future__ import annotations

from mcp.server.auth.provider import AccessToken, TokenVerifier
from pyjwt_check import PyJwtCheck

__all__ = ["PyJwtVerifier"]


class PyJwtVerifier(TokenVerifier):
    """Validates RS256 access tokens against the JWKS with PyJWT."""

    def __init__(self, jwks_uri: str, *, issuer: str, audience: str) -> None:
        self._check = PyJwtCheck(jwks_uri, issuer=issuer, audience=audience)
        self.audience = audience

    async def verify_token(self, token: str) -> AccessToken | None:
        """Claims → ``AccessToken``; ``None`` for any invalid token."""
        claims = self._check.claims(token)
        if claims is None:
            return None
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id", "")),
            scopes=str(claims.get("scope", "")).split(),
            expires_at=int(claims["exp"]),
            resource=self.audience,
        )
