"""The ASGI middleware, driven through httpx's ASGI transport and a Starlette app."""

from __future__ import annotations

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gopher_mcp_python.auth import Authenticator, current_auth_context
from gopher_mcp_python.auth.asgi import STATE_KEY, ASGIAuthMiddleware
from jose_mint import SigningKey, mint

from .conftest import ISSUER, RESOURCE, claims


async def mcp_endpoint(request: Request) -> JSONResponse:
    context = getattr(request.state, STATE_KEY)
    body = await request.json()
    return JSONResponse(
        {
            "sub": context.subject,
            "current": current_auth_context() is context,
            "method": body["method"],
        }
    )


def make_app(authenticator: Authenticator, *, offload: bool) -> ASGIAuthMiddleware:
    inner = Starlette(routes=[Route("/mcp", mcp_endpoint, methods=["POST"])])
    return ASGIAuthMiddleware(inner, authenticator, offload=offload)


async def _post(
    app: ASGIAuthMiddleware, body: dict[str, object], headers: dict[str, str]
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:3001") as client:
        return await client.post("/mcp", json=body, headers=headers)


def test_asgi_accepts_and_refuses(authenticator: Authenticator, rs_key: SigningKey) -> None:
    async def scenario() -> None:
        for offload in (True, False):
            app = make_app(authenticator, offload=offload)
            token = mint(rs_key, claims(ISSUER, RESOURCE, sub="a", scope="mcp:read"))
            ok_call = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {"name": "get-forecast"},
            }
            response = await _post(app, ok_call, {"Authorization": f"Bearer {token}"})
            assert response.status_code == 200
            assert response.json() == {"sub": "a", "current": True, "method": "tools/call"}

            response = await _post(app, ok_call, {})
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Bearer resource_metadata=")

            admin = {**ok_call, "params": {"name": "get-weather-alerts"}}
            response = await _post(app, admin, {"Authorization": f"Bearer {token}"})
            assert response.status_code == 403
            assert response.json()["scope"] == "mcp:read mcp:admin"

            expired = mint(rs_key, claims(ISSUER, RESOURCE, lifetime=-600))
            response = await _post(app, ok_call, {"Authorization": f"Bearer {expired}"})
            assert response.status_code == 401
            assert 'error="invalid_token"' in response.headers["www-authenticate"]

    anyio.run(scenario)


def _websocket_scope(headers: list[tuple[bytes, bytes]]) -> dict[str, object]:
    return {"type": "websocket", "path": "/mcp/ws", "headers": headers, "subprotocols": []}


def test_websocket_without_a_token_is_closed_before_accept(authenticator: Authenticator) -> None:
    reached: list[object] = []

    async def inner(scope: object, receive: object, send: object) -> None:
        reached.append(scope)

    async def scenario() -> list[dict[str, object]]:
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        app = ASGIAuthMiddleware(inner, authenticator, offload=False)
        await app(_websocket_scope([]), receive, send)
        return sent

    sent = anyio.run(scenario)
    assert reached == []
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


def test_websocket_with_a_token_reaches_the_app(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="ws"))
    seen: list[str] = []

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        context = current_auth_context()
        seen.append(context.subject if context else "")

    async def scenario() -> None:
        async def receive() -> dict[str, object]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, object]) -> None:
            raise AssertionError(f"the middleware answered: {message}")

        app = ASGIAuthMiddleware(inner, authenticator, offload=False)  # type: ignore[arg-type]
        await app(_websocket_scope([(b"authorization", f"Bearer {token}".encode())]), receive, send)

    anyio.run(scenario)
    assert seen == ["ws"]


def test_unknown_scope_types_are_refused_and_lifespan_passes(authenticator: Authenticator) -> None:
    reached: list[str] = []

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        reached.append(str(scope["type"]))

    async def nothing() -> dict[str, object]:
        return {}

    async def ignore(message: dict[str, object]) -> None:
        return None

    app = ASGIAuthMiddleware(inner, authenticator)  # type: ignore[arg-type]
    anyio.run(app, {"type": "lifespan"}, nothing, ignore)
    with pytest.raises(ValueError, match="unknown ASGI scope type"):
        anyio.run(app, {"type": "webtransport", "path": "/mcp"}, nothing, ignore)
    assert reached == ["lifespan"]
