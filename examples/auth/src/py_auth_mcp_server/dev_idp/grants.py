"""What the development IdP holds between requests, all bounded and short-lived.

- authorization requests waiting for the person's consent (with their CSRF form token);
- authorization codes: single use, 60 s, bound to client, redirect URI, PKCE challenge, scopes
  and resource; a code presented twice revokes what it was exchanged for (RFC 6749 §4.1.2);
- refresh-token families: every refresh rotates the token; presenting a rotated (old) token
  revokes the whole family (OAuth 2.1 §4.3.1, refresh token rotation).

Only SHA-256 hashes of codes and refresh tokens are kept as keys.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from .signer import b64url

__all__ = [
    "AuthorizationRequest",
    "CodeGrant",
    "GrantError",
    "GrantStore",
    "RefreshFamily",
    "pkce_s256",
    "verifier_matches",
]

CODE_SECONDS = 60.0
REQUEST_SECONDS = 600.0
REFRESH_SECONDS = 86_400.0
MAX_PENDING = 1000
MAX_CODES = 1000
MAX_FAMILIES = 10_000
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")

T = TypeVar("T")


class GrantError(ValueError):
    """A grant is refused; ``error`` is the OAuth error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of ``verifier`` (RFC 7636 §4.2)."""
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def is_challenge(value: str) -> bool:
    """Whether ``value`` has the shape of an S256 challenge (43 base64url characters)."""
    return _CHALLENGE.fullmatch(value) is not None


def verifier_matches(verifier: str, challenge: str) -> bool:
    """Whether ``verifier`` is a well-formed RFC 7636 verifier whose S256 is ``challenge``."""
    if _VERIFIER.fullmatch(verifier) is None:
        return False
    return hmac.compare_digest(pkce_s256(verifier), challenge)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuthorizationRequest:
    """A validated authorization request waiting for consent."""

    client_id: str
    client_name: str
    redirect_uri: str
    state: str | None
    code_challenge: str
    scopes: tuple[str, ...]
    resource: str
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    created: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class CodeGrant:
    """What an authorization code stands for."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    scopes: tuple[str, ...]
    resource: str
    subject: str
    created: float = field(default_factory=time.monotonic)
    family: str = ""


@dataclass
class RefreshFamily:
    """All refresh tokens descended from one authorization code."""

    client_id: str
    scopes: tuple[str, ...]
    resource: str
    subject: str
    current: str  # hash of the one valid refresh token
    created: float = field(default_factory=time.monotonic)
    revoked: bool = False


class _Bounded(Generic[T]):
    """An insertion-ordered map with a size cap and a time-to-live (oldest dropped first)."""

    def __init__(self, limit: int, ttl: float) -> None:
        self.limit, self.ttl = limit, ttl
        self.items: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def put(self, key: str, value: T) -> None:
        self.expire()
        self.items[key] = (time.monotonic(), value)
        while len(self.items) > self.limit:
            self.items.popitem(last=False)

    def pop(self, key: str) -> T | None:
        self.expire()
        entry = self.items.pop(key, None)
        return None if entry is None else entry[1]

    def get(self, key: str) -> T | None:
        self.expire()
        entry = self.items.get(key)
        return None if entry is None else entry[1]

    def expire(self) -> None:
        now = time.monotonic()
        while self.items:
            key, (born, _) = next(iter(self.items.items()))
            if now - born < self.ttl:
                break
            del self.items[key]


class GrantStore:
    """Pending requests, codes and refresh-token families, thread-safe and bounded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: _Bounded[AuthorizationRequest] = _Bounded(MAX_PENDING, REQUEST_SECONDS)
        self._codes: _Bounded[CodeGrant] = _Bounded(MAX_CODES, CODE_SECONDS)
        #: hashes of codes already exchanged → the family they started (for reuse detection)
        self._used_codes: _Bounded[str] = _Bounded(MAX_CODES, CODE_SECONDS * 10)
        self._families: _Bounded[RefreshFamily] = _Bounded(MAX_FAMILIES, REFRESH_SECONDS)
        #: hash of any refresh token ever issued (current or rotated) → its family id
        self._refresh_index: _Bounded[str] = _Bounded(MAX_FAMILIES * 4, REFRESH_SECONDS)

    # ---------------------------------------------------------------- consent
    def add_request(self, request: AuthorizationRequest) -> str:
        """Keep ``request`` until the consent form comes back; returns its id."""
        request_id = secrets.token_urlsafe(24)
        with self._lock:
            self._pending.put(request_id, request)
        return request_id

    def take_request(self, request_id: str, csrf_token: str) -> AuthorizationRequest:
        """The pending request, consumed, if ``csrf_token`` is the one bound to it.

        A wrong token consumes the request too: the person starts over, an attacker gets
        one guess.
        """
        with self._lock:
            request = self._pending.pop(request_id)
        if request is None:
            raise GrantError("invalid_request", "unknown or expired authorization request")
        if not csrf_token or not hmac.compare_digest(
            csrf_token.encode("utf-8"), request.csrf_token.encode("utf-8")
        ):
            raise GrantError("invalid_request", "the consent form's CSRF token is missing or wrong")
        return request

    # ---------------------------------------------------------------- codes
    def issue_code(self, grant: CodeGrant) -> str:
        """A new single-use authorization code for ``grant``."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._codes.put(_digest(code), grant)
        return code

    def redeem_code(self, code: str) -> CodeGrant:
        """The grant of ``code``, which is consumed; a second use revokes what the first got."""
        key = _digest(code)
        with self._lock:
            grant = self._codes.pop(key)
            if grant is None:
                family = self._used_codes.get(key)
                if family is not None:
                    revoked = self._families.get(family)
                    if revoked is not None:
                        revoked.revoked = True
                    raise GrantError(
                        "invalid_grant",
                        "authorization code already used; the tokens it gave are revoked",
                    )
                raise GrantError("invalid_grant", "unknown or expired authorization code")
            family_id = secrets.token_urlsafe(16)
            self._used_codes.put(key, family_id)
        return replace(grant, family=family_id)

    # ---------------------------------------------------------------- refresh tokens
    def start_family(self, grant: CodeGrant) -> str:
        """A first refresh token for the family of ``grant`` (from :meth:`redeem_code`)."""
        token = secrets.token_urlsafe(32)
        family = RefreshFamily(
            client_id=grant.client_id,
            scopes=grant.scopes,
            resource=grant.resource,
            subject=grant.subject,
            current=_digest(token),
        )
        with self._lock:
            self._families.put(grant.family, family)
            self._refresh_index.put(family.current, grant.family)
        return token

    def rotate(self, token: str, client_id: str) -> tuple[RefreshFamily, str]:
        """Exchange refresh ``token`` of ``client_id`` for a new one (the old one dies).

        Presenting a token that was already rotated revokes the whole family.
        """
        key = _digest(token)
        with self._lock:
            family_id = self._refresh_index.get(key)
            family = self._families.get(family_id) if family_id is not None else None
            if family is None or family_id is None:
                raise GrantError("invalid_grant", "unknown or expired refresh token")
            if family.client_id != client_id:
                raise GrantError("invalid_grant", "the refresh token belongs to another client")
            if family.revoked:
                raise GrantError("invalid_grant", "the refresh token was revoked")
            if not hmac.compare_digest(key, family.current):
                family.revoked = True
                raise GrantError(
                    "invalid_grant",
                    "refresh token reused after rotation; every token of this grant is revoked",
                )
            new_token = secrets.token_urlsafe(32)
            family.current = _digest(new_token)
            self._refresh_index.put(family.current, family_id)
        return family, new_token

    def family_active(self, family_id: str) -> bool:
        """Whether the family exists and is not revoked (for tests and introspection)."""
        with self._lock:
            family = self._families.get(family_id)
            return family is not None and not family.revoked
