"""Applications behind the SDK's adapters, for real servers (gunicorn, uvicorn, Werkzeug).

Each protected view answers ``{"ran": true, "sub": <subject or null>}``: a response with
``"ran": true`` and no subject is a request that reached protected code without authenticating.
The apps read their settings from the environment, so a server process can import them:

- ``GOPHER_TEST_JWKS``: the JWK Set (JSON) the authenticator trusts;
- ``GOPHER_TEST_ISSUER``, ``GOPHER_TEST_SERVER_URL``: the issuer and the public base URL.
"""

from __future__ import annotations

import os
from typing import Any

from gopher_mcp_python.auth import (
    Authenticator,
    ResourceServerConfig,
    ScopePolicy,
    current_auth_context,
)

POLICY = ScopePolicy(tools={"get-forecast": "mcp:read", "get-weather-alerts": "mcp:admin"})


def config_from_env() -> ResourceServerConfig:
    """The resource-server settings of the apps, from the environment."""
    return ResourceServerConfig(
        server_url=os.environ["GOPHER_TEST_SERVER_URL"],
        issuer=os.environ["GOPHER_TEST_ISSUER"],
        jwks=os.environ["GOPHER_TEST_JWKS"],
        scopes_supported=("mcp:read", "mcp:admin"),
        scope_policy=POLICY,
    )


def ran() -> dict[str, Any]:
    """What a protected view answers: that it ran, and as whom."""
    context = current_auth_context()
    return {"ran": True, "sub": context.subject if context else None}


def flask_app() -> Any:
    """A Flask app whose ``POST /mcp`` is protected by the WSGI ``AuthMiddleware``.

    Werkzeug's router merges slashes, so ``//mcp`` and ``///mcp`` reach the same view.
    """
    from flask import Flask, jsonify

    from gopher_mcp_python.auth.wsgi import AuthMiddleware

    app = Flask(__name__)

    @app.post("/mcp")
    def mcp() -> Any:
        return jsonify(ran())

    @app.get("/health")
    def health() -> Any:
        return jsonify({"status": "ok"})

    app.wsgi_app = AuthMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, Authenticator(config_from_env()), public_paths=("/health",)
    )
    return app


def flask_auth_app() -> Any:
    """A Flask app whose ``POST /mcp`` view is protected by ``FlaskAuth.required``."""
    from flask import Flask, jsonify

    from gopher_mcp_python.auth.flask import FlaskAuth

    app = Flask(__name__)
    auth = FlaskAuth(Authenticator(config_from_env()))

    @app.post("/mcp")
    @auth.required
    def mcp() -> Any:
        return jsonify(ran())

    return app


def starlette_app() -> Any:
    """A Starlette app with ``Mount("/mcp", …)`` behind ``ASGIAuthMiddleware``.

    The mount serves ``/mcp`` and every ``/mcp/<anything>``; a WebSocket route sits inside it.
    """
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.websockets import WebSocket

    from gopher_mcp_python.auth.asgi import ASGIAuthMiddleware

    async def endpoint(request: Request) -> JSONResponse:
        return JSONResponse(ran())

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(ran())
        await websocket.close()

    inner = Starlette(
        routes=[
            WebSocketRoute("/ws", socket),
            Route("/{rest:path}", endpoint, methods=["GET", "POST"]),
        ]
    )
    app = Starlette(routes=[Mount("/mcp", app=inner)])
    return ASGIAuthMiddleware(app, Authenticator(config_from_env()), offload=False)
