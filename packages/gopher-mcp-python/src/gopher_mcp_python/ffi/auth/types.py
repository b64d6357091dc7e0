"""Value types of the gopher-orch auth binding: error codes, verdicts, token claims.

Everything here is plain Python; nothing in this module touches the native library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

__all__ = [
    "ERROR_DESCRIPTIONS",
    "GopherAuthContext",
    "GopherAuthError",
    "TokenPayload",
    "ValidationResult",
    "get_error_description",
    "gopher_create_empty_auth_context",
    "is_gopher_auth_error",
]


class GopherAuthError(IntEnum):
    """The error codes of the ``gopher_auth_*`` C ABI (``gopher_auth_error_t``).

    0 is success; every failure is negative. The values are part of the ABI and never change.
    """

    SUCCESS = 0
    INVALID_TOKEN = -1000
    EXPIRED_TOKEN = -1001
    INVALID_SIGNATURE = -1002
    INVALID_ISSUER = -1003
    INVALID_AUDIENCE = -1004
    INSUFFICIENT_SCOPE = -1005
    JWKS_FETCH_FAILED = -1006
    INVALID_KEY = -1007
    NETWORK_ERROR = -1008
    INVALID_CONFIG = -1009
    OUT_OF_MEMORY = -1010
    INVALID_PARAMETER = -1011
    NOT_INITIALIZED = -1012
    INTERNAL_ERROR = -1013
    TOKEN_EXCHANGE_FAILED = -1014
    IDP_NOT_LINKED = -1015
    INVALID_IDP_ALIAS = -1016


ERROR_DESCRIPTIONS: dict[GopherAuthError, str] = {
    GopherAuthError.SUCCESS: "Success",
    GopherAuthError.INVALID_TOKEN: "The token is malformed or breaks the token policy",
    GopherAuthError.EXPIRED_TOKEN: "The token has expired (or is not valid yet)",
    GopherAuthError.INVALID_SIGNATURE: "The token signature does not verify",
    GopherAuthError.INVALID_ISSUER: "The token was issued by another issuer",
    GopherAuthError.INVALID_AUDIENCE: "The token is meant for another audience",
    GopherAuthError.INSUFFICIENT_SCOPE: "The token lacks a required scope",
    GopherAuthError.JWKS_FETCH_FAILED: "The signing keys (JWKS) could not be obtained",
    GopherAuthError.INVALID_KEY: "No usable signing key",
    GopherAuthError.NETWORK_ERROR: "A network error occurred while fetching keys",
    GopherAuthError.INVALID_CONFIG: "Invalid configuration",
    GopherAuthError.OUT_OF_MEMORY: "Out of memory",
    GopherAuthError.INVALID_PARAMETER: "Invalid parameter",
    GopherAuthError.NOT_INITIALIZED: "The auth library is not initialized",
    GopherAuthError.INTERNAL_ERROR: "Internal error in the native library",
    GopherAuthError.TOKEN_EXCHANGE_FAILED: "Token exchange failed",
    GopherAuthError.IDP_NOT_LINKED: "The identity provider is not linked",
    GopherAuthError.INVALID_IDP_ALIAS: "Unknown identity provider alias",
}

_CODES: frozenset[int] = frozenset(int(code) for code in GopherAuthError)


def is_gopher_auth_error(code: int) -> bool:
    """Whether ``code`` is one of the failure codes of :class:`GopherAuthError` (not SUCCESS)."""
    return code != 0 and code in _CODES


def get_error_description(code: int) -> str:
    """A one-line English description of ``code``; unknown codes are described as such."""
    if code in _CODES:
        return ERROR_DESCRIPTIONS[GopherAuthError(code)]
    return f"Unknown error code {code}"


def as_error_code(code: int) -> int:
    """``code`` as a :class:`GopherAuthError` member when it is one, else the plain int."""
    return GopherAuthError(code) if code in _CODES else code


def split_scopes(scopes: str) -> list[str]:
    """The scopes of a space-separated scope string, split exactly as the native engine does.

    Only U+0020 separates scopes (RFC 6749 §3.3): a granted scope holding a tab or another
    whitespace character is one scope, so ``str.split()`` would grant scopes the engine refused.
    """
    return [scope for scope in scopes.split(" ") if scope]


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """The verdict of one token validation.

    ``valid`` is true iff ``error_code`` is ``GopherAuthError.SUCCESS``; ``error_message`` is
    ``None`` when valid and otherwise the native library's own description of the first check
    that failed (sanitised and bounded by the library; it never echoes the token).

    A result is always truthy as an object; test ``result.valid``, not the result.
    """

    valid: bool
    error_code: int
    error_message: str | None = None

    @property
    def error(self) -> GopherAuthError | None:
        """``error_code`` as a :class:`GopherAuthError`, or ``None`` when valid or unknown."""
        if self.valid or self.error_code not in _CODES:
            return None
        return GopherAuthError(self.error_code)


@dataclass(slots=True)
class TokenPayload:
    """The claims of a token (a fresh object per call: changing it affects nobody else).

    From :meth:`GopherAuthClient.validate_and_extract` these are the claims of a *verified*
    token. From :meth:`GopherAuthClient.extract_payload` they are NOT verified.

    Attributes:
        subject: ``sub``, or ``None`` when absent or not a string.
        scopes: the granted scopes as one space-separated string (upstream's shape): ``scope``
            then ``scp`` members, duplicates removed, ``""`` when none. See :attr:`scope_list`.
        audience: ``aud``; an array audience is joined with single spaces. ``None`` when absent.
        expiration: ``exp`` in whole Unix seconds, 0 when absent.
        issuer: ``iss``, or ``None`` when absent.
        claims: every claim of the token, as decoded from its JSON payload.
        client_id: the OAuth client the token was issued to, as the engine reads it (the
            first present of ``client_id``, ``azp``, ``cid``, ``appid``), or ``None``.
        scope_items: the granted scopes exactly as the engine lists them (each an RFC 6749
            scope-token), never re-split from a string; ``()`` when none.
        audience_items: the ``aud`` values exactly as the engine lists them.

    """

    subject: str | None
    scopes: str
    audience: str | None
    expiration: int
    issuer: str | None
    claims: dict[str, Any] = field(default_factory=dict)
    client_id: str | None = None
    scope_items: tuple[str, ...] = ()
    audience_items: tuple[str, ...] = ()

    @property
    def scope_list(self) -> list[str]:
        """The granted scopes as a list, in token order (the engine's list)."""
        if self.scope_items or not self.scopes:
            return list(self.scope_items)
        return split_scopes(self.scopes)  # a payload built by hand, without the engine's list

    def has_scope(self, scope: str) -> bool:
        """Whether ``scope`` is granted exactly (no prefix or hierarchy matching)."""
        return scope in self.scope_list


@dataclass(frozen=True, slots=True)
class GopherAuthContext:
    """Who a request is authenticated as: the outcome of validating its bearer token.

    Build one per request (never share it between requests); an unauthenticated request gets
    :func:`gopher_create_empty_auth_context`.
    """

    user_id: str = ""
    scopes: str = ""
    audience: str = ""
    token_expiry: int = 0
    authenticated: bool = False
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: TokenPayload) -> GopherAuthContext:
        """The context of a request whose token was verified and yielded ``payload``."""
        return cls(
            user_id=payload.subject or "",
            scopes=payload.scopes,
            audience=payload.audience or "",
            token_expiry=payload.expiration,
            authenticated=True,
            claims=payload.claims,
        )

    @property
    def scope_list(self) -> list[str]:
        """The granted scopes as a list."""
        return split_scopes(self.scopes)

    def has_scope(self, scope: str) -> bool:
        """Whether ``scope`` is granted exactly (no prefix or hierarchy matching)."""
        return scope in split_scopes(self.scopes)


def gopher_create_empty_auth_context() -> GopherAuthContext:
    """The context of an unauthenticated request: no user, no scopes."""
    return GopherAuthContext()
