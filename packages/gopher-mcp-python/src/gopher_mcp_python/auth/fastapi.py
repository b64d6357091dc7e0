"""FastAPI: a ``Security`` dependency that checks scopes and answers the MCP challenges.

Put :class:`~.asgi.ASGIAuthMiddleware` on the app (it authenticates every request but reads of
the metadata documents), then ask for scopes per route::

    from fastapi import FastAPI, Security
    from gopher_mcp_python.auth.asgi import ASGIAuthMiddleware
    from gopher_mcp_python.auth.fastapi import RequireScopes

    authenticator = Authenticator(config)
    app = FastAPI()
    app.add_middleware(ASGIAuthMiddleware, authenticator=authenticator)
    require = RequireScopes(authenticator)

    @app.get("/api/admin")
    def admin(user: AuthContext = Security(require, scopes=["mcp:admin"])) -> dict:
        return {"sub": user.subject}

A token without the scopes gets ``403`` with ``WWW-Authenticate: Bearer …, scope="mcp:admin",
error="insufficient_scope"`` (FastAPI puts the JSON error under ``"detail"``). The scopes are
checked by the native engine, exactly as for MCP requests. A request the middleware did not
authenticate (the middleware is missing, or the path is public) gets ``401``: fail closed.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.security import SecurityScopes

from .asgi import STATE_KEY
from .authenticator import Authenticator
from .challenge import Challenge
from .context import AuthContext
from .credentials import MalformedAuthorization, read_bearer_token

__all__ = ["RequireScopes"]


def _raise(challenge: Challenge) -> HTTPException:
    headers = {k: v for k, v in challenge.headers if k != "Content-Type"}
    return HTTPException(status_code=challenge.status, detail=dict(challenge.body), headers=headers)


class RequireScopes:
    """A FastAPI dependency: the request's :class:`~.context.AuthContext`, with ``scopes`` checked.

    Args:
        authenticator: the authenticator the app's ``ASGIAuthMiddleware`` uses.

    """

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    def __call__(self, request: Request, security_scopes: SecurityScopes) -> AuthContext:
        """Return the request's context, or raise the 401/403 challenge."""
        needed = tuple(security_scopes.scopes)
        context = getattr(request.state, STATE_KEY, None)
        if not isinstance(context, AuthContext):
            raise _raise(self.authenticator.challenges.token_required(needed))
        if not needed:
            return context
        try:
            token = read_bearer_token(request.headers.items())
        except MalformedAuthorization as exc:
            raise _raise(self.authenticator.challenges.invalid_request(str(exc))) from None
        if token is None:
            raise _raise(self.authenticator.challenges.token_required(needed))
        # the engine decides, on the token the middleware verified (a cache hit by now)
        result = self.authenticator.verify_token(token, needed)
        if isinstance(result, Challenge):
            raise _raise(result)
        return context
