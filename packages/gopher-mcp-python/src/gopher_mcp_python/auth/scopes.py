"""Which scopes an MCP request needs: the per-method and per-tool scope policy.

The policy is plain data. It looks at the JSON-RPC body of an MCP request (a single message or a
batch) and answers with the scopes a token must grant for it, before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["MAX_BATCH_MESSAGES", "ScopePolicy", "normalize_scopes"]

#: Longest JSON-RPC batch whose messages the policy walks one by one. A longer batch (which an MCP
#: server refuses anyway) needs every scope the policy names, decided without walking it, so the
#: cost of working out a request's scopes is bounded whatever the body holds.
MAX_BATCH_MESSAGES = 100


def normalize_scopes(scopes: Iterable[str] | str) -> tuple[str, ...]:
    r"""``scopes`` as a tuple of distinct scope tokens, in first-seen order.

    A string is split on whitespace. Each scope must be an RFC 6749 §3.3 scope-token (printable
    ASCII without space, ``"`` or ``\\``); anything else raises ``ValueError``.
    """
    items = scopes.split() if isinstance(scopes, str) else list(scopes)
    out: list[str] = []
    for scope in items:
        if not scope or any(c in ' "\\' or not 0x21 <= ord(c) <= 0x7E for c in scope):
            raise ValueError(f"invalid scope token {scope!r}: use printable ASCII without spaces")
        if scope not in out:
            out.append(scope)
    return tuple(out)


def _frozen_map(mapping: Mapping[str, Iterable[str] | str]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({str(k): normalize_scopes(v) for k, v in mapping.items()})


ScopeSpec = Iterable[str] | str


class ScopePolicy:
    """The scopes required per MCP request (immutable).

    Args:
        default: scopes every authenticated request needs (e.g. ``("mcp:access",)``); often empty.
        methods: JSON-RPC method → extra scopes (e.g. ``{"resources/read": ("mcp:read",)}``).
        tools: tool name → extra scopes for ``tools/call`` of that tool
            (e.g. ``{"get-weather-alerts": ("mcp:admin",)}``).

    Scopes may be given as a list/tuple or a space-separated string. For a batch the requirement
    is the union over its messages; a batch of more than :data:`MAX_BATCH_MESSAGES` messages needs
    every scope the policy names (it is not walked). A request whose body is not JSON-RPC (or is
    missing) needs only ``default``.

    """

    __slots__ = ("_every", "default", "methods", "tools")

    default: tuple[str, ...]
    methods: Mapping[str, tuple[str, ...]]
    tools: Mapping[str, tuple[str, ...]]
    _every: tuple[str, ...]

    def __init__(
        self,
        default: ScopeSpec = (),
        methods: Mapping[str, ScopeSpec] | None = None,
        tools: Mapping[str, ScopeSpec] | None = None,
    ) -> None:
        object.__setattr__(self, "default", normalize_scopes(default))
        object.__setattr__(self, "methods", _frozen_map(methods or {}))
        object.__setattr__(self, "tools", _frozen_map(tools or {}))
        object.__setattr__(self, "_every", self.all_scopes())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ScopePolicy is immutable")

    def __repr__(self) -> str:
        return (
            f"ScopePolicy(default={self.default!r}, methods={dict(self.methods)!r}, "
            f"tools={dict(self.tools)!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScopePolicy):
            return NotImplemented
        return (self.default, dict(self.methods), dict(self.tools)) == (
            other.default,
            dict(other.methods),
            dict(other.tools),
        )

    def __hash__(self) -> int:
        return hash(
            (self.default, tuple(sorted(self.methods.items())), tuple(sorted(self.tools.items())))
        )

    @property
    def inspects_body(self) -> bool:
        """Whether the policy depends on the request body (per-method or per-tool rules)."""
        return bool(self.methods or self.tools)

    def all_scopes(self) -> tuple[str, ...]:
        """Every scope the policy mentions, in a stable order."""
        found: list[str] = list(self.default)
        for group in (*self.methods.values(), *self.tools.values()):
            found.extend(s for s in group if s not in found)
        return tuple(found)

    def for_tool(self, name: str) -> tuple[str, ...]:
        """The scopes ``tools/call`` of tool ``name`` requires (default + method + tool rules)."""
        return self._merge(
            self.default, self.methods.get("tools/call", ()), self.tools.get(name, ())
        )

    def required_scopes(self, mcp_request: object = None) -> tuple[str, ...]:
        """The scopes a token needs for ``mcp_request`` (a parsed JSON-RPC message or batch)."""
        if not isinstance(mcp_request, list):
            return self._for_message(mcp_request)
        if len(mcp_request) > MAX_BATCH_MESSAGES:
            return self._every
        return self._merge(*(self._for_message(message) for message in mcp_request))

    def _for_message(self, message: object) -> tuple[str, ...]:
        """The scopes of one message (hot path: no allocation unless groups must be merged)."""
        if not isinstance(message, dict):
            return self.default
        method = message.get("method")
        if not isinstance(method, str):
            return self.default
        by_method = self.methods.get(method, ())
        by_tool: tuple[str, ...] = ()
        if method == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            if isinstance(name, str):
                by_tool = self.tools.get(name, ())
        if not by_method and not by_tool:
            return self.default
        if not self.default and not (by_method and by_tool):
            return by_method or by_tool
        return self._merge(self.default, by_method, by_tool)

    @staticmethod
    def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for group in groups:
            out.extend(s for s in group if s not in out)
        return tuple(out)
