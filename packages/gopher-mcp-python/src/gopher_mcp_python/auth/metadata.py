"""The RFC 9728 OAuth 2.0 Protected Resource Metadata document."""

from __future__ import annotations

from typing import Any

from .config import ResourceServerConfig

__all__ = ["protected_resource_metadata"]


def protected_resource_metadata(config: ResourceServerConfig) -> dict[str, Any]:
    """The metadata document of ``config``'s resource (serve it as ``application/json``).

    ``resource`` is the protected resource's URL (MCP clients compare it with the URL they
    connect to), ``authorization_servers`` the trusted issuers, and bearer tokens are accepted
    in the ``Authorization`` header only.
    """
    document: dict[str, Any] = {
        "resource": config.resource,
        "authorization_servers": list(config.authorization_servers),
        "bearer_methods_supported": ["header"],
    }
    if config.scopes_supported:
        # The form clients request them in (Entra: api://<app>/<scope>).
        document["scopes_supported"] = list(config.request_scopes(config.scopes_supported))
    if config.resource_name:
        document["resource_name"] = config.resource_name
    return document
