"""The official ``mcp`` SDK peer: get-weather behind a PyJWT ``TokenVerifier`` + ``AuthSettings``.

Run by ``run.py`` as ``uvicorn mcp_sdk_server:app`` in a venv with the pinned ``mcp``;
settings from the environment: ``BENCH_JWKS_URI``, ``BENCH_ISSUER``, ``BENCH_SERVER_URL``.
The verifier is what a user writes following the SDK's documentation: the PyJWT check of
``pyjwt_check.py`` (``PyJWKClient``, keys cached in-process; ``jwt.decode`` checking signature,
exp, iss and aud) behind the SDK's ``TokenVerifier``.
"""

from __future__ import annotations

import os
from typing import Any

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from py_auth_mcp_server.tools.weather_tools import current_weather
from pydantic import AnyHttpUrl
from pyjwt_check import PyJwtCheck

SERVER_URL = os.environ["BENCH_SERVER_URL"]
ISSUER = os.environ["BENCH_ISSUER"]
AUDIENCE = SERVER_URL + "/mcp"


class PyJwtVerifier(TokenVerifier):
    """Validates RS256 access tokens against the JWKS with PyJWT."""

    def __init__(self, jwks_uri: str) -> None:
        self._check = PyJwtCheck(jwks_uri, issuer=ISSUER, audience=AUDIENCE)

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
            resource=AUDIENCE,
        )


mcp = FastMCP(
    "mcp-sdk-weather",
    token_verifier=PyJwtVerifier(os.environ["BENCH_JWKS_URI"]),
    auth=AuthSettings(
        issuer_url=AnyHttpUrl(ISSUER), resource_server_url=AnyHttpUrl(AUDIENCE), required_scopes=[]
    ),
    stateless_http=True,
    json_response=True,
)


@mcp.tool(name="get-weather", description="Current weather for a city (made-up data).")
def get_weather(city: str) -> dict[str, Any]:
    """The same tool body as the example's get-weather."""
    weather: dict[str, Any] = current_weather(city)
    return weather


app = mcp.streamable_http_app()
