"""The FastMCP peer: get-weather behind FastMCP's own ``JWTVerifier`` (JWKS over loopback).

Run by ``run.py`` as ``uvicorn fastmcp_server:app`` in a venv with the pinned ``fastmcp``;
settings from the environment: ``BENCH_JWKS_URI``, ``BENCH_ISSUER``, ``BENCH_SERVER_URL``, and
``BENCH_VERIFIER=gopher`` to put our ``GopherJWTVerifier`` in the ``JWTVerifier``'s place (the
same keyword arguments: the one-import switch the docs promise), or
``BENCH_VERIFIER=introspection`` for FastMCP's ``IntrospectionTokenVerifier`` (opaque tokens,
RFC 7662, at ``BENCH_INTROSPECTION_URL``, its cache on for 60 s like ours).
Stateless Streamable HTTP with JSON responses, so ``tools/call`` needs no session.
"""

from __future__ import annotations

import os
from typing import Any

from fastmcp import FastMCP
from fastmcp.server.auth.providers.jwt import JWTVerifier
from py_auth_mcp_server.tools.weather_tools import current_weather

SERVER_URL = os.environ["BENCH_SERVER_URL"]

SETTINGS: dict[str, Any] = {
    "jwks_uri": os.environ["BENCH_JWKS_URI"],
    "issuer": os.environ["BENCH_ISSUER"],
    "audience": SERVER_URL + "/mcp",
    "base_url": SERVER_URL,
}
if os.environ.get("BENCH_VERIFIER") == "introspection":
    from fastmcp.server.auth.providers.introspection import IntrospectionTokenVerifier

    verifier: Any = IntrospectionTokenVerifier(
        introspection_url=os.environ["BENCH_INTROSPECTION_URL"],
        client_id="bench-rs",
        client_secret="bench-secret",  # noqa: S106 - the loopback stub's throw-away credential
        audience=SETTINGS["audience"],
        base_url=SERVER_URL,
        cache_ttl_seconds=60,
    )
elif os.environ.get("BENCH_VERIFIER") == "gopher":
    from gopher_mcp_python.auth.fastmcp import GopherJWTVerifier

    verifier = GopherJWTVerifier(**SETTINGS)
else:
    verifier = JWTVerifier(**SETTINGS, algorithm="RS256")
mcp = FastMCP("fastmcp-weather", auth=verifier)


@mcp.tool(name="get-weather", description="Current weather for a city (made-up data).")
def get_weather(city: str) -> dict[str, Any]:
    """The same tool body as the example's get-weather."""
    return current_weather(city)


app = mcp.http_app(path="/mcp", stateless_http=True, json_response=True)
