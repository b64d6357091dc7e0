"""MCP 2026-07-28: the stateless request envelope around the dispatcher.

From 2026-07-28 there is no ``initialize`` and no session: every request names its revision in
``MCP-Protocol-Version`` (and ``params._meta``), ``server/discover`` tells a client what the server
speaks, and every result carries ``resultType`` (list results also ``ttlMs``/``cacheScope``).
The routing headers are checked against the body with the SDK's own rule
(:mod:`gopher_mcp_python.auth.routing`): the server never re-implements it.
"""

from __future__ import annotations

from typing import Any

from .registry import Registry

__all__ = [
    "CACHEABLE_METHODS",
    "MISSING_REQUIRED_CLIENT_CAPABILITY",
    "MODERN_VERSIONS",
    "REMOVED_METHODS",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "discover_result",
    "finish_result",
    "meta_problem",
    "modern_capabilities",
    "unsupported_version",
]

#: The stateless revisions this server speaks, newest first.
MODERN_VERSIONS: tuple[str, ...] = ("2026-07-28",)
UNSUPPORTED_PROTOCOL_VERSION = -32022
MISSING_REQUIRED_CLIENT_CAPABILITY = -32021
#: Methods whose results are cacheable (``ttlMs``/``cacheScope``, 2026-07-28).
CACHEABLE_METHODS = frozenset(
    {
        "server/discover",
        "tools/list",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "prompts/list",
    }
)
#: Methods of the older revisions that 2026-07-28 removed (answered 404 / -32601).
REMOVED_METHODS = frozenset(
    {"initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"}
)
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
#: How long a client may cache a list: 0 (always re-fetch; the example's lists are fixed, but a
#: real server's may change per principal).
LIST_TTL_MS = 0


def discover_result(registry: Registry, supported: tuple[str, ...]) -> dict[str, Any]:
    """The ``server/discover`` result: versions, capabilities, server info, instructions."""
    info: dict[str, Any] = {"name": registry.name, "version": registry.version}
    if registry.title:
        info["title"] = registry.title
    result: dict[str, Any] = {
        "supportedVersions": list(supported),
        "capabilities": modern_capabilities(registry.capabilities()),
        "_meta": {"io.modelcontextprotocol/serverInfo": info},
    }
    if registry.instructions:
        result["instructions"] = registry.instructions
    return result


def modern_capabilities(capabilities: dict[str, Any]) -> dict[str, Any]:
    """``capabilities`` as 2026-07-28 offers them: nothing this server cannot push.

    On 2026-07-28 resource subscriptions and list-changed notifications are delivered only on a
    ``subscriptions/listen`` stream, which this server does not offer (``resources/subscribe`` is
    gone): ``subscribe`` and ``listChanged`` are left out rather than promised.
    """
    out: dict[str, Any] = {}
    for name, value in capabilities.items():
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in ("subscribe", "listChanged")}
        out[name] = value
    return out


def finish_result(method: str, result: dict[str, Any], *, private: bool) -> dict[str, Any]:
    """``result`` as 2026-07-28 sends it: ``resultType`` and, for lists, the cache hints.

    ``private``: the answer may depend on who asked (auth on), so shared caches must not keep it.
    """
    out = dict(result)
    out.setdefault("resultType", "complete")
    if method in CACHEABLE_METHODS:
        out.setdefault("ttlMs", LIST_TTL_MS)
        out.setdefault("cacheScope", "private" if private else "public")
    return out


def unsupported_version(requested: str, supported: tuple[str, ...]) -> dict[str, Any]:
    """The ``error`` member of an UnsupportedProtocolVersionError (-32022)."""
    return {
        "code": UNSUPPORTED_PROTOCOL_VERSION,
        "message": (
            f"Unsupported protocol version {requested!r}; use one of: {', '.join(supported)}"
        ),
        "data": {"supported": list(supported), "requested": requested},
    }


def meta_problem(message: dict[str, Any]) -> str:
    """What is wrong with a 2026-07-28 request's ``params._meta`` ("" when it is well-formed).

    The revision requires ``io.modelcontextprotocol/protocolVersion`` (a string) and
    ``io.modelcontextprotocol/clientCapabilities`` (an object) on every request.
    """
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    if not isinstance(meta, dict):
        return "Invalid params: a 2026-07-28 request needs params._meta"
    if not isinstance(meta.get(META_VERSION), str):
        return f"Invalid params: params._meta needs {META_VERSION!r}"
    if not isinstance(meta.get(META_CAPABILITIES), dict):
        return f"Invalid params: params._meta needs {META_CAPABILITIES!r} (an object)"
    return ""
