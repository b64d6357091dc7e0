"""MCP protocol constants and JSON-RPC error values."""

from __future__ import annotations

from typing import Any

__all__ = [
    "BATCH_VERSIONS",
    "DEFAULT_HEADER_VERSION",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "LATEST_VERSION",
    "LOG_LEVELS",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "RESOURCE_NOT_FOUND",
    "SUPPORTED_VERSIONS",
    "McpError",
    "echo",
    "error_response",
    "negotiate_version",
]

#: Protocol revisions this server speaks, newest first.
SUPPORTED_VERSIONS: tuple[str, ...] = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")
LATEST_VERSION = SUPPORTED_VERSIONS[0]
#: Revisions that allow JSON-RPC batches (removed in 2025-06-18).
BATCH_VERSIONS = frozenset({"2025-03-26", "2024-11-05"})
#: What a request without an MCP-Protocol-Version header is assumed to speak (transport spec).
DEFAULT_HEADER_VERSION = "2025-03-26"

#: The most characters of a client-supplied string (a method, tool or URI) an error message quotes.
MAX_ECHO = 64

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
RESOURCE_NOT_FOUND = -32002

#: RFC 5424 severities, least severe first (logging/setLevel).
LOG_LEVELS: tuple[str, ...] = (
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
)


class McpError(Exception):
    """A JSON-RPC error to answer a request with (code, message, optional data)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` member."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def echo(value: str) -> str:
    """``value`` as an error message may quote it: at most :data:`MAX_ECHO` characters.

    A client that sends a 900 KB method name gets a short error, not its 900 KB back.
    """
    return value if len(value) <= MAX_ECHO else value[:MAX_ECHO] + "…"


def error_response(request_id: Any, error: McpError) -> dict[str, Any]:
    """A JSON-RPC error response (``id`` null when the request's id is unknown)."""
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def negotiate_version(requested: str) -> str:
    """The version ``initialize`` answers: the requested one if supported, else the newest."""
    return requested if requested in SUPPORTED_VERSIONS else LATEST_VERSION
