"""The per-request context handed to tool, resource and prompt handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gopher_mcp_python.auth import AuthContext

from .protocol import LOG_LEVELS, McpError

__all__ = ["CallContext", "Emitter", "Requester"]

#: Sends one JSON-RPC message (a notification or a server→client request) to the client.
Emitter = Callable[[dict[str, Any]], None]
#: Sends a server→client request and waits for the client's result.
Requester = Callable[[str, dict[str, Any], float], dict[str, Any]]


class CallContext:
    """What a handler may know and do during one request (never shared between requests).

    Attributes:
        request_id: the JSON-RPC id of the request.
        progress_token: ``params._meta.progressToken`` of the request, or ``None``.
        auth: the caller's verified identity (``None`` when auth is off).
        protocol_version: the MCP revision of the request.
        input_responses: 2026-07-28 retries: the client's answers, keyed like the
            ``inputRequests`` of :class:`~.mrtr.InputRequired` (empty on a first try).
        request_state: the state the handler put in :class:`~.mrtr.InputRequired`, verified
            (``None`` on a first try).
        client_capabilities: 2026-07-28: the capabilities this request declares in ``_meta``.

    """

    def __init__(
        self,
        request_id: Any,
        *,
        progress_token: Any = None,
        auth: AuthContext | None = None,
        protocol_version: str = "",
        emit: Emitter | None = None,
        requester: Requester | None = None,
        min_log_level: str | None = "debug",
        input_responses: dict[str, Any] | None = None,
        request_state: Any = None,
        client_capabilities: dict[str, Any] | None = None,
    ) -> None:
        self.request_id = request_id
        self.progress_token = progress_token
        self.auth = auth
        self.protocol_version = protocol_version
        self.input_responses = input_responses or {}
        self.request_state = request_state
        self.client_capabilities = client_capabilities or {}
        self._emit = emit
        self._requester = requester
        # None: the client asked for no log messages (2026-07-28 without _meta logLevel)
        self._min_level = (
            len(LOG_LEVELS) if min_log_level is None else LOG_LEVELS.index(min_log_level)
        )

    @property
    def streaming(self) -> bool:
        """Whether messages can reach the client before the result (an SSE response)."""
        return self._emit is not None

    def log(self, level: str, data: Any, logger: str | None = None) -> None:
        """Send a ``notifications/message`` log entry (dropped when not streaming)."""
        if level not in LOG_LEVELS:
            raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LOG_LEVELS)}")
        if self._emit is None or LOG_LEVELS.index(level) < self._min_level:
            return
        params: dict[str, Any] = {"level": level, "data": data}
        if logger is not None:
            params["logger"] = logger
        self._emit({"jsonrpc": "2.0", "method": "notifications/message", "params": params})

    def progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Send ``notifications/progress`` (only when the request carried a progress token)."""
        if self._emit is None or self.progress_token is None:
            return
        params: dict[str, Any] = {"progressToken": self.progress_token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None:
            params["message"] = message
        self._emit({"jsonrpc": "2.0", "method": "notifications/progress", "params": params})

    def request(self, method: str, params: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
        """Ask the client (``sampling/createMessage``, ``elicitation/create``, …) and wait.

        Raises :class:`McpError` when the response is not streamed, the client answers with an
        error, or no answer arrives within ``timeout`` seconds.
        """
        if self._requester is None:
            raise McpError(-32603, f"{method} needs a streamed (text/event-stream) response")
        return self._requester(method, params, timeout)
