"""Clients of the development IdP: the demo client, registrations, metadata documents.

Besides the fixed demo client there are RFC 7591 registrations and client ID metadata documents
(a ``client_id`` that is the URL of the client's own metadata).

Redirect URIs match exactly, except that a registered loopback ``http`` redirect URI accepts any
port (RFC 8252 §7.3: native apps listen on an ephemeral port).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DEV_CLIENT_ID",
    "DEV_CLIENT_SECRET",
    "Client",
    "ClientError",
    "ClientRegistry",
    "is_loopback_host",
    "redirect_uri_allowed",
]

DEV_CLIENT_ID = "demo-client"
#: Published in the README on purpose: the dev IdP is a loopback-only demo, not a real IdP.
DEV_CLIENT_SECRET = "demo-secret-development-only"  # noqa: S105

MAX_REGISTERED_CLIENTS = 1000
MAX_REDIRECT_URIS = 10
MAX_URI_LENGTH = 2048
MAX_CLIENT_NAME = 200
MAX_METADATA_BYTES = 32_768
METADATA_FETCH_SECONDS = 5.0
METADATA_CACHE_SECONDS = 300.0
MAX_CACHED_METADATA = 100
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post")
_PRIVATE_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{1,63}")
#: Schemes that are no app's own: a browser would run, read or fetch them.
_NOT_PRIVATE_SCHEMES = frozenset(
    {
        "http",
        "https",
        "javascript",
        "data",
        "file",
        "blob",
        "about",
        "vbscript",
        "ftp",
        "ws",
        "wss",
        "chrome",
        "view-source",
        "filesystem",
        "mailto",
        "tel",
        "sms",
        "intent",
    }
)
CODE_GRANTS = frozenset({"authorization_code", "refresh_token"})


class ClientError(ValueError):
    """A client is unknown, badly registered or failed authentication.

    ``error`` is the OAuth error code to answer with.
    """

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Client:
    """A client the IdP knows.

    ``secret_hash`` is the SHA-256 of the client secret (public clients have none); the secret
    itself is never kept.
    """

    client_id: str
    client_name: str
    redirect_uris: tuple[str, ...]
    grant_types: frozenset[str]
    auth_method: str
    secret_hash: bytes = b""

    @property
    def public(self) -> bool:
        """Whether the client authenticates with nothing but its ``client_id``."""
        return self.auth_method == "none"

    def check_secret(self, secret: str) -> bool:
        """Constant-time comparison of ``secret`` with the registered one."""
        digest = hashlib.sha256(secret.encode("utf-8")).digest()
        return bool(self.secret_hash) and hmac.compare_digest(digest, self.secret_hash)


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a URL's hostname) is ``localhost`` or a loopback IP literal."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_redirect_uri(uri: object) -> str:
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH:
        raise ClientError("invalid_redirect_uri", "a redirect URI must be a short string")
    if any(not 0x21 <= ord(c) <= 0x7E for c in uri):
        raise ClientError("invalid_redirect_uri", "a redirect URI must be printable ASCII")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ClientError("invalid_redirect_uri", "a redirect URI must be a valid URL") from None
    if parts.fragment or "#" in uri:
        raise ClientError("invalid_redirect_uri", "a redirect URI must not have a fragment")
    if parts.scheme == "https" and parts.hostname:
        return uri
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return uri
    if _PRIVATE_SCHEME.fullmatch(parts.scheme) and parts.scheme not in _NOT_PRIVATE_SCHEMES:
        return uri  # a native app's private-use scheme (RFC 8252 §7.1), e.g. cursor://…
    raise ClientError(
        "invalid_redirect_uri",
        "redirect URIs must be https, http on a loopback host (RFC 8252 §7.3) or an app's "
        "private-use scheme (RFC 8252 §7.1)",
    )


def redirect_uri_allowed(requested: str, registered: tuple[str, ...]) -> bool:
    """Whether ``requested`` matches a registered redirect URI.

    Exact string comparison; for a registered loopback ``http`` URI the port may differ
    (RFC 8252 §7.3), everything else (scheme, host, path, query) must still be equal.
    """
    if requested in registered:
        return True
    try:
        asked = urlsplit(requested)
        asked_port = asked.port
    except ValueError:
        return False
    if asked.scheme != "http" or not asked.hostname or not is_loopback_host(asked.hostname):
        return False
    for uri in registered:
        known = urlsplit(uri)
        if (
            known.scheme == "http"
            and known.hostname == asked.hostname
            and known.path == asked.path
            and known.query == asked.query
            and not asked.fragment
            and asked_port is not None
            and asked.username is None
            and asked.password is None
            and known.username is None
        ):
            return True
    return False


def _text_field(metadata: dict[str, Any], name: str, default: str, limit: int) -> str:
    value = metadata.get(name, default)
    if not isinstance(value, str) or len(value) > limit:
        raise ClientError("invalid_client_metadata", f"{name} must be a string of <= {limit}")
    return value


def client_from_metadata(
    client_id: str, metadata: object, *, secret: str = "", cimd: bool = False
) -> Client:
    """Validate client metadata (RFC 7591 §2) and build the :class:`Client`."""
    if not isinstance(metadata, dict):
        raise ClientError("invalid_client_metadata", "client metadata must be a JSON object")
    uris = metadata.get("redirect_uris")
    if not isinstance(uris, list) or not 1 <= len(uris) <= MAX_REDIRECT_URIS:
        raise ClientError(
            "invalid_redirect_uri",
            f"redirect_uris must be a list of 1 to {MAX_REDIRECT_URIS} URIs",
        )
    redirect_uris = tuple(dict.fromkeys(_check_redirect_uri(u) for u in uris))
    auth_method = _text_field(
        metadata, "token_endpoint_auth_method", "none" if cimd else "client_secret_basic", 64
    )
    if auth_method not in AUTH_METHODS or (cimd and auth_method != "none"):
        allowed = "none" if cimd else ", ".join(AUTH_METHODS)
        raise ClientError(
            "invalid_client_metadata", f"token_endpoint_auth_method must be one of: {allowed}"
        )
    grant_types = metadata.get("grant_types", ["authorization_code"])
    if (
        not isinstance(grant_types, list)
        or not grant_types
        or not all(isinstance(g, str) for g in grant_types)
        or not set(grant_types) <= CODE_GRANTS
    ):
        raise ClientError(
            "invalid_client_metadata", "grant_types may hold authorization_code and refresh_token"
        )
    response_types = metadata.get("response_types", ["code"])
    if response_types != ["code"]:
        raise ClientError("invalid_client_metadata", 'response_types must be ["code"]')
    if cimd and any(k in metadata for k in ("client_secret", "client_secret_expires_at")):
        raise ClientError(
            "invalid_client_metadata", "a client metadata document must not contain a secret"
        )
    name = _text_field(metadata, "client_name", "", MAX_CLIENT_NAME) or client_id
    return Client(
        client_id=client_id,
        client_name=name,
        redirect_uris=redirect_uris,
        grant_types=frozenset(grant_types),
        auth_method=auth_method,
        secret_hash=_sha256(secret) if secret else b"",
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def is_metadata_url(client_id: str, *, allow_loopback_http: bool = True) -> bool:
    """Whether ``client_id`` names a client ID metadata document.

    An https URL with a path other than ``/``, no fragment, no credentials, no dot segments —
    or, in development, the same on a loopback ``http`` host.
    """
    if len(client_id) > MAX_URI_LENGTH or any(not 0x21 <= ord(c) <= 0x7E for c in client_id):
        return False
    try:
        parts = urlsplit(client_id)
        parts.port  # noqa: B018
    except ValueError:
        return False
    if not parts.hostname or parts.username or parts.password or "#" in client_id:
        return False
    if parts.path in ("", "/") or any(seg in (".", "..") for seg in parts.path.split("/")):
        return False
    if parts.scheme == "https":
        return True
    return allow_loopback_http and parts.scheme == "http" and is_loopback_host(parts.hostname)


def fetch_metadata_document(url: str) -> object:
    """GET the client metadata document at ``url``, bounded in size and time, no redirects.

    Raises :class:`ClientError` (``invalid_client``) on anything but a 200 JSON answer.
    """
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked by is_metadata_url
        url, headers={"Accept": "application/json"}, method="GET"
    )
    deadline = time.monotonic() + METADATA_FETCH_SECONDS
    try:
        with _OPENER.open(request, timeout=METADATA_FETCH_SECONDS) as response:
            if response.status != 200:
                raise ClientError(
                    "invalid_client",
                    f"the client metadata document answered HTTP {response.status}",
                )
            kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind != "application/json" and not kind.endswith("+json"):
                raise ClientError("invalid_client", "the client metadata document is not JSON")
            body = b""
            while len(body) <= MAX_METADATA_BYTES:
                if time.monotonic() > deadline:
                    raise ClientError("invalid_client", "the client metadata document is too slow")
                chunk = response.read1(4096)  # one recv: a trickle cannot outlast the deadline
                if not chunk:
                    break
                body += chunk
    except ClientError:
        raise
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ClientError(
            "invalid_client", f"the client metadata document answered HTTP {exc.code}"
        ) from None
    except (OSError, ValueError):
        raise ClientError(
            "invalid_client", "the client metadata document could not be fetched"
        ) from None
    if len(body) > MAX_METADATA_BYTES:
        raise ClientError(
            "invalid_client", f"the client metadata document exceeds {MAX_METADATA_BYTES} bytes"
        )
    try:
        return json.loads(body)
    except ValueError:
        raise ClientError("invalid_client", "the client metadata document is not JSON") from None


class ClientRegistry:
    """Every client: the demo client, registered ones (bounded) and fetched metadata documents."""

    def __init__(self, *, allow_loopback_metadata_urls: bool = True) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Client] = {}
        self._documents: OrderedDict[str, tuple[float, Client]] = OrderedDict()
        self.allow_loopback_metadata_urls = allow_loopback_metadata_urls
        self.demo = Client(
            client_id=DEV_CLIENT_ID,
            client_name="Demo client (client_credentials)",
            redirect_uris=(),
            grant_types=frozenset({"client_credentials"}),
            auth_method="client_secret_basic",
            secret_hash=_sha256(DEV_CLIENT_SECRET),
        )

    def register(self, metadata: object) -> tuple[Client, dict[str, Any]]:
        """RFC 7591 registration: the new client and the registration response."""
        probe = client_from_metadata("pending", metadata)
        secret = "" if probe.public else secrets.token_urlsafe(32)
        client_id = "dcr-" + secrets.token_urlsafe(16)
        client = client_from_metadata(client_id, metadata, secret=secret)
        with self._lock:
            if len(self._clients) >= MAX_REGISTERED_CLIENTS:
                raise ClientError(
                    "temporarily_unavailable",
                    f"the development IdP holds at most {MAX_REGISTERED_CLIENTS} clients; "
                    "restart it",
                )
            self._clients[client_id] = client
        response: dict[str, Any] = {
            "client_id": client_id,
            "client_id_issued_at": int(time.time()),
            "client_name": client.client_name,
            "redirect_uris": list(client.redirect_uris),
            "grant_types": sorted(client.grant_types),
            "response_types": ["code"],
            "token_endpoint_auth_method": client.auth_method,
        }
        if secret:
            response["client_secret"] = secret
            response["client_secret_expires_at"] = 0
        assert isinstance(metadata, dict)
        if isinstance(metadata.get("scope"), str):
            response["scope"] = metadata["scope"]
        return client, response

    def get(self, client_id: str) -> Client:
        """The client ``client_id``; a metadata-document URL is fetched (and cached) first."""
        if client_id == DEV_CLIENT_ID:
            return self.demo
        with self._lock:
            client = self._clients.get(client_id)
        if client is not None:
            return client
        if is_metadata_url(client_id, allow_loopback_http=self.allow_loopback_metadata_urls):
            return self._from_document(client_id)
        raise ClientError("invalid_client", "unknown client")

    def _from_document(self, url: str) -> Client:
        now = time.monotonic()
        with self._lock:
            cached = self._documents.get(url)
            if cached is not None and now - cached[0] < METADATA_CACHE_SECONDS:
                return cached[1]
        document = fetch_metadata_document(url)
        if not isinstance(document, dict) or document.get("client_id") != url:
            raise ClientError(
                "invalid_client",
                "the client metadata document's client_id is not the URL it was fetched from",
            )
        client = client_from_metadata(url, document, cimd=True)
        with self._lock:
            self._documents[url] = (now, client)
            self._documents.move_to_end(url)
            while len(self._documents) > MAX_CACHED_METADATA:
                self._documents.popitem(last=False)
        return client

    def authenticate(self, client_id: str, secret: str | None) -> Client:
        """The client ``client_id`` after checking its credentials for the token endpoint."""
        client = self.get(client_id)
        if client.public:
            if secret:
                raise ClientError("invalid_client", "a public client has no secret")
            return client
        if secret is None or not client.check_secret(secret):
            raise ClientError("invalid_client", "client authentication failed")
        return client
