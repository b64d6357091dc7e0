"""Starlette conventions for an authenticated request, and the RFC 9728 metadata route.

:class:`~.asgi.ASGIAuthMiddleware` fills ``scope["auth"]`` (``AuthCredentials`` with the granted
scopes) and ``scope["user"]`` (a :class:`GopherUser`) for every request it lets through, when
Starlette is installed, so Starlette's ``@requires("mcp:admin")``, ``request.auth.scopes`` and
``request.user`` work behind it. :func:`metadata_routes` serves this resource's protected-resource
metadata.

Usage::

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from gopher_mcp_python.auth.asgi import ASGIAuthMiddleware
    from gopher_mcp_python.auth.starlette import metadata_routes

    authenticator = Authenticator(config)
    app = Starlette(
        routes=[*metadata_routes(config), Route("/api/me", me)],
        middleware=[Middleware(ASGIAuthMiddleware, authenticator=authenticator)],
    )
"""

from __future__ import annotations

from starlette.authentication import AuthCredentials, BaseUser
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .config import ResourceServerConfig
from .context import AuthContext
from .metadata import protected_resource_metadata
from .public import PublicPaths

__all__ = ["GopherUser", "identity", "metadata_routes"]


class GopherUser(BaseUser):
    """``request.user`` of a request authenticated by the SDK.

    Attributes:
        context: the request's :class:`~.context.AuthContext` (subject, scopes, claims …).

    """

    def __init__(self, context: AuthContext) -> None:
        self.context = context

    def __repr__(self) -> str:
        return f"GopherUser(subject={self.context.subject!r}, issuer={self.context.issuer!r})"

    @property
    def is_authenticated(self) -> bool:
        """Always true: only authenticated requests get a ``GopherUser``."""
        return True

    @property
    def display_name(self) -> str:
        """The token's subject (its client id when it has none)."""
        return self.context.subject or self.context.client_id

    @property
    def identity(self) -> str:
        """The token's subject."""
        return self.context.subject


def identity(context: AuthContext) -> tuple[AuthCredentials, GopherUser]:
    """``scope["auth"]`` and ``scope["user"]`` for an authenticated request."""
    return AuthCredentials(list(context.scopes)), GopherUser(context)


def metadata_routes(config: ResourceServerConfig) -> list[Route]:
    """Routes serving the RFC 9728 document at every path the middlewares leave public.

    That is the bare ``/.well-known/oauth-protected-resource`` and the resource's own
    ``/.well-known/oauth-protected-resource/<path>``; the document names the issuer exactly as
    configured.
    """
    document = protected_resource_metadata(config)

    async def metadata(request: Request) -> JSONResponse:
        return JSONResponse(document, headers={"Access-Control-Allow-Origin": "*"})

    paths = sorted(PublicPaths(config).paths)
    return [
        Route(path, metadata, methods=["GET"], name=f"oauth-metadata-{i}")
        for i, path in enumerate(paths)
    ]
