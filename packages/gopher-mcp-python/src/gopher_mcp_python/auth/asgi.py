"""ASGI middleware: put an ASGI application (Starlette, FastAPI, ``mcp`` SDK apps) behind auth.

Every HTTP request and WebSocket connection is authenticated before the application sees it,
except ``GET``/``HEAD`` of the exact public paths (:class:`~.public.PublicPaths`: the RFC 9728
metadata, plus any you add); ``lifespan`` events pass through, and any other scope type is
refused. A Starlette ``Mount("/mcp", app)`` therefore cannot be reached as ``/mcp/anything``
without a token. Refusals are answered by the middleware (a refused WebSocket is closed before it
is accepted, which the server sends as HTTP 403). An accepted request's context is stored in
``scope["state"]["gopher_auth"]`` (Starlette's ``request.state.gopher_auth``) and is current
(:func:`~.context.current_auth_context`) inside the application's task.

Validation normally takes microseconds, but a first request (or an unknown key id) may fetch
the JWKS, which can block for up to ``request_timeout``; with ``offload=True`` (default) the
native call runs in a worker thread (``anyio.to_thread``) so the event loop never blocks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from .authenticator import Authenticator, AuthResult
from .body import McpBody
from .challenge import Challenge
from .context import use_auth_context
from .public import PublicPaths

__all__ = ["STATE_KEY", "ASGIAuthMiddleware"]

STATE_KEY = "gopher_auth"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]


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

    """

    def __init__(
        self,
        app: ASGIApp,
        authenticator: Authenticator,
        *,
        public_paths: Iterable[str] = (),
        offload: bool = True,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.public = PublicPaths(authenticator.config, public_paths)
        self.offload = offload

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
        if self.public.allows(method, scope.get("path", "")):
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
        result = await self._authenticate(_headers(scope), body)
        if isinstance(result, Challenge):
            await _send(result, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = result
        with use_auth_context(result):
            await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate a WebSocket handshake from its headers (it has no body)."""
        result = await self._authenticate(_headers(scope), None)
        if isinstance(result, Challenge):
            message = await receive()  # websocket.connect
            if message.get("type") == "websocket.connect":
                await send({"type": "websocket.close", "code": 1008, "reason": result.error})
            return
        scope.setdefault("state", {})[STATE_KEY] = result
        with use_auth_context(result):
            await self.app(scope, receive, send)

    async def _authenticate(
        self, headers: list[tuple[str, str]], body: McpBody | None
    ) -> AuthResult:
        if not self.offload:
            return self.authenticator.authenticate(headers, body)
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.authenticator.authenticate, headers, body)

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
