"""Which requests an adapter lets through without a token: an explicit, exact list.

Adapters fail closed. They authenticate every request except ``GET``/``HEAD`` requests whose path
is *exactly* one of the public paths — by default the RFC 9728 metadata documents, which a client
must read before it has a token. There is no "protect only ``/mcp``" rule: routers do not agree
on what a path means (Werkzeug merges ``//mcp`` into ``/mcp``, a Starlette ``Mount("/mcp")`` also
serves ``/mcp/anything``, a server may decode ``%2f``), so any rule that names the protected
paths lets some spelling of them through. A path that is not byte-for-byte public needs a token,
whatever the application behind would make of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from .config import ResourceServerConfig

__all__ = ["PUBLIC_METHODS", "PublicPaths"]

#: The methods a public path is public for (reads only; CORS pre-flights are the job of a CORS
#: middleware placed *outside* the auth middleware).
PUBLIC_METHODS = frozenset({"GET", "HEAD"})

_METADATA_ROOT = "/.well-known/oauth-protected-resource"


class PublicPaths:
    """The exact paths an adapter serves without a token.

    Args:
        config: the resource server; its metadata paths are always public (the bare
            ``/.well-known/oauth-protected-resource`` and the resource's own
            ``/.well-known/oauth-protected-resource/<path>``).
        extra: more exact paths to serve without a token, e.g. ``("/health",)``. Each must start
            with ``/``; no pattern or prefix matching is done.

    """

    __slots__ = ("paths",)

    def __init__(self, config: ResourceServerConfig, extra: Iterable[str] = ()) -> None:
        paths = {_METADATA_ROOT, urlsplit(config.resource_metadata_url).path}
        for path in extra:
            if not isinstance(path, str) or not path.startswith("/"):
                raise ValueError(f"a public path must be a string starting with '/', got {path!r}")
            paths.add(path)
        self.paths = frozenset(paths)

    def __repr__(self) -> str:
        return f"PublicPaths({sorted(self.paths)!r})"

    def allows(self, method: str, path: str) -> bool:
        """Whether a ``method`` request for ``path`` may skip authentication."""
        return method in PUBLIC_METHODS and path in self.paths
