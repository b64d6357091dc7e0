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
#: The longest a request waits for the first fetch of the metadata (later ones never wait).
FIRST_WAIT_SECONDS = 1.0


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
    """The IdP's metadata document, cached per process and fetched off the request path.

    A request never waits for the IdP longer than ``first_wait`` seconds: the document is fetched
    by one background thread at a time (single-flight), a fresh copy is served from the cache,
    a stale one while it is refreshed, and only when nothing was ever fetched does a request wait
    — briefly — for the fetch under way, before falling back to the configured endpoints. After
    a failed fetch no new one starts for ``RETRY_SECONDS``. So clients asking for the metadata of
    an IdP that does not answer cannot hold the server's workers (with four sync workers, four
    such requests used to freeze the server for twice ``request_timeout``).
    """

    def __init__(self, config: ServerConfig, *, first_wait: float = FIRST_WAIT_SECONDS) -> None:
        self.config = config
        self.first_wait = first_wait
        self._lock = threading.Lock()
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._failed_at: float | None = None
        self._inflight: threading.Event | None = None

    def get(self) -> dict[str, Any] | None:
        """The issuer's published metadata, else one built from configured endpoints, else None."""
        now = time.monotonic()
        with self._lock:
            document = self._document
            if document is not None and now - self._fetched_at < CACHE_SECONDS:
                return document
            recently_failed = self._failed_at is not None and now - self._failed_at < RETRY_SECONDS
            if self._inflight is None and not recently_failed:
                self._inflight = threading.Event()
                threading.Thread(
                    target=self._refresh, args=(self._inflight,), name="idp-metadata", daemon=True
                ).start()
            inflight = self._inflight
        if document is not None:
            return document  # stale, while a refresh runs
        if inflight is not None:
            inflight.wait(self.first_wait)
        with self._lock:
            document = self._document
        return document if document is not None else self._from_config()

    def _refresh(self, done: threading.Event) -> None:
        try:
            document = self._fetch()
        except Exception:  # a fetch bug must not leave the flight open forever
            logger.exception("fetching the IdP metadata failed")
            document = None
        with self._lock:
            if document is not None:
                self._document, self._fetched_at, self._failed_at = document, time.monotonic(), None
            else:
                self._failed_at = time.monotonic()
            self._inflight = None
        done.set()

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
