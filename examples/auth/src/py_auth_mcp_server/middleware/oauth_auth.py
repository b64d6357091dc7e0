"""OAuth for the example: the SDK's resource-server layer wired to ``server.config``.

Nothing here re-implements token handling: :class:`gopher_mcp_python.auth.Authenticator`
validates, applies the per-tool scope policy and builds the challenges; this module only maps
the example's configuration onto it and keeps a per-process note of the JWKS state for
``/health``. Auth can only be turned off explicitly (``auth_disabled=true`` / ``--no-auth``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from typing import Any

from flask import Response
from gopher_mcp_python.auth import (
    AuthContext,
    Authenticator,
    Introspection,
    ResourceServerConfig,
    ScopePolicy,
    TrustedIssuer,
    providers,
)
from gopher_mcp_python.auth.flask import FlaskAuth, current_flask_auth

from ..config import ServerConfig

__all__ = ["JwksState", "OAuthGuard", "build_resource_config", "warn_auth_disabled"]


def build_resource_config(
    config: ServerConfig, tool_scopes: Mapping[str, tuple[str, ...]]
) -> ResourceServerConfig:
    """The SDK configuration of this server: resource = ``<server_url>/mcp``, audience checked.

    With ``provider`` set, the preset of ``gopher_mcp_python.auth.providers`` of that name
    builds it from the ``provider.<argument>`` lines; otherwise the issuer/JWKS keys and the
    claim-policy keys (``issuers``, ``audiences``, ``audience_claim``, ``scope_claims``,
    ``required_claims``) do.
    """
    common: dict[str, Any] = {
        "scopes_supported": config.advertised_scopes,
        "scope_policy": ScopePolicy(tools=dict(tool_scopes)),
        "client_options": {
            "cache_duration": str(config.jwks_cache_duration),
            "auto_refresh": "true" if config.jwks_auto_refresh else "false",
            "request_timeout": str(config.request_timeout),
        },
        "resource_name": "Weather MCP server (gopher-mcp-python example)",
    }
    if config.introspection_client_id:
        common["introspection"] = Introspection(
            endpoint=config.introspection_endpoint,
            client_id=config.introspection_client_id,
            client_secret=config.introspection_client_secret,
            mode=config.introspection_mode,
            cache_ttl=config.introspection_cache_ttl,
        )
    if config.provider:
        preset = getattr(providers, config.provider)
        return preset(server_url=config.server_url, **dict(config.provider_args), **common)  # type: ignore[no-any-return]
    return ResourceServerConfig(
        server_url=config.server_url,
        issuer=config.issuer,
        jwks_uri=config.jwks_uri,
        audience=config.audience,
        audiences=config.audiences,
        audience_claim=config.audience_claim,
        scope_claims=config.scope_claims,
        required_claims=dict(config.required_claims),
        issuers=tuple(TrustedIssuer(issuer, jwks_uri) for issuer, jwks_uri in config.issuers),
        **common,
    )


def warn_auth_disabled(reason: str) -> None:
    """Print the loud warning every unauthenticated start gets."""
    bar = "!" * 72
    print(
        f"{bar}\n!! AUTHENTICATION IS DISABLED ({reason}).\n"
        "!! Anyone who can reach this server can call every tool. Never run this way in\n"
        f"!! production.\n{bar}",
        file=sys.stderr,
        flush=True,
    )


class JwksState:
    """What this process last learned about the signing keys (for ``/health`` only).

    The state and its time are one tuple, replaced whole: readers on other threads see either
    the old pair or the new one, without a lock on the request path.
    """

    def __init__(self) -> None:
        self._last: tuple[str, float | None] = ("unknown", None)  # unknown | ok | unavailable

    def record(self, state: str) -> None:
        """Note the outcome of a validation that needed the keys."""
        self._last = (state, time.time())

    def to_json(self) -> dict[str, Any]:
        """The state as reported by ``/health``."""
        state, checked_at = self._last
        return {"state": state, "checked_at": checked_at}


class OAuthGuard:
    """Authenticates requests to ``/mcp`` (or lets them through when auth is off).

    The context of an accepted request is on ``flask.g`` (see
    :func:`gopher_mcp_python.auth.flask.current_flask_auth`), never on this shared object.
    """

    def __init__(self, config: ServerConfig, tool_scopes: Mapping[str, tuple[str, ...]]) -> None:
        self.enabled = not config.auth_disabled
        self.jwks = JwksState()
        self.authenticator: Authenticator | None = None
        self.resource: ResourceServerConfig | None = None
        self._flask: FlaskAuth | None = None
        if self.enabled:
            config.require_identity_provider()
            self.resource = build_resource_config(config, tool_scopes)
            self.authenticator = Authenticator(self.resource)
            self._flask = FlaskAuth(self.authenticator)

    def check(self, mcp_request: object) -> Response | None:
        """Authenticate the current request: ``None`` to proceed, else the refusal to send.

        ``mcp_request`` is the parsed JSON-RPC body (``None`` if it did not parse); the scope
        policy reads the method and tool name from it.
        """
        if self._flask is None:
            return None
        refusal = self._flask.check(mcp_request)
        if refusal is None:
            self.jwks.record("ok")
        elif refusal.status_code == 503:
            self.jwks.record("unavailable")
        return refusal

    @staticmethod
    def context() -> AuthContext | None:
        """The current request's auth context (``None`` when auth is off)."""
        return current_flask_auth()

    def close(self) -> None:
        """Release the native client."""
        if self.authenticator is not None:
            self.authenticator.close()
            self.authenticator = None
            self._flask = None
