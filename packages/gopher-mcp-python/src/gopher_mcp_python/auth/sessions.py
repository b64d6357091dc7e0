"""Binding MCP sessions to the principal that opened them.

An MCP server hands out an ``Mcp-Session-Id`` when a session starts; every later request of the
session carries it. The MCP security guidance asks servers to bind a session to its user, or a
second user holding any valid token could act inside the first user's session (and, on some SDK
versions, be seen by tools as the first user). :class:`SessionBinding` records, per process, the
principal — issuer and subject, never the token's bytes, so a refreshed token of the same user
keeps its session — that was authenticated on the response that handed out each session id, and
answers whether a later request's principal is the same.

The record is per process and bounded (least recently used sessions are forgotten first). A
session id this process never handed out is not judged here: the application decides (the
official SDKs answer ``404`` to an unknown session).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from .context import AuthContext

__all__ = ["SESSION_HEADER", "SessionBinding", "principal_of"]

SESSION_HEADER = "mcp-session-id"
#: Session ids longer than this are not recorded (the MCP transport uses short visible ASCII).
MAX_SESSION_ID = 256


def principal_of(context: AuthContext) -> tuple[str, str]:
    """Who a token speaks for: its issuer and subject (its client when it has no subject)."""
    return context.issuer, context.subject or "client:" + context.client_id


class SessionBinding:
    """Session id → principal, per process, bounded (thread-safe).

    Args:
        max_sessions: how many sessions are remembered; the least recently used go first.

    """

    def __init__(self, max_sessions: int = 10_000) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
        self._max = max_sessions
        self._owners: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._owners)

    def bind(self, session_id: str, context: AuthContext) -> None:
        """Record that ``context``'s principal opened ``session_id`` (the first record stays)."""
        if not session_id or len(session_id) > MAX_SESSION_ID:
            return
        with self._lock:
            if session_id in self._owners:
                self._owners.move_to_end(session_id)
                return
            self._owners[session_id] = principal_of(context)
            while len(self._owners) > self._max:
                self._owners.popitem(last=False)

    def allows(self, session_id: str | None, context: AuthContext) -> bool:
        """Whether ``context`` may use ``session_id`` (no session, or one it opened or unknown)."""
        if not session_id:
            return True
        with self._lock:
            owner = self._owners.get(session_id)
            if owner is not None:
                self._owners.move_to_end(session_id)
        return owner is None or owner == principal_of(context)
