"""Reading the JSON-RPC body a scope policy looks at (shared by every adapter).

Parsing a body costs time in proportion to its size, and a request that has not authenticated
must not be able to buy that time (a 1 MiB ``[1,1,…]`` costs hundreds of milliseconds to walk).
Adapters therefore hand the raw bytes to the authenticator as an :class:`McpBody`, which parses
them at most once and only when asked: after the token verified, or — to name the scopes of a
401 — when the body is small (:data:`SCOPE_HINT_BYTES`).
"""

from __future__ import annotations

import json

__all__ = ["SCOPE_HINT_BYTES", "McpBody", "parse_mcp_body"]

#: Largest body parsed for a request that has not authenticated (to name its scopes in the 401
#: challenge); larger ones get the policy's default scopes in the challenge, unparsed.
SCOPE_HINT_BYTES = 16_384

_UNPARSED = object()


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


class McpBody:
    """A request body whose JSON is parsed at most once, and only when first asked for.

    Args:
        data: the raw body (already bounded by the adapter that read it).

    """

    __slots__ = ("_value", "data")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._value: object = _UNPARSED

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        return f"McpBody({len(self.data)} bytes)"

    def parsed(self) -> object:
        """The parsed JSON (``None`` when the body is empty or not JSON), computed once."""
        if self._value is _UNPARSED:
            self._value = parse_mcp_body(self.data)
        return self._value

    @property
    def is_json(self) -> bool:
        """Whether the body is one JSON document (an empty body is not)."""
        if not self.data:
            return False
        if self.parsed() is not None:
            return True
        return self.data.strip() == b"null"
