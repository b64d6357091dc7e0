"""WSGI middleware: put any WSGI application (Flask, Django, Falcon, …) behind the authenticator.

Requests to the protected paths are authenticated before the application sees them; refusals are
answered by the middleware. The auth context of an accepted request is stored in the environ
under :data:`ENVIRON_KEY` and is current (:func:`~.context.current_auth_context`) while the
application is called.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from .authenticator import Authenticator
from .body import parse_mcp_body
from .challenge import Challenge
from .context import use_auth_context

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ENVIRON_KEY", "AuthMiddleware", "authorization_header", "environ_headers"]

ENVIRON_KEY = "gopher_mcp_python.auth"


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


def _send(challenge: Challenge, start_response: StartResponse) -> list[bytes]:
    body = challenge.body_bytes
    headers = [*challenge.headers, ("Content-Length", str(len(body)))]
    start_response(f"{challenge.status} {challenge.reason}", headers)
    return [body]


class AuthMiddleware:
    """Authenticate requests whose path is protected; pass the others through.

    Args:
        app: the WSGI application to protect.
        authenticator: the resource server's authenticator.
        protect: which paths need a token; default: the MCP endpoint's path only.

    """

    def __init__(
        self,
        app: WSGIApplication,
        authenticator: Authenticator,
        protect: Callable[[str], bool] | None = None,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        mcp_path = authenticator.config.mcp_path
        self.protect = protect or (lambda path: path.rstrip("/") == mcp_path.rstrip("/"))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Handle one WSGI request."""
        if not self.protect(environ.get("PATH_INFO", "") or "/"):
            return self.app(environ, start_response)
        body: object = None
        config = self.authenticator.config
        if config.scope_policy.inspects_body and environ.get("REQUEST_METHOD") == "POST":
            data = self._read_body(environ, config.max_body_bytes)
            if data is None:
                challenge = self.authenticator.challenges.body_too_large(config.max_body_bytes)
                return _send(challenge, start_response)
            body = parse_mcp_body(data)
        result = self.authenticator.authenticate(authorization_header(environ), body)
        if isinstance(result, Challenge):
            return _send(result, start_response)
        environ[ENVIRON_KEY] = result
        with use_auth_context(result):
            return self.app(environ, start_response)

    @staticmethod
    def _read_body(environ: WSGIEnvironment, limit: int) -> bytes | None:
        """Read the body (at most ``limit`` bytes) and put it back for the application.

        Returns ``None`` when the body is larger than ``limit``.
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
        data = stream.read(length) if length is not None else stream.read(limit + 1)
        if len(data) > limit:
            return None
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        return bytes(data)
