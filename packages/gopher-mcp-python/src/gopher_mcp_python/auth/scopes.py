"""Which scopes an MCP request needs: the per-method and per-tool scope policy.

The policy is plain data. It looks at the JSON-RPC body of an MCP request (a single message or a
batch) and answers with the scopes a token must grant for it, before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["MAX_BATCH_MESSAGES", "ScopePolicy", "canonical_path", "normalize_scopes"]

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


def canonical_path(path: str) -> str:
    """``path`` with repeated slashes and ``.``/``..`` segments folded: ``//a/./b/../c`` → ``/a/c``.

    Used to match path rules: routers differ in how they treat such spellings, and a rule must
    not be escaped by one. Percent-decoding is the server's job (WSGI and ASGI paths arrive
    decoded) and is not repeated here.
    """
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments)


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
        paths: URL path → extra scopes for every request to that path or below it, for the
            non-MCP routes of a server (e.g. ``{"/api/admin": "mcp:admin"}``). The request's path
            is compared after repeated slashes and ``.``/``..`` segments are folded, so
            ``//api/admin`` and ``/api/x/../admin`` need the same scopes as ``/api/admin``.

    Scopes may be given as a list/tuple or a space-separated string. For a batch the requirement
    is the union over its messages; a batch of more than :data:`MAX_BATCH_MESSAGES` messages needs
    every scope the policy names (it is not walked). A request whose body is not JSON-RPC (or is
    missing) needs only ``default``.

    """

    __slots__ = ("_every", "default", "methods", "paths", "tools")

    default: tuple[str, ...]
    methods: Mapping[str, tuple[str, ...]]
    tools: Mapping[str, tuple[str, ...]]
    paths: Mapping[str, tuple[str, ...]]
    _every: tuple[str, ...]

    def __init__(
        self,
        default: ScopeSpec = (),
        methods: Mapping[str, ScopeSpec] | None = None,
        tools: Mapping[str, ScopeSpec] | None = None,
        paths: Mapping[str, ScopeSpec] | None = None,
    ) -> None:
        object.__setattr__(self, "default", normalize_scopes(default))
        object.__setattr__(self, "methods", _frozen_map(methods or {}))
        object.__setattr__(self, "tools", _frozen_map(tools or {}))
        rules = {}
        for path, scopes in (paths or {}).items():
            if not isinstance(path, str) or not path.startswith("/"):
                raise ValueError(f"a path rule must start with '/', got {path!r}")
            rules[canonical_path(path)] = normalize_scopes(scopes)
        object.__setattr__(self, "paths", MappingProxyType(rules))
        object.__setattr__(self, "_every", self.all_scopes())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ScopePolicy is immutable")

    def __repr__(self) -> str:
        return (
            f"ScopePolicy(default={self.default!r}, methods={dict(self.methods)!r}, "
            f"tools={dict(self.tools)!r}, paths={dict(self.paths)!r})"
        )

    def _key(self) -> tuple[object, ...]:
        return (
            self.default,
            tuple(sorted(self.methods.items())),
            tuple(sorted(self.tools.items())),
            tuple(sorted(self.paths.items())),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScopePolicy):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def inspects_body(self) -> bool:
        """Whether the policy depends on the request body (per-method or per-tool rules)."""
        return bool(self.methods or self.tools)

    def all_scopes(self) -> tuple[str, ...]:
        """Every scope the policy mentions, in a stable order."""
        found: list[str] = list(self.default)
        for group in (*self.methods.values(), *self.tools.values(), *self.paths.values()):
            found.extend(s for s in group if s not in found)
        return tuple(found)

    def for_tool(self, name: str) -> tuple[str, ...]:
        """The scopes ``tools/call`` of tool ``name`` requires (default + method + tool rules)."""
        return self._merge(
            self.default, self.methods.get("tools/call", ()), self.tools.get(name, ())
        )

    def for_request(
        self, method: str, name: str | None = None, path: str | None = None
    ) -> tuple[str, ...]:
        """The scopes of a request known by its method and name only (the routing headers).

        The same answer as :meth:`required_scopes` for a body with that ``method`` and (for
        ``tools/call``) ``params.name``; the body itself is not needed.
        """
        params = {} if name is None else {"name": name}
        return self.required_scopes({"method": method, "params": params}, path)

    def required_scopes(
        self, mcp_request: object = None, path: str | None = None
    ) -> tuple[str, ...]:
        """The scopes a token needs for ``mcp_request`` (parsed JSON-RPC) sent to ``path``.

        ``mcp_request`` is one message or a batch; the path rules apply only when ``path`` is given.
        """
        if not isinstance(mcp_request, list):
            needed = self._for_message(mcp_request)
        elif len(mcp_request) > MAX_BATCH_MESSAGES:
            needed = self._every
        else:
            needed = self._merge(*(self._for_message(message) for message in mcp_request))
        if path is None or not self.paths:
            return needed
        return self._merge(needed, *self._for_path(path))

    def _for_path(self, path: str) -> list[tuple[str, ...]]:
        canonical = canonical_path(path)
        return [
            scopes
            for rule, scopes in self.paths.items()
            if canonical == rule or rule == "/" or canonical.startswith(rule + "/")
        ]

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
