"""The authorization server's real metadata, fetched or built from configured endpoints.

The document comes from the issuer's discovery documents, or else from the configured endpoints
only. Nothing is invented and no secret is ever included.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .config import ServerConfig

__all__ = ["IdpMetadata", "discovery_urls", "http_json"]

logger = logging.getLogger("py_auth_mcp_server.idp")
MAX_DOCUMENT_BYTES = 1_048_576
CACHE_SECONDS = 300.0
#: After a failed fetch, serve the configured endpoints for this long before asking again, so a
#: down IdP does not tie up a worker for request_timeout on every discovery request.
RETRY_SECONDS = 30.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_json(
    url: str, *, timeout: float, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """Send a request (GET, or POST when ``data`` is given) and parse a JSON answer.

    Returns ``(status, parsed JSON or None)``; HTTP error statuses are returned, not raised.
    Raises ``OSError`` when the server cannot be reached. Redirects are not followed and bodies
    over 1 MiB are refused.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise OSError(f"refusing non-http(s) URL {url!r}")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url,
        data=data,
        headers=headers or {},
        method="POST" if data is not None else "GET",
    )
    try:
        response = _OPENER.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        response = exc
    with response:
        body = response.read(MAX_DOCUMENT_BYTES + 1)
        status = int(response.status if hasattr(response, "status") else response.code)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise OSError(f"response from {url} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, None


def discovery_urls(issuer: str) -> list[str]:
    """Where an issuer publishes its metadata: OIDC discovery, then RFC 8414 (path-inserted)."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    return [
        issuer.rstrip("/") + "/.well-known/openid-configuration",
        urlunsplit(
            (parts.scheme, parts.netloc, "/.well-known/oauth-authorization-server" + path, "", "")
        ),
    ]


class IdpMetadata:
    """The IdP's metadata document, cached for a few minutes per process."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._failed_at: float | None = None

    def get(self) -> dict[str, Any] | None:
        """The issuer's published metadata, else one built from configured endpoints, else None."""
        now = time.monotonic()
        with self._lock:
            if self._document is not None and now - self._fetched_at < CACHE_SECONDS:
                return self._document
            recently_failed = self._failed_at is not None and now - self._failed_at < RETRY_SECONDS
        document = None if recently_failed else self._fetch()
        with self._lock:
            if document is not None:
                self._document, self._fetched_at, self._failed_at = document, now, None
                return document
            if not recently_failed:
                self._failed_at = now
            stale = self._document
        return stale if stale is not None else self._from_config()

    def _fetch(self) -> dict[str, Any] | None:
        issuer = self.config.issuer
        if not issuer.startswith(("http://", "https://")):
            return None
        for url in discovery_urls(issuer):
            try:
                status, document = http_json(url, timeout=self.config.request_timeout)
            except OSError as exc:
                logger.warning("IdP metadata at %s unavailable: %s", url, exc)
                continue
            if status == 200 and isinstance(document, dict) and document.get("issuer") == issuer:
                return document
        return None

    def _from_config(self) -> dict[str, Any] | None:
        config = self.config
        if not (config.issuer and (config.oauth_authorize_url or config.oauth_token_url)):
            return None
        document: dict[str, Any] = {"issuer": config.issuer}
        if config.oauth_authorize_url:
            document["authorization_endpoint"] = config.oauth_authorize_url
        if config.token_endpoint:
            document["token_endpoint"] = config.token_endpoint
        if config.jwks_uri:
            document["jwks_uri"] = config.jwks_uri
        document["scopes_supported"] = list(config.allowed_scopes)
        return document
