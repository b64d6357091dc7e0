"""The per-request authentication context and where adapters keep it.

An :class:`AuthContext` is built for one request from its verified token and is never shared
between requests. Framework adapters store it per request (``flask.g``, the WSGI environ, the
ASGI scope) and also in a :mod:`contextvars` variable, which is per thread and per asyncio task.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AuthContext", "current_auth_context", "use_auth_context"]


@dataclass(frozen=True)
class AuthContext:
    """Who a request is authenticated as.

    Attributes:
        subject: ``sub`` of the verified token ("" when absent).
        scopes: the granted scopes exactly as the native engine lists them (``scope``/``scp``,
            distinct, in token order, each an RFC 6749 scope-token; never re-split).
        claims: every claim of the verified token.
        expires_at: ``exp`` in Unix seconds.
        issuer: ``iss``.
        audience: the ``aud`` values.
        client_id: the OAuth client the token was issued to, as the engine reads it (the first
            present of ``client_id``, ``azp``, ``cid``, ``appid``), or "".

    """

    subject: str
    scopes: tuple[str, ...]
    claims: Mapping[str, Any] = field(repr=False)
    expires_at: int
    issuer: str
    audience: tuple[str, ...] = ()
    client_id: str = ""

    def has_scope(self, scope: str) -> bool:
        """Whether ``scope`` is granted exactly (no prefix or hierarchy matching)."""
        return scope in self.scopes

    def has_scopes(self, scopes: tuple[str, ...] | list[str]) -> bool:
        """Whether every scope of ``scopes`` is granted."""
        return all(s in self.scopes for s in scopes)


_current: ContextVar[AuthContext | None] = ContextVar("gopher_mcp_auth_context", default=None)


def current_auth_context() -> AuthContext | None:
    """The auth context of the request being handled on this thread/task, or ``None``."""
    return _current.get()


@contextmanager
def use_auth_context(context: AuthContext | None) -> Iterator[None]:
    """Make ``context`` current for the duration of the ``with`` block, then restore."""
    token = _current.set(context)
    try:
        yield
    finally:
        _current.reset(token)
