"""The official ``mcp`` SDK's own server behind ASGIAuthMiddleware: per-tool 403 step-up.

The SDK itself only knows server-wide required scopes; the middleware adds the MCP spec's
``insufficient_scope`` challenge per tool, before the SDK (and the tool) ever sees the call.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from gopher_mcp_python.auth import Authenticator
from gopher_mcp_python.auth.asgi import ASGIAuthMiddleware
from jose_mint import SigningKey, mint

from .conftest import ISSUER, RESOURCE, claims

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def official_app(calls: list[str]) -> Any:
    """A stateless JSON-response MCP server built with the installed ``mcp`` SDK (1.x or 2.x)."""
    try:
        from mcp.server.mcpserver import MCPServer  # type: ignore[import-not-found,unused-ignore]

        server: Any = MCPServer("weather")
        modern = True
    except ImportError:
        from mcp.server.fastmcp import FastMCP  # type: ignore[attr-defined,unused-ignore]

        server = FastMCP("weather", stateless_http=True, json_response=True)
        modern = False

    @server.tool(name="get-weather-alerts")  # type: ignore[untyped-decorator,unused-ignore]
    def alerts(region: str) -> str:
        calls.append(region)
        return f"no alerts for {region}"

    if modern:
        return server.streamable_http_app(stateless_http=True, json_response=True)
    return server.streamable_http_app()


def rpc(method: str, params: dict[str, Any], id_: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}


def test_step_up_in_front_of_the_official_server(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    calls: list[str] = []
    inner = official_app(calls)
    app = ASGIAuthMiddleware(inner, authenticator)
    init = rpc(
        "initialize",
        {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    )
    call = rpc("tools/call", {"name": "get-weather-alerts", "arguments": {"region": "Oslo"}}, 2)
    reader = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
    admin = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:admin"))

    async def scenario() -> None:
        # the SDK's session manager lives in the app's lifespan
        async with inner.router.lifespan_context(inner):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:3001"
            ) as client:
                response = await client.post("/mcp", json=init, headers=HEADERS)
                assert response.status_code == 401
                assert response.headers["www-authenticate"].startswith("Bearer resource_metadata=")

                response = await client.post(
                    "/mcp", json=init, headers={**HEADERS, "Authorization": f"Bearer {reader}"}
                )
                assert response.status_code == 200
                assert response.json()["result"]["serverInfo"]["name"] == "weather"

                response = await client.post(
                    "/mcp", json=call, headers={**HEADERS, "Authorization": f"Bearer {reader}"}
                )
                assert response.status_code == 403
                assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
                # the granted mcp:read is kept, the missing mcp:admin added
                assert 'scope="mcp:read mcp:admin"' in response.headers["www-authenticate"]
                assert calls == []  # refused before the SDK or the tool saw it

                response = await client.post(
                    "/mcp",
                    json=call,
                    headers={
                        **HEADERS,
                        "Authorization": f"Bearer {admin}",
                        "MCP-Protocol-Version": "2025-06-18",
                    },
                )
                assert response.status_code == 200, response.text
                assert response.json()["result"]["content"][0]["text"] == "no alerts for Oslo"
                assert calls == ["Oslo"]

    anyio.run(scenario)
