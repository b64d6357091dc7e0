"""One MCP server per framework, each protected the documented one-line way.

Run by uvicorn in a child process (``--factory frameworks.apps:<framework>``). Settings come from
the environment: ``GOPHER_TEST_JWKS_URI``, ``GOPHER_TEST_ISSUER``, ``GOPHER_TEST_SERVER_URL`` and
``GOPHER_TEST_MARKER`` (a file ``admin-op`` appends to, so a test can tell whether it ran).

Every server has three tools — ``echo``; ``whoami``, which reports who the *tool* sees as the
caller (our context and the SDK's access token); ``admin-op``, which needs ``mcp:admin`` — and
the Starlette and FastAPI apps also have REST routes ``/api/me`` and ``/api/admin``.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from gopher_mcp_python.auth import (
    AuthContext,
    Authenticator,
    ResourceServerConfig,
    ScopePolicy,
    current_auth_context,
)

POLICY = ScopePolicy(
    default="mcp:read", tools={"admin-op": "mcp:admin"}, paths={"/api/admin": "mcp:admin"}
)


def config() -> ResourceServerConfig:
    """The resource server every app protects."""
    return ResourceServerConfig(
        server_url=os.environ["GOPHER_TEST_SERVER_URL"],
        issuer=os.environ["GOPHER_TEST_ISSUER"],
        jwks_uri=os.environ["GOPHER_TEST_JWKS_URI"],
        scopes_supported=("mcp:read", "mcp:admin"),
        scope_policy=POLICY,
        client_options={"request_timeout": "2"},
    )


def _digest(token: str | None) -> str | None:
    return hashlib.sha256(token.encode()).hexdigest()[:16] if token else None


def seen(ours: AuthContext | None, sdk: Any) -> str:
    """What ``whoami`` answers: the caller as our context and as the SDK's token show it."""
    return json.dumps(
        {
            "ours": {"sub": ours.subject, "scopes": list(ours.scopes)} if ours else None,
            "sdk": {"sub": sdk.subject, "token": _digest(sdk.token)} if sdk else None,
        }
    )


def admin_ran() -> str:
    with open(os.environ["GOPHER_TEST_MARKER"], "a", encoding="utf-8") as marker:
        marker.write("ran\n")
    return "admin done"


def _official_tools(server: Any) -> None:
    from mcp.server.auth.middleware.auth_context import get_access_token

    from gopher_mcp_python.auth.mcp_sdk import request_auth_context

    @server.tool()
    def echo(text: str) -> str:
        return text

    def whoami(ctx: Any) -> str:
        return seen(request_auth_context(ctx), get_access_token())

    whoami.__annotations__["ctx"] = sdk_context_class()  # before the SDK inspects it
    server.tool()(whoami)

    @server.tool(name="admin-op")
    def admin_op() -> str:
        return admin_ran()


def sdk_context_class() -> Any:
    """The SDK's ``Context`` class (``mcp`` 2.x or 1.x)."""
    try:
        from mcp.server.mcpserver import Context
    except ImportError:  # mcp 1.x
        from mcp.server.fastmcp import Context  # type: ignore[no-redef]
    return Context


def mcp1() -> Any:
    """``mcp`` 1.x: ``FastMCP`` + ``protected_app``."""
    from mcp.server.fastmcp import FastMCP

    from gopher_mcp_python.auth.mcp_sdk import protected_app

    server = FastMCP("frameworks-mcp1")
    _official_tools(server)
    return protected_app(server, config())


def mcp2() -> Any:
    """``mcp`` 2.x: ``MCPServer`` + ``protected_app``."""
    from mcp.server.mcpserver import MCPServer

    from gopher_mcp_python.auth.mcp_sdk import protected_app

    server = MCPServer("frameworks-mcp2")
    _official_tools(server)
    return protected_app(server, config())


def fastmcp() -> Any:
    """Standalone ``fastmcp``: ``FastMCP(auth=GopherAuthProvider(config))``."""
    from fastmcp import FastMCP
    from fastmcp.server.dependencies import get_access_token

    from gopher_mcp_python.auth.fastmcp import GopherAuthProvider

    server = FastMCP("frameworks-fastmcp", auth=GopherAuthProvider(config()))

    @server.tool
    def echo(text: str) -> str:
        return text

    @server.tool
    def whoami() -> str:
        return seen(current_auth_context(), get_access_token())

    @server.tool(name="admin-op")
    def admin_op() -> str:
        return admin_ran()

    return server.http_app()


def _mcp_inside() -> Any:
    """An ``mcp`` 2.x server without SDK auth, to mount inside Starlette or FastAPI."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("frameworks-mounted")
    _official_tools(server)
    return server


def starlette() -> Any:
    """Starlette: the middleware + ``metadata_routes`` + ``@requires`` on REST routes."""
    from starlette.applications import Starlette
    from starlette.authentication import requires
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    from gopher_mcp_python.auth.asgi import ASGIAuthMiddleware
    from gopher_mcp_python.auth.starlette import metadata_routes

    settings = config()
    authenticator = Authenticator(settings)
    server = _mcp_inside()
    mcp_app = server.streamable_http_app()

    async def me(request: Request) -> JSONResponse:
        return JSONResponse({"sub": request.user.identity, "scopes": list(request.auth.scopes)})

    async def admin(request: Request) -> JSONResponse:  # mcp:admin: ScopePolicy(paths=…)
        return JSONResponse({"admin": request.user.identity})

    @requires("mcp:read")
    async def reader(request: Request) -> JSONResponse:
        return JSONResponse({"reader": request.user.identity})

    return Starlette(
        routes=[
            *metadata_routes(settings),
            Route("/api/me", me),
            Route("/api/admin", admin),
            Route("/api/reader", reader),
            Mount("/", app=mcp_app),
        ],
        middleware=[Middleware(ASGIAuthMiddleware, authenticator=authenticator)],
        lifespan=lambda app: mcp_app.router.lifespan_context(app),
    )


def fastapi() -> Any:
    """FastAPI: the middleware + ``RequireScopes`` as a ``Security`` dependency."""
    from fastapi import FastAPI, Security

    from gopher_mcp_python.auth.asgi import ASGIAuthMiddleware
    from gopher_mcp_python.auth.fastapi import RequireScopes
    from gopher_mcp_python.auth.starlette import metadata_routes

    settings = config()
    authenticator = Authenticator(settings)
    require = RequireScopes(authenticator)
    server = _mcp_inside()
    mcp_app = server.streamable_http_app()
    app = FastAPI(lifespan=lambda app: mcp_app.router.lifespan_context(app))
    app.add_middleware(ASGIAuthMiddleware, authenticator=authenticator)
    app.router.routes.extend(metadata_routes(settings))

    @app.get("/api/me")
    def me(user: AuthContext = Security(require)) -> dict[str, Any]:  # noqa: B008
        return {"sub": user.subject, "scopes": list(user.scopes)}

    @app.get("/api/admin")  # mcp:admin: ScopePolicy(paths=…), checked by the middleware
    def admin(user: AuthContext = Security(require)) -> dict[str, Any]:  # noqa: B008
        return {"admin": user.subject}

    @app.get("/api/reader")
    def reader(user: AuthContext = Security(require, scopes=["mcp:read"])) -> dict[str, Any]:  # noqa: B008
        return {"reader": user.subject}

    app.mount("/", mcp_app)
    return app
