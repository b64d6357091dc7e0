"""MCP messages sent as plain HTTP, for the e2e tests that assert statuses and challenges.

The official client hides what the tests must see (the status line, `WWW-Authenticate`), so
these tests post JSON-RPC themselves, on the 2025-06-18 revision unless told otherwise.
"""

from __future__ import annotations

from typing import Any

import httpx

PROTOCOL_VERSION = "2025-06-18"


def post_mcp(
    mcp_url: str,
    token: str | None,
    message: dict[str, Any],
    *,
    protocol_version: str = PROTOCOL_VERSION,
) -> httpx.Response:
    """POST one JSON-RPC `message` to `mcp_url`, with `token` as the Bearer token when given."""
    headers = {
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
        "MCP-Protocol-Version": protocol_version,
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(mcp_url, headers=headers, json=message, timeout=30.0)


def tool_call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A `tools/call` request for tool `name`."""
    return {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def initialize(client_name: str, protocol_version: str = PROTOCOL_VERSION) -> dict[str, Any]:
    """An `initialize` request from a client called `client_name`."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol_version,
            "capabilities": {},
            "clientInfo": {"name": client_name, "version": "0"},
        },
    }
