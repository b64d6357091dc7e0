"""The routing headers of MCP 2026-07-28 (``Mcp-Method``, ``Mcp-Name``) and their agreement check.

From revision 2026-07-28 a Streamable HTTP request mirrors its JSON-RPC ``method`` in
``Mcp-Method`` and, for ``tools/call``, ``prompts/get`` and ``resources/read``, its
``params.name`` / ``params.uri`` in ``Mcp-Name`` (plain visible ASCII, or the Base64 sentinel
``=?base64?…?=`` of the UTF-8 value). A scope policy can then be decided from the headers alone,
before the body is parsed — which is only sound if the body is checked against the headers before
anything runs: a token with ``mcp:read`` must not get ``Mcp-Name: get-weather`` authorized and
then run ``get-weather-alerts`` from the body. :meth:`RoutingHeaders.disagreement` is that check;
a refusal is ``400`` with JSON-RPC error ``-32020`` (``HeaderMismatch``), as the revision says.

Headers on an older revision (or with no ``MCP-Protocol-Version``) are not read at all: nothing
validated them, so the scopes come from the body as before.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from .credentials import Headers

__all__ = [
    "HEADER_MISMATCH",
    "HEADER_REVISIONS",
    "PROTOCOL_VERSION_META",
    "RoutingHeaders",
    "routing_headers",
]

#: Protocol revisions whose requests carry routing headers that a server must check.
HEADER_REVISIONS = frozenset({"2026-07-28"})
#: The JSON-RPC error code of a header/body disagreement (``HeaderMismatch``).
HEADER_MISMATCH = -32020
#: Where a 2026-07-28 request body names its protocol version.
PROTOCOL_VERSION_META = "io.modelcontextprotocol/protocolVersion"
#: The methods whose ``Mcp-Name`` mirrors a body field, and that field.
NAMED_PARAMS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

_NAMES = ("mcp-protocol-version", "mcp-method", "mcp-name")
_SENTINEL_START = "=?base64?"
_SENTINEL_END = "?="


def _plain_ascii(value: str) -> bool:
    """Whether ``value`` is a plain header value: visible ASCII and inner spaces only.

    A value with control characters (tabs included) or edge whitespace must be sent Base64-encoded.
    """
    return bool(value) and value.isascii() and value.isprintable() and value == value.strip(" ")


def _decode_name(value: str) -> str | None:
    """The ``Mcp-Name`` value decoded (Base64 sentinel or plain), or ``None`` if malformed."""
    if not _plain_ascii(value):
        return None
    if not (value.startswith(_SENTINEL_START) and value.endswith(_SENTINEL_END)):
        return value
    encoded = value[len(_SENTINEL_START) : -len(_SENTINEL_END)]
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class RoutingHeaders:
    """The routing headers of one request on a header revision.

    Attributes:
        version: the ``MCP-Protocol-Version`` (one of :data:`HEADER_REVISIONS`).
        method: the ``Mcp-Method`` value, ``None`` when missing or malformed.
        name: the decoded ``Mcp-Name`` value, ``None`` when absent (or malformed).
        problem: why the headers themselves are unusable ("" when they are well-formed).

    """

    version: str
    method: str | None
    name: str | None
    problem: str = ""

    def disagreement(self, message: object) -> str:
        """Why ``message`` (the parsed body) does not match these headers ("" when it does).

        The body must be one JSON-RPC request (2026-07-28 has no batches) whose ``method`` is
        ``Mcp-Method``, whose named parameter is ``Mcp-Name`` (header present exactly when the
        method has one and the body carries it), and whose ``_meta`` protocol version, when
        given, is ``MCP-Protocol-Version``.
        """
        if self.problem:
            return self.problem
        if not isinstance(message, dict) or not isinstance(message.get("method"), str):
            return "the body is not one JSON-RPC request, as the Mcp-Method header says"
        method = message["method"]
        if method != self.method:
            return "the Mcp-Method header does not match the method in the body"
        params = message.get("params")
        params = params if isinstance(params, dict) else {}
        field = NAMED_PARAMS.get(method)
        body_name = params.get(field) if field is not None else None
        if (body_name is not None or self.name is not None) and body_name != self.name:
            where = f"params.{field}" if field else "the body (no name for this method)"
            return f"the Mcp-Name header does not match {where}"
        meta = params.get("_meta")
        stated = meta.get(PROTOCOL_VERSION_META) if isinstance(meta, dict) else None
        if stated is not None and stated != self.version:
            return (
                "the MCP-Protocol-Version header does not match "
                f"_meta[{PROTOCOL_VERSION_META!r}] in the body"
            )
        return ""


def _routing_values(headers: Headers) -> dict[str, list[str]]:
    """Every value of the three routing headers, in one pass (repeated headers kept apart)."""
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):  # werkzeug / multidict-style headers
        return {name: [str(v) for v in getlist(name)] for name in _NAMES}
    found: dict[str, list[str]] = {name: [] for name in _NAMES}
    for key, value in headers.items() if isinstance(headers, Mapping) else headers:
        if key[:4].lower() == "mcp-":
            values = found.get(key.lower())
            if values is not None:
                values.append(value)
    return found


def routing_headers(headers: Headers) -> RoutingHeaders | None:
    """The routing headers of a request on a header revision, else ``None``.

    ``None`` (scopes then come from the body) when ``MCP-Protocol-Version`` is absent, repeated,
    or not one of :data:`HEADER_REVISIONS`. A missing, repeated or malformed ``Mcp-Method`` /
    ``Mcp-Name`` is reported in :attr:`RoutingHeaders.problem`: such a request is refused.
    """
    found = _routing_values(headers)
    versions = found["mcp-protocol-version"]
    if len(versions) != 1 or versions[0].strip() not in HEADER_REVISIONS:
        return None
    version = versions[0].strip()
    methods, names = found["mcp-method"], found["mcp-name"]
    if len(methods) != 1:
        problem = "a missing Mcp-Method header" if not methods else "more than one Mcp-Method"
        return RoutingHeaders(version, None, None, f"{problem} header")
    method = methods[0].strip(" \t")
    if not _plain_ascii(method) or " " in method:
        return RoutingHeaders(version, None, None, "a malformed Mcp-Method header")
    if len(names) > 1:
        return RoutingHeaders(version, method, None, "more than one Mcp-Name header")
    name = None
    if names:
        name = _decode_name(names[0].strip(" \t"))
        if name is None:
            problem = (
                "a malformed Mcp-Name header "
                "(send visible ASCII, or =?base64?<Base64 of the UTF-8 name>?=)"
            )
            return RoutingHeaders(version, method, None, problem)
    if method in NAMED_PARAMS and name is None:
        return RoutingHeaders(version, method, None, f"{method} needs an Mcp-Name header")
    return RoutingHeaders(version, method, name)
