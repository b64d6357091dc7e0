"""The official ``mcp`` SDK, 1.x and 2.x: one call protects a server completely.

``mcp`` 1.x names its server class ``mcp.server.fastmcp.FastMCP``; 2.x renamed it
``mcp.server.mcpserver.MCPServer``. Both are protected the same way::

    from gopher_mcp_python.auth import ResourceServerConfig, ScopePolicy
    from gopher_mcp_python.auth.mcp_sdk import protected_app

    server = MCPServer("weather")              # 1.x: FastMCP("weather")
    ...                                        # @server.tool() as usual
    app = protected_app(server, config)        # serve with uvicorn

:func:`protected_app` installs :class:`GopherTokenVerifier` and ``AuthSettings`` derived from the
config on the server (issuer exactly as configured, ``required_scopes`` = the policy's default
scopes, ``validate_token_resource=False`` because the engine already checks the audience), builds
the server's Streamable HTTP app and puts :class:`~.asgi.ASGIAuthMiddleware` outside it. The
middleware answers every refusal the MCP spec describes — ``401`` with ``resource_metadata`` and
``scope``, ``invalid_token``, the ``403 insufficient_scope`` step-up for a tool's scopes before the
tool runs, ``503`` with ``Retry-After`` when no signing keys can be obtained — and serves the
RFC 9728 document; the SDK's verifier inside binds each session to its principal and gives tools
``get_access_token()``.

Inside a tool, the request's identity is :func:`request_auth_context` (our context) or the SDK's
``get_access_token()``. On ``mcp`` 1.x, :func:`~.context.current_auth_context` and
``get_access_token()`` report the request that *opened the session*, not the current one (1.x
runs a session's handlers in that first request's task); :func:`request_auth_context` reads the
current request's state and is right on both versions.

The verifier alone (``GopherTokenVerifier``) also fits any ``TokenVerifier`` slot of the SDK. It
applies the policy's default scopes, and reports ``expires_at`` with the clock skew added so the
SDK never refuses a token the engine accepted. A token is never "maybe valid": a malformed,
forged, expired, foreign or misaddressed token gives ``None``; when no signing keys can be
obtained or the validator fails it raises :class:`TokenVerificationUnavailable` — which the SDK
turns into a 500, so use :func:`protected_app` (whose middleware answers 503 first).
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings

from . import offload
from .asgi import STATE_KEY, ASGIApp, ASGIAuthMiddleware
from .authenticator import Authenticator
from .config import ResourceServerConfig
from .context import AuthContext

__all__ = [
    "GopherTokenVerifier",
    "TokenVerificationUnavailable",
    "access_token",
    "auth_settings",
    "protected_app",
    "request_auth_context",
]


AccessTokenT = TypeVar("AccessTokenT", bound=AccessToken)


class TokenVerificationUnavailable(RuntimeError):  # noqa: N818 - reads as the condition it is
    """The token could not be judged (no signing keys, or a validator failure)."""


class GopherTokenVerifier:
    """``mcp.server.auth.provider.TokenVerifier`` implementation; see the module docstring.

    Args:
        authenticator: the resource server's authenticator (its config gives issuer, audience,
            the default scopes and the clock skew).
        offload: run a check that may fetch the JWKS in a worker thread (``anyio.to_thread``),
            so a cold cache never blocks the event loop; a token that verified before is
            checked inline either way (:mod:`.offload`). ``False``: always inline (static keys).

    """

    def __init__(self, authenticator: Authenticator, *, offload: bool = True) -> None:
        self.authenticator = authenticator
        self.offload = offload

    async def verify_token(self, token: str) -> AccessToken | None:
        """Verify ``token`` (with the policy's default scopes); ``None`` if it is not valid."""
        required = self.authenticator.config.scope_policy.default
        verify = functools.partial(self.authenticator.verify_token, token, required)
        result = await offload.check(self.authenticator, token, verify, offload=self.offload)
        if isinstance(result, AuthContext):
            return access_token(token, result, self.authenticator.config)
        if result.status in (500, 503):
            raise TokenVerificationUnavailable(str(result.body.get("error_description", "")))
        return None


def access_token(
    token: str,
    context: AuthContext,
    config: ResourceServerConfig,
    token_class: type[AccessTokenT] = AccessToken,  # type: ignore[assignment]
) -> AccessTokenT:
    """The SDK's ``AccessToken`` (or ``token_class``, a subclass) for a verified token.

    ``expires_at`` is ``exp`` plus the configured clock skew: the SDK compares it with the clock
    with no leeway, and must not refuse a token the engine accepted within its skew.
    """
    resource = config.resource if config.resource in context.audience else config.audience
    return token_class(
        token=token,
        client_id=context.client_id or context.subject,
        scopes=list(context.scopes),
        expires_at=context.expires_at + config.clock_skew if context.expires_at else None,
        resource=resource,
        subject=context.subject or None,
        claims=dict(context.claims),
    )


def auth_settings(config: ResourceServerConfig) -> AuthSettings:
    """The SDK's ``AuthSettings`` for ``config``.

    ``issuer_url`` is the issuer exactly as configured, ``required_scopes`` the policy's default
    scopes, and ``validate_token_resource`` is off: the engine checks the audience (always), and
    the SDK's own check would refuse every token of a configured audience other than the resource
    URL (Entra's ``api://…``).
    """
    return AuthSettings(
        issuer_url=config.issuer,  # type: ignore[arg-type]  # pydantic parses the URL
        resource_server_url=config.resource,  # type: ignore[arg-type]
        required_scopes=list(config.scope_policy.default),
        validate_token_resource=False,
    )


def protected_app(
    server: Any,  # noqa: ANN401 - mcp 1.x FastMCP or 2.x MCPServer
    config: ResourceServerConfig,
    *,
    authenticator: Authenticator | None = None,
    public_paths: tuple[str, ...] = (),
    **app_options: Any,  # noqa: ANN401 - passed to server.streamable_http_app (2.x)
) -> ASGIApp:
    """Protect ``server`` (``mcp`` 1.x ``FastMCP`` or 2.x ``MCPServer``) and return its ASGI app.

    Installs the verifier and ``AuthSettings`` on the server, builds its Streamable HTTP app
    (``app_options`` go to ``streamable_http_app`` — 2.x only; 1.x takes them from the server's
    settings) and wraps it in :class:`~.asgi.ASGIAuthMiddleware`, which also serves the RFC 9728
    document. Raises ``ValueError`` when the server already has authentication configured.
    """
    settings = getattr(server, "settings", None)
    if settings is None or not hasattr(server, "_token_verifier"):
        raise TypeError(
            f"expected an mcp FastMCP (1.x) or MCPServer (2.x) server, got {type(server).__name__}"
        )
    if settings.auth is not None or server._token_verifier is not None:
        raise ValueError(
            "this server already has authentication configured; create it without "
            "token_verifier/auth and let protected_app install them"
        )
    authenticator = authenticator or Authenticator(config)
    settings.auth = auth_settings(config)
    server._token_verifier = GopherTokenVerifier(authenticator)
    inner = server.streamable_http_app(**app_options)
    return ASGIAuthMiddleware(inner, authenticator, public_paths=public_paths, serve_metadata=True)


def request_auth_context(ctx: Any) -> AuthContext | None:  # noqa: ANN401 - the SDK's Context
    """The auth context of the request a tool is handling, from the SDK's ``Context``.

    Reads ``request.state.gopher_auth`` of the current request, which the middleware set: right
    on ``mcp`` 1.x (where the context variable is the session's first request) and 2.x alike.
    """
    request = getattr(getattr(ctx, "request_context", None), "request", None)
    state = getattr(request, "state", None)
    context = getattr(state, STATE_KEY, None)
    return context if isinstance(context, AuthContext) else None
