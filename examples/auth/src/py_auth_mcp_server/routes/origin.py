"""DNS-rebinding protection: which ``Host`` and ``Origin`` headers the MCP endpoint accepts."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

__all__ = ["OriginPolicy"]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@functools.lru_cache(maxsize=256)
def _hostname(authority: str) -> str | None:
    """The host name of a ``host[:port]`` authority (IPv6 literals in brackets), lower-cased.

    None for anything that is not a bare authority: userinfo (``evil@localhost``, which
    ``urlsplit`` would quietly drop), a path, query or fragment.
    """
    if any(c in authority for c in "@/?#\\"):
        return None
    try:
        return urlsplit("//" + authority).hostname
    except ValueError:
        return None


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
        parts = urlsplit(origin)
        try:
            name = parts.hostname
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and name in LOOPBACK_NAMES
