"""The routing headers of MCP 2026-07-28 (``Mcp-Method``, ``Mcp-Name``) and their agreement check.

From revision 2026-07-28 a Streamable HTTP request mirrors its JSON-RPC ``method`` in
``Mcp-Method`` and, for ``tools/call``, ``prompts/get`` and ``resources/read``, its
``params.name`` / ``params.uri`` in ``Mcp-Name`` (plain visible ASCII, or the Base64 sentinel
``=?base64?…?=`` of the UTF-8 value). A scope policy can then be decided from the headers alone,
before the body is parsed — which is only sound if the body is checked against the headers before
anything runs: a token with ``mcp:read`` must not get ``Mcp-Name: get-weather`` authorized and
then run ``get-weather-alerts`` from the body. :meth:`RoutingHeaders.disagreement` is that check;
a refusal is ``400`` with JSON-RPC error ``-32020`` (``HeaderMismatch``), as the revision says.

A tool may also annotate an input property with ``x-mcp-header: <Name>``; a ``tools/call`` of that
tool then mirrors the argument in ``Mcp-Param-<Name>`` (strings as they are or Base64-encoded,
integers in decimal, booleans as ``true``/``false``; no header for an absent or null argument).
:func:`header_params` reads the annotations of a schema and :func:`param_disagreement` checks the
headers against the arguments: a missing, repeated, malformed or different header, or one for an
argument the body does not carry, is the same ``400`` / ``-32020``. ``Mcp-Param-*`` headers the
tool does not declare are ignored (nothing is decided from them). A WSGI server joins a repeated
header's values with commas, so there a repeated ``Mcp-Param-*`` is refused only when the joined
value differs from the argument.

Headers on an older revision (or with no ``MCP-Protocol-Version``) are not read at all: nothing
validated them, so the scopes come from the body as before.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .credentials import Headers

__all__ = [
    "HEADER_MISMATCH",
    "HEADER_REVISIONS",
    "PROTOCOL_VERSION_META",
    "RoutingHeaders",
    "header_params",
    "param_disagreement",
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
#: The header an ``x-mcp-header`` annotation names is ``Mcp-Param-`` followed by it.
PARAM_PREFIX = "Mcp-Param-"
#: The JSON Schema types an ``x-mcp-header`` property may have.
_PARAM_TYPES = frozenset({"string", "integer", "boolean"})
#: An ``x-mcp-header`` name: an RFC 9110 token (no space, colon or control character, ASCII).
_PARAM_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")


def _plain_ascii(value: str) -> bool:
    """Whether ``value`` is a plain header value: visible ASCII and inner spaces only.

    A value with control characters (tabs included) or edge whitespace must be sent Base64-encoded.
    """
    return bool(value) and value.isascii() and value.isprintable() and value == value.strip(" ")


def _decode_value(value: str) -> str | None:
    """A routing header value decoded (Base64 sentinel or plain), ``None`` if malformed.

    A value is Base64 only when wrapped in the whole sentinel ``=?base64?…?=``; anything else is
    taken literally. The Base64 must be canonical: its alphabet only, padding included.
    """
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
        name = _decode_value(names[0].strip(" \t"))
        if name is None:
            problem = (
                "a malformed Mcp-Name header "
                "(send visible ASCII, or =?base64?<Base64 of the UTF-8 name>?=)"
            )
            return RoutingHeaders(version, method, None, problem)
    if method in NAMED_PARAMS and name is None:
        return RoutingHeaders(version, method, None, f"{method} needs an Mcp-Name header")
    return RoutingHeaders(version, method, name)


def header_params(input_schema: object) -> dict[str, str]:
    """The ``x-mcp-header`` annotations of a tool's ``inputSchema``: property → header name.

    Only top-level properties are mirrored. Raises :class:`ValueError` for an annotation a client
    must refuse (clients then drop the whole tool): a name that is empty, not an RFC 9110 token or
    used twice (case-insensitively), or a property that is not a string, integer or boolean.
    """
    properties = input_schema.get("properties") if isinstance(input_schema, dict) else None
    if not isinstance(properties, dict):
        return {}
    declared: dict[str, str] = {}
    for prop, schema in properties.items():
        name = schema.get("x-mcp-header") if isinstance(schema, dict) else None
        if name is None:
            continue
        if not isinstance(name, str) or not _PARAM_NAME.fullmatch(name):
            raise ValueError(
                f"x-mcp-header of property {prop!r} must be a non-empty HTTP token "
                "(ASCII letters, digits and !#$%&'*+.^_`|~-, at most 64)"
            )
        if schema.get("type") not in _PARAM_TYPES:
            raise ValueError(
                f"x-mcp-header on property {prop!r} needs type string, integer or boolean"
            )
        if name.lower() in (taken.lower() for taken in declared.values()):
            raise ValueError(
                f"x-mcp-header {name!r} is declared twice (names are case-insensitive)"
            )
        declared[prop] = name
    return declared


def _header_text(value: object) -> str | None:
    """How an argument is mirrored in a header (before Base64), ``None`` if it cannot be."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


def _param_values(headers: Headers) -> dict[str, list[str]]:
    """Every ``Mcp-Param-*`` header, by lower-cased name (repeated headers kept apart)."""
    found: dict[str, list[str]] = {}
    prefix = PARAM_PREFIX.lower()
    for key, value in headers.items() if isinstance(headers, Mapping) else headers:
        lowered = key.lower()
        if lowered.startswith(prefix):
            found.setdefault(lowered, []).append(str(value))
    return found


def param_disagreement(headers: Headers, arguments: object, declared: Mapping[str, str]) -> str:
    """Why the ``Mcp-Param-*`` headers do not match ``arguments`` ("" when they do).

    Args:
        headers: the request headers (a mapping or (name, value) pairs; repeats kept apart).
        arguments: the body's ``params.arguments``.
        declared: the tool's annotations, from :func:`header_params`.

    The message names the header, never a value.

    """
    if not declared:
        return ""
    found = _param_values(headers)
    args = arguments if isinstance(arguments, dict) else {}
    for prop, name in declared.items():
        header = PARAM_PREFIX + name
        values = found.get(header.lower(), [])
        value = args.get(prop)
        if len(values) > 1:
            return f"more than one {header} header"
        if value is None:
            if values:
                return f"a {header} header for arguments.{prop}, which the body does not carry"
            continue
        expected = _header_text(value)
        if expected is None:
            return (
                f"arguments.{prop} is mirrored in {header} but is not a string, integer or boolean"
            )
        if not values:
            return f"a missing {header} header (the body carries arguments.{prop})"
        decoded = _decode_value(values[0].strip(" \t"))
        if decoded is None:
            return (
                f"a malformed {header} header "
                "(send visible ASCII, or =?base64?<Base64 of the UTF-8 value>?=)"
            )
        if decoded != expected:
            return f"the {header} header does not match arguments.{prop}"
    return ""
