"""Reading the JSON-RPC body a scope policy looks at (shared by every adapter)."""

from __future__ import annotations

import json

__all__ = ["parse_mcp_body"]


def parse_mcp_body(data: bytes) -> object:
    """The parsed JSON of a request body, or ``None`` if it is empty or not JSON.

    Used only to find the MCP method and tool name for the scope policy; a body that does not
    parse needs only the policy's default scopes (the MCP handler then reports the parse error).
    """
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None
