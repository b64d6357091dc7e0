"""The resource-server layer: protect MCP servers with OAuth 2.1 bearer tokens.

Framework-neutral core:

- :class:`ResourceServerConfig` and :class:`ScopePolicy` — what to trust and what each
  request needs;
- :class:`Authenticator` — ``authenticate(headers, mcp_request)`` → :class:`AuthContext` or a
  ready :class:`Challenge` (status, headers with ``WWW-Authenticate``, JSON body);
- :func:`protected_resource_metadata` — the RFC 9728 document.

Adapters fail closed: they authenticate every request except reads of an explicit list of exact
public paths (:class:`PublicPaths`). Each imports its framework only when imported itself:
``gopher_mcp_python.auth.flask`` (``FlaskAuth``), ``.wsgi`` (``AuthMiddleware``),
``.asgi`` (``ASGIAuthMiddleware``) and ``.mcp_sdk`` (``GopherTokenVerifier`` for the
official ``mcp`` SDK and FastMCP).
"""

from __future__ import annotations

from .authenticator import Authenticator, AuthResult
from .body import McpBody
from .challenge import Challenge, ChallengeFactory
from .config import ResourceServerConfig, TrustedIssuer, resource_metadata_url
from .context import AuthContext, current_auth_context, use_auth_context
from .credentials import MalformedAuthorization, read_bearer_token
from .introspection import Introspection
from .metadata import protected_resource_metadata
from .public import PublicPaths
from .scopes import ScopePolicy, normalize_scopes

__all__ = [
    "AuthContext",
    "AuthResult",
    "Authenticator",
    "Challenge",
    "ChallengeFactory",
    "Introspection",
    "MalformedAuthorization",
    "McpBody",
    "PublicPaths",
    "ResourceServerConfig",
    "ScopePolicy",
    "TrustedIssuer",
    "current_auth_context",
    "normalize_scopes",
    "protected_resource_metadata",
    "read_bearer_token",
    "resource_metadata_url",
    "use_auth_context",
]
