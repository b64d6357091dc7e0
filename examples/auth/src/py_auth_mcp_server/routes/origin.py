"""DNS-rebinding and cross-site protection: which ``Host`` and ``Origin`` headers are accepted.

The screen runs before every endpoint of the app (``install``), the discovery documents and the
OAuth helper endpoints included: a refused request gets ``403`` with a JSON error, whatever it
asked for.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import urlsplit

from flask import Flask, Response, request

__all__ = ["OriginPolicy", "install"]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@functools.lru_cache(maxsize=256)
def _hostname(authority: str) -> str | None:
    """The host name of a ``host[:port]`` authority (IPv6 literals in brackets), lower-cased.

    None for anything that is not a bare authority: userinfo (``evil@localhost``, which
    ``urlsplit`` would quietly drop), a path, query or fragment, an unbalanced bracket, or a port
    that is not a number (``127.0.0.1:evil.com``).
    """
    if any(c in authority for c in "@/?#\\"):
        return None
    try:
        parts = urlsplit("//" + authority)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0..65535
        return parts.hostname
    except ValueError:
        return None


@functools.lru_cache(maxsize=256)
def _origin_host(origin: str) -> str | None:
    """The host name of an ``Origin`` (``scheme://host[:port]``, http(s) only), or None."""
    scheme, sep, authority = origin.partition("://")
    if not sep or scheme not in ("http", "https"):
        return None
    return _hostname(authority)


class OriginPolicy:
    """Accepts requests from this server's own origin and from loopback origins.

    When the server's public URL is a loopback URL (a local MCP server), the ``Host`` header must
    also name a loopback host or the server's own host: a page on ``evil.example`` whose name
    was rebound to 127.0.0.1 sends ``Host: evil.example`` and is refused.
    """

    def __init__(self, server_url: str) -> None:
        parts = urlsplit(server_url)
        self.server_origin = f"{parts.scheme}://{parts.netloc}".lower()
        self.server_host = (parts.hostname or "").lower()
        self.check_host = self.server_host in LOOPBACK_NAMES

    def host_allowed(self, host: str | None) -> bool:
        """Whether the ``Host`` header is acceptable."""
        if not self.check_host:
            return True
        name = _hostname(host or "")
        return name is not None and (name in LOOPBACK_NAMES or name == self.server_host)

    def origin_allowed(self, origin: str | None) -> bool:
        """Whether the ``Origin`` header is acceptable (absent is: not a browser request)."""
        if origin is None:
            return True
        origin = origin.strip().lower()
        if origin == self.server_origin:
            return True
        return _origin_host(origin) in LOOPBACK_NAMES

    def refusal(self, host: str | None, origin: str | None) -> str | None:
        """Why a request with these headers is refused, or None when it is not."""
        if not self.host_allowed(host):
            return "Forbidden: Host header not allowed (DNS rebinding protection)"
        if not self.origin_allowed(origin):
            return "Forbidden: Origin not allowed"
        return None


def install(app: Flask, policy: OriginPolicy) -> None:
    """Screen every request of ``app`` with ``policy`` before any view runs."""

    @app.before_request
    def screen() -> Response | None:
        reason = policy.refusal(request.headers.get("Host"), request.headers.get("Origin"))
        if reason is None:
            return None
        body: dict[str, object]
        if request.path == "/mcp":  # MCP clients read JSON-RPC errors
            body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": reason}}
        else:
            body = {"error": "forbidden", "error_description": reason}
        return Response(json.dumps(body), status=403, mimetype="application/json")
