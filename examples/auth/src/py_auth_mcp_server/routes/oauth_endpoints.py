"""OAuth discovery and helper endpoints.

- ``/.well-known/oauth-protected-resource`` (and ``…/mcp``): RFC 9728, from the SDK.
- ``/.well-known/oauth-authorization-server``, ``/.well-known/openid-configuration``: the IdP's
  own metadata, for clients that look at the resource's origin.
- ``/oauth/authorize``: a redirect to the IdP's authorization endpoint, query kept.
- ``/oauth/register``: forwarded to the IdP's registration endpoint when it has one; its 2xx
  and 4xx answers are relayed, anything else becomes 502. Only ``application/json`` bodies are
  taken (RFC 7591 §3.1): a cross-site form post (``text/plain``) cannot register a client.

Every endpoint sits behind the app-wide Host/Origin screen (``routes.origin``).

None of them ever returns the server's own client credentials.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, request
from gopher_mcp_python.auth import protected_resource_metadata

from ..idp_metadata import IdpMetadata, http_json
from ..middleware.oauth_auth import OAuthGuard

__all__ = ["create_oauth_blueprint"]

logger = logging.getLogger("py_auth_mcp_server.oauth")
MAX_REGISTRATION_BYTES = 65_536


def _json(payload: object, status: int = 200, *, public: bool = False) -> Response:
    response = Response(json.dumps(payload), status=status, mimetype="application/json")
    if public:  # public discovery documents: readable by browser-based MCP clients
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status: int, error: str, description: str) -> Response:
    return _json({"error": error, "error_description": description}, status)


def create_oauth_blueprint(guard: OAuthGuard, idp: IdpMetadata, request_timeout: int) -> Blueprint:
    """The blueprint of the discovery and helper endpoints."""
    blueprint = Blueprint("oauth", __name__)

    def resource_metadata() -> Response:
        if guard.resource is None:
            return _error(404, "not_found", "Authentication is disabled on this server.")
        return _json(protected_resource_metadata(guard.resource), public=True)

    blueprint.add_url_rule("/.well-known/oauth-protected-resource", "prm", resource_metadata)
    blueprint.add_url_rule(
        "/.well-known/oauth-protected-resource/mcp", "prm_mcp", resource_metadata
    )

    def authorization_server_metadata() -> Response:
        if not guard.enabled:
            return _error(404, "not_found", "Authentication is disabled on this server.")
        document = idp.get()
        if document is None:
            return _error(
                502,
                "temporarily_unavailable",
                "The authorization server's metadata could not be obtained.",
            )
        return _json(document, public=True)

    blueprint.add_url_rule(
        "/.well-known/oauth-authorization-server", "asm", authorization_server_metadata
    )
    blueprint.add_url_rule(
        "/.well-known/openid-configuration", "oidc", authorization_server_metadata
    )

    @blueprint.get("/oauth/authorize")
    def authorize() -> Response:
        document = idp.get() if guard.enabled else None
        endpoint = document.get("authorization_endpoint") if document else None
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            return _error(404, "not_found", "No authorization endpoint is configured.")
        query = request.query_string.decode("latin-1")
        target = endpoint + (("&" if "?" in endpoint else "?") + query if query else "")
        return Response(status=302, headers={"Location": target})

    @blueprint.post("/oauth/register")
    def register() -> Response:
        if request.mimetype != "application/json":
            return _error(
                415,
                "invalid_client_metadata",
                "Client registration takes an application/json body (RFC 7591).",
            )
        document = idp.get() if guard.enabled else None
        endpoint = document.get("registration_endpoint") if document else None
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            return _error(
                501,
                "registration_not_supported",
                "The authorization server offers no dynamic client registration; "
                "register a client with it directly.",
            )
        request.max_content_length = MAX_REGISTRATION_BYTES
        body = request.get_data()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        initial_token = request.headers.get("Authorization")
        if initial_token:  # RFC 7591 initial access token of the *client*, passed through
            headers["Authorization"] = initial_token
        try:
            status, answer = http_json(
                endpoint, timeout=request_timeout, data=body, headers=headers
            )
        except OSError as exc:
            logger.warning("client registration at the IdP failed: %s", exc)
            return _error(
                502,
                "temporarily_unavailable",
                "The authorization server's registration endpoint is unreachable.",
            )
        if not (200 <= status < 300 or 400 <= status < 500):
            # Its own failure (5xx: may pass) or an answer RFC 7591 does not define (a redirect,
            # which is not followed): a gateway error of this server, not the IdP's status.
            logger.warning("client registration at the IdP answered HTTP %d", status)
            return _error(
                502,
                "temporarily_unavailable" if status >= 500 else "server_error",
                f"The authorization server's registration endpoint answered HTTP {status}.",
            )
        if not isinstance(answer, dict):
            return _error(502, "server_error", "The authorization server sent no JSON answer.")
        return _json(answer, status)  # 201 with the client, or its 4xx error (RFC 7591 §3.2)

    return blueprint
