"""The validation policy every benchmarked library is configured to enforce, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ISSUER = "https://idp.bench.example/realms/mcp"
AUDIENCE = "https://mcp.bench.example/mcp"
REQUIRED_SCOPES = ("mcp:read", "mcp:write")
LEEWAY_SECONDS = 60
ALGORITHMS = ("RS256", "PS256", "ES256", "EdDSA")


class ScopeMissingError(Exception):
    """A token lacks a required scope (raised by the peers' shared scope check)."""


def check_scopes(claims: Mapping[str, Any]) -> None:
    """Require every scope of :data:`REQUIRED_SCOPES` in the space-separated ``scope`` claim.

    The peers have no scope check of their own; this is what their users write.
    """
    scope = claims.get("scope")
    granted = set(scope.split()) if isinstance(scope, str) else set()
    for required in REQUIRED_SCOPES:
        if required not in granted:
            raise ScopeMissingError(f"scope {required!r} not granted")
