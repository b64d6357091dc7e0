"""Flask adapter: protect views with an :class:`~.authenticator.Authenticator`.

The auth context of a request lives on ``flask.g`` (and in the context variable of
:mod:`.context` while the view runs); nothing is stored on the app or a shared object.

Usage::

    auth = FlaskAuth(authenticator)

    @app.post("/mcp")
    @auth.required
    def mcp() -> Response:
        ctx = current_flask_auth()  # AuthContext of this request
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar, cast

from flask import Response, after_this_request, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from .authenticator import Authenticator
from .body import McpBody
from .challenge import Challenge
from .context import AuthContext, use_auth_context
from .sessions import SESSION_HEADER, SessionBinding
from .wsgi import auth_headers

__all__ = ["FlaskAuth", "challenge_response", "current_flask_auth"]

_G_KEY = "gopher_auth"
_READ_BODY = object()  # sentinel: FlaskAuth.check reads the body itself
P = ParamSpec("P")
R = TypeVar("R")


def challenge_response(challenge: Challenge) -> Response:
    """``challenge`` as a Flask response."""
    response = Response(challenge.body_bytes, status=challenge.status)
    for name, value in challenge.headers:
        response.headers[name] = value
    return response


def current_flask_auth() -> AuthContext | None:
    """The auth context of the current Flask request (``None`` when not authenticated)."""
    return cast("AuthContext | None", g.get(_G_KEY))


class FlaskAuth:
    """Authenticates Flask requests; see the module docstring.

    Args:
        authenticator: the resource server's authenticator.
        sessions: where MCP sessions are bound to the principal that opened them (one per
            ``FlaskAuth`` by default; see :mod:`.sessions`): another principal's request carrying
            a session id this process handed out gets ``404``.

    """

    def __init__(
        self, authenticator: Authenticator, *, sessions: SessionBinding | None = None
    ) -> None:
        self.authenticator = authenticator
        self.sessions = sessions if sessions is not None else SessionBinding()

    def check(self, mcp_request: object = _READ_BODY) -> Response | None:
        """Authenticate the current request.

        Returns ``None`` and stores the context on ``flask.g`` when the request may proceed,
        otherwise the refusal to send. ``mcp_request`` is the body if the caller has read it —
        best as an :class:`~.body.McpBody` of the raw bytes, which is parsed only after the
        token verified (and whose parsed value the view can reuse); otherwise the body is read
        here (bounded by ``max_body_bytes``) when the scope policy depends on it.
        """
        config = self.authenticator.config
        body: object = None
        if mcp_request is not _READ_BODY:
            body = mcp_request
        elif config.scope_policy.inspects_body and request.method not in ("GET", "HEAD"):
            current = request.max_content_length
            limit = (
                config.max_body_bytes if current is None else min(current, config.max_body_bytes)
            )
            # One byte over: Werkzeug cuts a streamed (chunked) body at the limit without a word,
            # so a body is known to be too large only when that extra byte arrives.
            request.max_content_length = limit + 1
            try:
                data = request.get_data(cache=True)
            except RequestEntityTooLarge:
                data = None
            if data is None or len(data) > limit:
                return challenge_response(self.authenticator.challenges.body_too_large(limit))
            body = McpBody(data)
        result = self.authenticator.authenticate(
            auth_headers(request.environ), body, path=request.path
        )
        if isinstance(result, Challenge):
            return challenge_response(result)
        session_id = request.headers.get(SESSION_HEADER)
        if not self.sessions.allows(session_id, result):
            return challenge_response(self.authenticator.challenges.session_not_found())
        if session_id is None:
            context = result

            @after_this_request
            def bind(response: Response) -> Response:
                handed_out = response.headers.get(SESSION_HEADER)
                if handed_out is not None:
                    self.sessions.bind(handed_out, context)
                return response

        setattr(g, _G_KEY, result)
        return None

    def required(self, view: Callable[P, R]) -> Callable[P, R | Response]:
        """Decorator: run ``view`` only for authenticated requests; refuse the others."""

        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            refusal = self.check()
            if refusal is not None:
                return refusal
            with use_auth_context(current_flask_auth()):
                return view(*args, **kwargs)

        return wrapper
