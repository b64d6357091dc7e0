"""Ready-to-send refusals: the HTTP status, headers and JSON body of an auth failure.

The ``WWW-Authenticate`` values are rendered by the native RFC 6750 generator (quoted-string
escaping, control characters refused) with the MCP / RFC 9728 parameters:

- 401, no token:          ``Bearer resource_metadata="…", scope="…"`` (no ``error``; RFC 6750 §3.1)
- 401, bad token:         ``… error="invalid_token", error_description="…"``
- 403, missing scope:     ``… scope="<kept> <missing>", error="insufficient_scope", …`` (step-up)

Least privilege: a 401 names the request's own scopes, else the policy's default scopes, and has
no ``scope`` when there are none; a 403 names the relevant scopes already granted plus the
missing ones (see :meth:`ResourceServerConfig.challenge_scopes` and ``step_up_scopes``).
- 400, malformed header:  ``… error="invalid_request", …``
- 400, header mismatch:   2026-07-28 routing headers that disagree with the body: a JSON-RPC
  error ``-32020`` (``HeaderMismatch``), no challenge (the token was fine)
- 503, no signing keys:   no challenge (the token was not judged), ``Retry-After``
- 404, foreign session:   another principal's ``Mcp-Session-Id`` (answered as the SDKs do)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..ffi.auth import gopher_generate_www_authenticate_header_v2
from .config import ResourceServerConfig
from .routing import HEADER_MISMATCH

__all__ = ["Challenge", "ChallengeFactory"]


@dataclass(frozen=True)
class Challenge:
    """An HTTP refusal to send as is.

    Attributes:
        status: the HTTP status code (400, 401, 403, 404, 413, 500 or 503).
        headers: response headers, ``Content-Type`` and ``Cache-Control`` included.
        body: the JSON body (``error`` + ``error_description``, OAuth style; a JSON-RPC error
            response for a header mismatch).
        error: the OAuth error code ("" for a plain 401 asking for a token).

    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def body_bytes(self) -> bytes:
        """The body serialised as UTF-8 JSON."""
        return json.dumps(dict(self.body), separators=(",", ":")).encode("utf-8")

    @property
    def www_authenticate(self) -> str | None:
        """The ``WWW-Authenticate`` value, if the challenge has one."""
        return next((v for k, v in self.headers if k == "WWW-Authenticate"), None)

    @property
    def reason(self) -> str:
        """The status line's reason phrase."""
        return _REASONS.get(self.status, "Error")


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Content Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

_BASE_HEADERS = (("Content-Type", "application/json"), ("Cache-Control", "no-store"))


class ChallengeFactory:
    """Builds the challenges of one resource server (its realm, metadata URL and scopes)."""

    def __init__(self, config: ResourceServerConfig) -> None:
        self._config = config

    def _bearer(
        self,
        status: int,
        scopes: tuple[str, ...],
        error: str,
        description: str,
        body: Mapping[str, Any],
    ) -> Challenge:
        value = gopher_generate_www_authenticate_header_v2(
            self._config.realm,
            self._config.resource_metadata_url,
            " ".join(scopes),
            error,
            description,
        )
        headers = (*_BASE_HEADERS, ("WWW-Authenticate", value))
        return Challenge(status=status, headers=headers, body=body, error=error)

    def token_required(self, required: tuple[str, ...]) -> Challenge:
        """401 for a request without a Bearer token: where to get one, and which scopes."""
        scopes = self._config.request_scopes(self._config.challenge_scopes(required))
        body = {
            "error": "unauthorized",
            "error_description": "This resource needs a Bearer access token in the "
            "Authorization header; see resource_metadata in WWW-Authenticate.",
        }
        return self._bearer(401, scopes, "", "", body)

    def invalid_token(self, description: str, required: tuple[str, ...]) -> Challenge:
        """401 ``invalid_token``: the token is malformed, expired, forged or not for us."""
        scopes = self._config.request_scopes(self._config.challenge_scopes(required))
        body = {"error": "invalid_token", "error_description": description}
        return self._bearer(401, scopes, "invalid_token", description, body)

    def insufficient_scope(
        self, required: tuple[str, ...], granted: tuple[str, ...] = ()
    ) -> Challenge:
        """403 ``insufficient_scope`` (MCP step-up).

        ``scope`` names the relevant scopes the token already has plus the missing ones (what the
        client should ask for next); the description names the missing ones.
        """
        missing = tuple(s for s in required if s not in granted) or required
        scopes = self._config.request_scopes(self._config.step_up_scopes(required, granted))
        description = "This request needs the scope(s): " + " ".join(
            self._config.request_scopes(missing)
        )
        body = {
            "error": "insufficient_scope",
            "error_description": description,
            "scope": " ".join(scopes),
        }
        return self._bearer(403, scopes, "insufficient_scope", description, body)

    def invalid_request(self, description: str) -> Challenge:
        """400 ``invalid_request``: the Authorization header is malformed."""
        body = {"error": "invalid_request", "error_description": description}
        return self._bearer(400, (), "invalid_request", description, body)

    @staticmethod
    def keys_unavailable() -> Challenge:
        """503: the signing keys could not be obtained, so no token can be judged."""
        return _unavailable(
            "The authorization server's signing keys (JWKS) could not be obtained; try again later."
        )

    @staticmethod
    def authorization_server_unavailable() -> Challenge:
        """503: neither the signing keys nor token introspection could judge the token."""
        return _unavailable(
            "The authorization server could not be reached to check the access token "
            "(signing keys or token introspection); try again later."
        )

    @staticmethod
    def server_error() -> Challenge:
        """500: the validator itself failed (never treated as success)."""
        body = {
            "error": "server_error",
            "error_description": "Token validation failed "
            "inside the server; the request was refused.",
        }
        return Challenge(status=500, headers=_BASE_HEADERS, body=body, error="server_error")

    @staticmethod
    def body_too_large(limit: int) -> Challenge:
        """413: the request body exceeds what the auth layer will buffer."""
        body = {
            "error": "invalid_request",
            "error_description": f"The request body exceeds {limit} bytes.",
        }
        return Challenge(status=413, headers=_BASE_HEADERS, body=body, error="invalid_request")

    @staticmethod
    def header_mismatch(problem: str, request_id: object = None) -> Challenge:
        """400 ``HeaderMismatch`` (-32020): the routing headers and the body disagree.

        A JSON-RPC error response to the request ``request_id`` (its ``id`` when the body has a
        usable one). ``problem`` names the header, never echoes a value.
        """
        if not isinstance(request_id, str | int) or isinstance(request_id, bool):
            request_id = None
        body = {
            "jsonrpc": "2.0",
            "id": request_id,
            "error": {
                "code": HEADER_MISMATCH,
                "message": f"Header mismatch: {problem}; send Mcp-Method, Mcp-Name and "
                "Mcp-Param-* headers equal to the body's method, name and arguments.",
            },
        }
        headers = (*_BASE_HEADERS,)
        return Challenge(status=400, headers=headers, body=body, error="header_mismatch")

    @staticmethod
    def session_not_found() -> Challenge:
        """404: the ``Mcp-Session-Id`` belongs to another principal (as if it did not exist)."""
        body = {
            "error": "invalid_session",
            "error_description": "Session not found: start a new session (initialize).",
        }
        return Challenge(status=404, headers=_BASE_HEADERS, body=body, error="invalid_session")


def _unavailable(description: str) -> Challenge:
    """503 ``temporarily_unavailable`` with ``Retry-After``: the token could not be judged."""
    body = {"error": "temporarily_unavailable", "error_description": description}
    headers = (*_BASE_HEADERS, ("Retry-After", "30"))
    return Challenge(status=503, headers=headers, body=body, error="temporarily_unavailable")
