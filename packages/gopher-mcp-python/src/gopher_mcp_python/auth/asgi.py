"""ASGI middleware: put an ASGI application (Starlette, FastAPI, ``mcp`` SDK apps) behind auth.

Every HTTP request and WebSocket connection is authenticated before the application sees it,
except ``GET``/``HEAD`` of the exact public paths (:class:`~.public.PublicPaths`: the RFC 9728
metadata, plus any you add); ``lifespan`` events pass through, and any other scope type is
refused. A Starlette ``Mount("/mcp", app)`` therefore cannot be reached as ``/mcp/anything``
without a token. Refusals are answered by the middleware (a refused WebSocket is closed before it
is accepted, which the server sends as HTTP 403).

An accepted request's context is stored in ``scope["state"]["gopher_auth"]`` (Starlette's
``request.state.gopher_auth``: always this request's) and is current
(:func:`~.context.current_auth_context`) while the application handles the request in its own
task. With Starlette installed, ``scope["auth"]`` and ``scope["user"]`` are set too
(:mod:`.starlette`), so ``@requires(...)`` and ``request.user`` work. Code that an application
runs in *another* task — the official ``mcp`` SDK 1.x runs a session's tools in the task of the
request that opened the session — must read ``request.state.gopher_auth`` instead
(:func:`~.mcp_sdk.request_auth_context`).

MCP sessions are bound to their principal (:class:`~.sessions.SessionBinding`): the issuer and
subject authenticated on the response that handed out an ``Mcp-Session-Id``; a request of another
principal carrying that session id gets ``404``, a refreshed token of the same principal keeps it.

Validation normally takes microseconds, but a first request (or an unknown key id) may fetch
the JWKS, which can block for up to ``request_timeout``; with ``offload=True`` (default) such a
check runs in a worker thread (``anyio.to_thread``) so the event loop never blocks, while a token
that verified before is checked inline (:mod:`.offload`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from . import offload
from .authenticator import Authenticator, AuthResult
from .body import McpBody
from .challenge import Challenge
from .context import AuthContext, use_auth_context
from .credentials import MalformedAuthorization, read_bearer_token
from .metadata import protected_resource_metadata
from .public import PublicPaths
from .sessions import SESSION_HEADER, SessionBinding

__all__ = ["STATE_KEY", "ASGIAuthMiddleware"]

STATE_KEY = "gopher_auth"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]


def _session_id(headers: list[tuple[str, str]]) -> str | None:
    return next((v for k, v in headers if k.lower() == SESSION_HEADER), None)


@functools.lru_cache(maxsize=1)
def _starlette_identity() -> Callable[[AuthContext], tuple[Any, Any]] | None:
    """Starlette's ``(auth, user)`` builder, or None when Starlette is not installed."""
    try:
        from .starlette import identity
    except ImportError:
        return None
    return identity


def _accept(scope: Scope, context: AuthContext) -> None:
    """Record ``context`` on the scope: our state key, and Starlette's auth/user when present."""
    scope.setdefault("state", {})[STATE_KEY] = context
    identity = _starlette_identity()
    if identity is not None:
        scope["auth"], scope["user"] = identity(context)


async def _send_metadata(document: bytes, send: Send, *, head: bool) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(document)).encode("ascii")),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else document})


async def _send(challenge: Challenge, send: Send) -> None:
    body = challenge.body_bytes
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in challenge.headers]
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": challenge.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ASGIAuthMiddleware:
    """Authenticate every request except reads of the public paths; see the module docstring.

    Args:
        app: the ASGI application to protect.
        authenticator: the resource server's authenticator.
        public_paths: exact paths served without a token for ``GET``/``HEAD`` besides the
            metadata documents, e.g. ``("/health",)``.
        offload: run the native validation in a worker thread (see the module docstring).
        sessions: where sessions are bound to principals (one per middleware by default).
        serve_metadata: answer ``GET``/``HEAD`` of the RFC 9728 metadata paths here, with the
            document of the authenticator's config (exact issuer), instead of passing them on.

    """

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        *,
        public_paths: Iterable[str] = (),
        offload: bool = True,
        sessions: SessionBinding | None = None,
        serve_metadata: bool = False,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.public = PublicPaths(authenticator.config, public_paths)
        self.offload = offload
        self.sessions = sessions if sessions is not None else SessionBinding()
        self._metadata: tuple[frozenset[str], bytes] | None = None
        if serve_metadata:
            document = protected_resource_metadata(authenticator.config)
            paths = PublicPaths(authenticator.config).paths
            self._metadata = (paths, json.dumps(document).encode("utf-8"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, receive, send)
            return
        if kind == "websocket":
            await self._websocket(scope, receive, send)
            return
        if kind != "http":
            raise ValueError(f"ASGIAuthMiddleware: refusing an unknown ASGI scope type {kind!r}")
        method = scope.get("method", "")
        path = scope.get("path", "")
        if self.public.allows(method, path):
            if self._metadata is not None and path in self._metadata[0]:
                await _send_metadata(self._metadata[1], send, head=method == "HEAD")
                return
            await self.app(scope, receive, send)
            return
        config = self.authenticator.config
        body: McpBody | None = None
        if config.scope_policy.inspects_body and method not in ("GET", "HEAD"):
            data = await self._read_body(receive, config.max_body_bytes)
            if data is None:
                await _send(
                    self.authenticator.challenges.body_too_large(config.max_body_bytes), send
                )
                return
            body = McpBody(data)
            receive = self._replay(data, receive)
        headers = _headers(scope)
        result = await self._authenticate(headers, body, scope.get("path"))
        if isinstance(result, Challenge):
            await _send(result, send)
            return
        session_id = _session_id(headers)
        if not self.sessions.allows(session_id, result):
            await _send(self.authenticator.challenges.session_not_found(), send)
            return
        _accept(scope, result)
        with use_auth_context(result):
            await self.app(scope, receive, self._binding(send, result, session_id))

    def _binding(self, send: Send, context: AuthContext, session_id: str | None) -> Send:
        """A ``send`` that binds a session id handed out in the response to ``context``."""
        if session_id is not None:
            return send  # the request already belongs to a session

        async def bind_and_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", ()):
                    if bytes(name).lower() == SESSION_HEADER.encode():
                        self.sessions.bind(bytes(value).decode("latin-1"), context)
            await send(message)

        return bind_and_send

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate a WebSocket handshake from its headers (it has no body)."""
        result = await self._authenticate(_headers(scope), None, scope.get("path"))
        if isinstance(result, Challenge):
            message = await receive()  # websocket.connect
            if message.get("type") == "websocket.connect":
                await send({"type": "websocket.close", "code": 1008, "reason": result.error})
            return
        _accept(scope, result)
        with use_auth_context(result):
            await self.app(scope, receive, send)

    async def _authenticate(
        self, headers: list[tuple[str, str]], body: McpBody | None, path: str | None
    ) -> AuthResult:
        authenticate = functools.partial(self.authenticator.authenticate, headers, body, path=path)
        try:
            token = read_bearer_token(headers)
        except MalformedAuthorization:
            token = None  # refused without any I/O
        return await offload.check(self.authenticator, token, authenticate, offload=self.offload)

    @staticmethod
    async def _read_body(receive: Receive, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    def _replay(data: bytes, original: Receive) -> Receive:
        """A ``receive`` that hands out the buffered body once, then waits on the real one."""
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            return await original()

        return receive
