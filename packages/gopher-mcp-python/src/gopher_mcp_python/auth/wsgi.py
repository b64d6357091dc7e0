"""WSGI middleware: put any WSGI application (Flask, Django, Falcon, …) behind the authenticator.

Every request is authenticated before the application sees it, except ``GET``/``HEAD`` of the
exact public paths (:class:`~.public.PublicPaths`: the RFC 9728 metadata, plus any you add);
refusals are answered by the middleware. The auth context of an accepted request is stored in the
environ under :data:`ENVIRON_KEY` and is current (:func:`~.context.current_auth_context`) while
the application is called.

MCP sessions are bound to their principal as in the ASGI middleware
(:class:`~.sessions.SessionBinding`): another principal's request carrying a session id this
process handed out gets ``404``.

The body of a request is read (at most ``max_body_bytes``, and never past ``CONTENT_LENGTH`` on a
server that does not terminate the input, as PEP 3333 asks) and put back for the application;
the scope policy parses it only once the token verified. On MCP 2026-07-28 the scopes come from
the ``Mcp-Method``/``Mcp-Name`` headers and the body is checked against them before the
application runs (:mod:`.routing`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .authenticator import Authenticator
from .body import McpBody
from .challenge import Challenge
from .context import AuthContext, use_auth_context
from .public import PublicPaths
from .sessions import SESSION_HEADER, SessionBinding

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "ENVIRON_KEY",
    "AuthMiddleware",
    "auth_headers",
    "authorization_header",
    "environ_headers",
    "read_body",
]

ENVIRON_KEY = "gopher_mcp_python.auth"
SESSION_ENVIRON = "HTTP_MCP_SESSION_ID"


def environ_headers(environ: WSGIEnvironment) -> Iterator[tuple[str, str]]:
    """The request headers of a WSGI environ as (name, value) pairs."""
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            yield key[5:].replace("_", "-").title(), str(value)


def authorization_header(environ: WSGIEnvironment) -> tuple[tuple[str, str], ...]:
    """The ``Authorization`` header of a WSGI request, as (name, value) pairs for the authenticator.

    A WSGI environ holds one value per header name (a server joins repeated headers with
    commas, which the credential reader refuses as more than one credential), so this is a
    single lookup, where :func:`environ_headers` walks the whole environ on every request.
    """
    value = environ.get("HTTP_AUTHORIZATION")
    return () if value is None else (("Authorization", str(value)),)


#: The environ keys of the headers the authenticator reads: the credential and the MCP
#: 2026-07-28 routing headers (:mod:`.routing`).
_AUTH_ENVIRON = (
    ("HTTP_AUTHORIZATION", "Authorization"),
    ("HTTP_MCP_PROTOCOL_VERSION", "MCP-Protocol-Version"),
    ("HTTP_MCP_METHOD", "Mcp-Method"),
    ("HTTP_MCP_NAME", "Mcp-Name"),
)


def auth_headers(environ: WSGIEnvironment) -> tuple[tuple[str, str], ...]:
    """The headers of a WSGI request the authenticator reads, as (name, value) pairs.

    ``Authorization`` and the 2026-07-28 routing headers, by direct lookup. A server joins a
    repeated header's values with commas: a repeated ``Mcp-Method`` or ``Mcp-Name`` therefore
    matches no body and is refused as a header mismatch.
    """
    return tuple((name, str(environ[key])) for key, name in _AUTH_ENVIRON if key in environ)


def _send(challenge: Challenge, start_response: StartResponse) -> list[bytes]:
    body = challenge.body_bytes
    headers = [*challenge.headers, ("Content-Length", str(len(body)))]
    start_response(f"{challenge.status} {challenge.reason}", headers)
    return [body]


class AuthMiddleware:
    """Authenticate every request except reads of the public paths; see the module docstring.

    Args:
        app: the WSGI application to protect.
        authenticator: the resource server's authenticator.
        public_paths: exact paths served without a token for ``GET``/``HEAD`` besides the
            metadata documents, e.g. ``("/health",)``.
        sessions: where sessions are bound to principals (one per middleware by default).

    """

    def __init__(
        self,
        app: WSGIApplication,
        authenticator: Authenticator,
        *,
        public_paths: Iterable[str] = (),
        sessions: SessionBinding | None = None,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.public = PublicPaths(authenticator.config, public_paths)
        self.sessions = sessions if sessions is not None else SessionBinding()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Handle one WSGI request."""
        method = environ.get("REQUEST_METHOD", "")
        if self.public.allows(method, environ.get("PATH_INFO", "")):
            return self.app(environ, start_response)
        body: McpBody | None = None
        config = self.authenticator.config
        if config.scope_policy.inspects_body and method not in ("GET", "HEAD"):
            data = read_body(environ, config.max_body_bytes)
            if data is None:
                challenge = self.authenticator.challenges.body_too_large(config.max_body_bytes)
                return _send(challenge, start_response)
            body = McpBody(data)
        path = environ.get("PATH_INFO", "")
        result = self.authenticator.authenticate(auth_headers(environ), body, path=path)
        if isinstance(result, Challenge):
            return _send(result, start_response)
        session_id = environ.get(SESSION_ENVIRON)
        if not self.sessions.allows(session_id, result):
            return _send(self.authenticator.challenges.session_not_found(), start_response)
        environ[ENVIRON_KEY] = result
        if session_id is None:
            start_response = self._binding(start_response, result)
        with use_auth_context(result):
            return self.app(environ, start_response)

    def _binding(self, start_response: StartResponse, context: AuthContext) -> StartResponse:
        """A ``start_response`` that binds a session id handed out in the response."""

        def bind_and_start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:  # noqa: ANN401
            for name, value in headers:
                if name.lower() == SESSION_HEADER:
                    self.sessions.bind(value, context)
            return start_response(status, headers, *args)

        return bind_and_start


def read_body(environ: WSGIEnvironment, limit: int) -> bytes | None:
    """Read a request's body (at most ``limit`` bytes) and put it back for the application.

    Returns ``None`` when the body is larger than ``limit``. Follows PEP 3333: with no valid
    ``CONTENT_LENGTH`` the body is read only when the server terminates the input
    (``wsgi.input_terminated``, e.g. a chunked request under gunicorn); otherwise it is empty —
    reading on would wait for bytes that never come, or swallow the next pipelined request.
    """
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    try:
        length = int(length_text) if length_text else None
    except ValueError:
        length = None
    if length is not None and length < 0:  # malformed; read(-1) would read everything
        length = None
    if length is not None and length > limit:
        return None
    if length is not None:
        data = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        data = stream.read(limit + 1)
    else:
        data = b""
    if len(data) > limit:
        return None
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    return bytes(data)
