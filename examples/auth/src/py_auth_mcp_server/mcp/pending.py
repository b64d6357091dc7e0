"""Server→client requests waiting for the client's answer (process-local, bounded)."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import Future
from typing import Any

from .protocol import INTERNAL_ERROR, McpError

__all__ = ["PendingRequests"]


class PendingRequests:
    """Routes the JSON-RPC responses a client POSTs back to the tool waiting for them.

    Ids are unguessable, entries are removed on answer or timeout, and at most ``limit`` wait at
    once. The answer must reach the same process: run a server that uses server→client requests
    as one process (threads are fine) or with sticky sessions.
    """

    def __init__(self, limit: int = 1024) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[str | None, Future[dict[str, Any]]]] = {}

    def open(self, session_id: str | None = None) -> tuple[str, Future[dict[str, Any]]]:
        """A fresh request id and the future its answer will complete.

        With ``session_id``, only an answer POSTed with the same ``Mcp-Session-Id`` counts.
        """
        request_id = "srv-" + secrets.token_urlsafe(16)
        future: Future[dict[str, Any]] = Future()
        with self._lock:
            if len(self._waiting) >= self._limit:
                raise McpError(INTERNAL_ERROR, "too many server-to-client requests in flight")
            self._waiting[request_id] = (session_id, future)
        return request_id, future

    def close(self, request_id: str) -> None:
        """Forget ``request_id`` (after its answer or a timeout)."""
        with self._lock:
            self._waiting.pop(request_id, None)

    def resolve(self, message: dict[str, Any], session_id: str | None = None) -> bool:
        """Deliver a client's JSON-RPC response; ``False`` if nobody (in this session) waits."""
        request_id = message.get("id")
        if not isinstance(request_id, str):
            return False
        with self._lock:
            entry = self._waiting.get(request_id)
            if entry is None or (entry[0] is not None and entry[0] != session_id):
                return False
            del self._waiting[request_id]
        entry[1].set_result(message)
        return True
