"""The official ``mcp`` SDK peer: get-weather behind a PyJWT ``TokenVerifier`` + ``AuthSettings``.

Run by ``run.py`` as ``uvicorn mcp_sdk_server:app`` in a venv with the pinned ``mcp``;
settings from the environment: ``BENCH_JWKS_URI``, ``BENCH_ISSUER``, ``BENCH_SERVER_URL``.
The verifier is what a user writes following the SDK's documentation: the PyJWT check of
``pyjwt_check.py`` (``PyJWKClient``, keys cached in-process; ``jwt.decode`` checking signature,
exp, iss and aud) behind the SDK's ``TokenVerifier``. ``BENCH_VERIFIER=gopher`` puts our
``GopherTokenVerifier`` and ``auth_settings`` in their place (same server otherwise).
"""

from __future__ import annotations

import os
from typing import Any

from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.fastmcp import FastMCP
from py_auth_mcp_server.tools.weather_tools import current_weather
from pydantic import AnyHttpUrl
from pyjwt_verifier import PyJwtVerifier

SERVER_URL = os.environ["BENCH_SERVER_URL"]
ISSUER = os.environ["BENCH_ISSUER"]
AUDIENCE = SERVER_URL + "/mcp"


if os.environ.get("BENCH_VERIFIER") == "gopher":
    from gopher_mcp_python.auth import Authenticator, ResourceServerConfig
    from gopher_mcp_python.auth.mcp_sdk import GopherTokenVerifier, auth_settings

    config = ResourceServerConfig(
        server_url=SERVER_URL,
        issuer=ISSUER,
        jwks_uri=os.environ["BENCH_JWKS_URI"],
    )
    verifier: TokenVerifier = GopherTokenVerifier(Authenticator(config))
    settings = auth_settings(config)
else:
    verifier = PyJwtVerifier(os.environ["BENCH_JWKS_URI"], issuer=ISSUER, audience=AUDIENCE)
    settings = AuthSettings(
        issuer_url=AnyHttpUrl(ISSUER), resource_server_url=AnyHttpUrl(AUDIENCE), required_scopes=[]
    )
mcp = FastMCP(
    "mcp-sdk-weather",
    token_verifier=verifier,
    auth=settings,
    stateless_http=True,
    json_response=True,
)


@mcp.tool(name="get-weather", description="Current weather for a city (made-up data).")
def get_weather(city: str) -> dict[str, Any]:
    """The same tool body as the example's get-weather."""
    weather: dict[str, Any] = current_weather(city)
    return weather


app = mcp.streamable_http_app()
