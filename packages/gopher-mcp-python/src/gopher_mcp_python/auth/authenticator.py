"""Authenticating one request: bearer token → verified claims → scope policy → context or refusal.

:class:`Authenticator` owns one native :class:`GopherAuthClient` (thread-safe, so one per
process serves every request and worker thread) and never keeps per-request state: each call
returns a fresh :class:`AuthContext` or a ready :class:`Challenge`. It fails closed: every
outcome other than a verified token with the needed scopes is a refusal.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable

from ..ffi.auth import (
    GopherAuthClient,
    GopherAuthError,
    GopherValidationOptions,
    TokenPayload,
    ValidationResult,
    gopher_init_auth_library,
)
from .body import SCOPE_HINT_BYTES, McpBody
from .challenge import Challenge, ChallengeFactory
from .config import ResourceServerConfig
from .context import AuthContext
from .credentials import Headers, MalformedAuthorization, read_bearer_token
from .routing import RoutingHeaders, routing_headers

__all__ = ["AuthResult", "Authenticator"]

AuthResult = AuthContext | Challenge

logger = logging.getLogger("gopher_mcp_python.auth")

#: What a client is told for each verdict. Deliberately coarse: the native library's detailed
#: message goes to the server log, not to the caller.
_INVALID_TOKEN_TEXT: dict[int, str] = {
    GopherAuthError.EXPIRED_TOKEN: "The access token has expired or is not valid yet.",
    GopherAuthError.INVALID_SIGNATURE: "The access token's signature does not verify.",
    GopherAuthError.INVALID_ISSUER: "The access token was not issued by the trusted "
    "authorization server.",
    GopherAuthError.INVALID_AUDIENCE: "The access token was not issued for this resource.",
    GopherAuthError.INVALID_KEY: "The access token is not signed with a known key.",
}
_DEFAULT_INVALID_TEXT = "The access token is malformed or invalid."
_MAX_CACHED_OPTIONS = 256
#: How many recently verified tokens (their hashes) the authenticator remembers for
#: :meth:`Authenticator.is_verified_before`.
_MAX_VERIFIED_NOTES = 4096
_INSUFFICIENT = GopherAuthError.INSUFFICIENT_SCOPE
_UNAVAILABLE = frozenset({GopherAuthError.JWKS_FETCH_FAILED, GopherAuthError.NETWORK_ERROR})
_SERVER_FAULT = frozenset(
    {
        GopherAuthError.INVALID_CONFIG,
        GopherAuthError.OUT_OF_MEMORY,
        GopherAuthError.NOT_INITIALIZED,
        GopherAuthError.INTERNAL_ERROR,
    }
)


def _context_from(payload: TokenPayload) -> AuthContext:
    # Scopes, audiences and the client id exactly as the engine lists them: never re-split a
    # joined string (an `scp` item "a b" grants nothing and must not become two scopes here).
    return AuthContext(
        subject=payload.subject or "",
        scopes=payload.scope_items,
        claims=payload.claims,  # a fresh dict per validation; the context is its only owner
        expires_at=payload.expiration,
        issuer=payload.issuer or "",
        audience=payload.audience_items,
        client_id=payload.client_id or "",
    )


def _trust_issuers(client: GopherAuthClient, config: ResourceServerConfig) -> None:
    """Give the client every trusted issuer after the first, and each issuer its keys.

    An issuer's static keys are its own ``jwks``, else the config's ``jwks`` (which serves
    every issuer); an issuer with neither keys nor ``jwks_uri`` is discovered.
    """
    first, *others = config.issuers
    if first.jwks or config.jwks:
        client.load_jwks(first.jwks or config.jwks)
    elif not first.jwks_uri:
        client.discover_issuer(first.issuer)
    for trusted in others:
        keys = trusted.jwks or config.jwks
        if not trusted.jwks_uri and not keys:
            client.discover_issuer(trusted.issuer)
            continue
        client.add_issuer(trusted.issuer, trusted.jwks_uri)
        if keys:
            client.load_issuer_jwks(trusted.issuer, keys)


class Authenticator:
    """Validates requests for one protected resource.

    Create one per process (it is safe to share between threads) and call :meth:`authenticate`
    per request. :meth:`close` releases the native client.
    """

    def __init__(
        self, config: ResourceServerConfig, client: GopherAuthClient | None = None
    ) -> None:
        """Create the native client for ``config`` (or use ``client``, already configured).

        Raises the binding's exceptions (``NativeLibraryError``, ``GopherInvalidConfigError``,
        ``GopherInvalidKeyError``) when the library is missing or the settings are refused —
        a server must not start without a working validator.
        """
        self.config = config
        self.challenges = ChallengeFactory(config)
        if client is None:
            gopher_init_auth_library()
            client = GopherAuthClient(config.jwks_uri, config.issuer)
            try:
                for name, value in config.client_options.items():
                    client.set_option(name, value)
                _trust_issuers(client, config)
                if config.introspection is not None:
                    intro = config.introspection
                    client.set_introspection(intro.endpoint, intro.client_id, intro.client_secret)
            except BaseException:
                client.destroy()
                raise
        self._client = client
        self._options: dict[tuple[str, ...], GopherValidationOptions] = {}
        self._options_lock = threading.Lock()
        # hash(token) -> time.monotonic() until which the engine answers it from a cache.
        self._verified: dict[int, float] = {}
        introspection = config.introspection
        # With introspection, a verified token stays cheap only while its answer is cached.
        self._note_ttl = math.inf if introspection is None else float(introspection.cache_ttl)
        self._max_notes = (
            _MAX_VERIFIED_NOTES
            if introspection is None
            else min(_MAX_VERIFIED_NOTES, introspection.cache_size)
        )

    # -------------------------------------------------------------------- public API

    def required_scopes(
        self, mcp_request: object = None, path: str | None = None
    ) -> tuple[str, ...]:
        """The scopes ``mcp_request`` needs at ``path``.

        ``mcp_request`` is parsed JSON-RPC or an :class:`~.body.McpBody`; the policy's path rules
        apply only when ``path`` is given.
        """
        if isinstance(mcp_request, McpBody):
            mcp_request = mcp_request.parsed()
        return self.config.scope_policy.required_scopes(mcp_request, path)

    def authenticate(
        self, headers: Headers, mcp_request: object = None, *, path: str | None = None
    ) -> AuthResult:
        """Authenticate a request from its headers and (optionally) its JSON-RPC body.

        Returns an :class:`AuthContext` when the ``Authorization: Bearer`` token is valid for
        this resource and grants every scope the request needs, otherwise a :class:`Challenge`.
        The ``Authorization`` header is read, and on MCP 2026-07-28 the routing headers
        ``MCP-Protocol-Version``, ``Mcp-Method`` and ``Mcp-Name`` (:mod:`.routing`).

        ``mcp_request`` is the body as an :class:`~.body.McpBody` (what the adapters pass: its
        JSON is parsed only after the token verified, so a request without a valid token cannot
        make the server parse a large body) or already parsed JSON. The token is judged first;
        the scopes of what the request asks for are checked second, by the native engine. On
        2026-07-28 (a body given, ``MCP-Protocol-Version: 2026-07-28``) those scopes come from
        the routing headers, without parsing the body, and the body is then checked against the
        headers: a disagreement (or a missing or malformed routing header) is refused with
        ``400`` ``HeaderMismatch``, so the scopes checked are the scopes of what runs. On older
        revisions the routing headers are ignored and the scopes come from the body.
        ``path`` is the request's URL path, for the policy's path rules.
        """
        try:
            token = read_bearer_token(headers)
        except MalformedAuthorization as exc:
            return self.challenges.invalid_request(str(exc))
        routing = None if mcp_request is None else routing_headers(headers)
        if token is None:
            return self.challenges.token_required(self._scope_hint(mcp_request, path, routing))
        result, payload = self._validate(token, ())
        if not result.valid or payload is None:
            return self._refusal(result, self._scope_hint(mcp_request, path, routing))
        context = _context_from(payload)
        if routing is None:
            required = self.required_scopes(mcp_request, path)
        elif routing.method is not None and not routing.problem:
            required = self.config.scope_policy.for_request(routing.method, routing.name, path)
        else:
            required = ()  # unusable routing headers: refused below, whatever the scopes
        required = tuple(dict.fromkeys(required))
        if required:
            # The engine owns the scope rules: ask it again with the request's scopes. The token
            # is in its verified-token cache by now, so this costs well under a microsecond.
            result, _ = self._validate(token, required, extract=False)
            if not result.valid:
                return self._refusal(result, required, context.scopes)
        if routing is not None:
            message = mcp_request.parsed() if isinstance(mcp_request, McpBody) else mcp_request
            problem = routing.disagreement(message)
            if problem:
                request_id = message.get("id") if isinstance(message, dict) else None
                return self.challenges.header_mismatch(problem, request_id)
        return context

    def verify_token(self, token: str, required: Iterable[str] = ()) -> AuthResult:
        """Verify a bare token and check that it grants every scope of ``required``."""
        needed = tuple(dict.fromkeys(required))
        result, payload = self._validate(token, needed)
        if result.valid and payload is not None:
            return _context_from(payload)
        granted = self._granted_scopes(token) if result.error_code == _INSUFFICIENT else ()
        return self._refusal(result, needed, granted)

    def close(self) -> None:
        """Release the native client and options (idempotent)."""
        with self._options_lock:
            for options in self._options.values():
                options.destroy()
            self._options.clear()
        self._client.destroy()

    def __enter__(self) -> Authenticator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------------- internals

    def _scope_hint(
        self, mcp_request: object, path: str | None, routing: RoutingHeaders | None
    ) -> tuple[str, ...]:
        """The scopes to name in a 401.

        From the routing headers on 2026-07-28 (the body is never parsed there), else from the
        body only when it is cheap to parse.
        """
        policy = self.config.scope_policy
        if routing is not None:
            if routing.method is None or routing.problem:
                return policy.required_scopes(None, path)
            return policy.for_request(routing.method, routing.name, path)
        if isinstance(mcp_request, McpBody) and len(mcp_request) > SCOPE_HINT_BYTES:
            return policy.required_scopes(None, path)
        return self.required_scopes(mcp_request, path)

    def _validate(
        self, token: str, scopes: tuple[str, ...], *, extract: bool = True
    ) -> tuple[ValidationResult, TokenPayload | None]:
        """The engine's verdict on ``token`` with ``scopes`` (and its claims, if ``extract``)."""
        options, cached = self._options_for(scopes)
        try:
            if extract:
                result, payload = self._client.validate_and_extract(token, options)
            else:
                result, payload = self._client.validate_token(token, options), None
        finally:
            if not cached:
                options.destroy()
        if result.valid:
            self._note_verified(token, payload)
        return result, payload

    def _note_verified(self, token: str, payload: TokenPayload | None) -> None:
        ttl = self._note_ttl
        if ttl <= 0 or self._max_notes <= 0:
            return  # introspection without a cache: every check may go to the network
        if payload is not None and payload.expiration and ttl != math.inf:
            ttl = min(ttl, payload.expiration - time.time())
        # One second early: the engine's cache counts whole seconds.
        until = time.monotonic() + ttl - 1.0
        verified = self._verified
        if len(verified) >= self._max_notes:
            verified.clear()  # bounded; a forgotten token is merely offloaded once more
        if hash(token) not in verified or payload is not None:
            verified[hash(token)] = until

    def is_verified_before(self, token: str) -> bool:
        """Whether ``token`` verified recently in this process (its check needs no network).

        The engine's verified-token cache answers such a token in microseconds, with no JWKS
        fetch, so async adapters check it inline instead of paying a worker-thread hop (which
        costs more CPU than the check). With introspection configured, a note lasts only as
        long as the engine caches the answer (``cache_ttl``, the token's ``exp``), so an
        introspection request never runs inline on an event loop. Only a hash of the token is
        kept, in a bounded map; a collision or a forgotten token changes where the check
        runs, never its verdict.
        """
        until = self._verified.get(hash(token))
        return until is not None and time.monotonic() < until

    def _granted_scopes(self, token: str) -> tuple[str, ...]:
        """The scopes of a token refused for a missing scope (for the 403's ``scope``)."""
        result, payload = self._validate(token, ())
        return _context_from(payload).scopes if result.valid and payload is not None else ()

    def _refusal(
        self, result: ValidationResult, needed: tuple[str, ...], granted: tuple[str, ...] = ()
    ) -> Challenge:
        """The challenge for a verdict other than success (``granted``: the token's scopes)."""
        code = result.error_code
        logger.info("bearer token refused: %s (%d)", result.error_message, code)
        if code == _INSUFFICIENT:
            return self.challenges.insufficient_scope(needed, granted)
        if code in _UNAVAILABLE:
            if self.config.introspection is not None:
                logger.warning(
                    "the authorization server (JWKS or token introspection) is unavailable: %s",
                    result.error_message,
                )
                return self.challenges.authorization_server_unavailable()
            logger.warning("no JWKS signing keys available: %s", result.error_message)
            return self.challenges.keys_unavailable()
        if code in _SERVER_FAULT or result.valid:
            logger.error("token validator failure: %s (%d)", result.error_message, code)
            return self.challenges.server_error()
        text = _INVALID_TOKEN_TEXT.get(code, _DEFAULT_INVALID_TEXT)
        return self.challenges.invalid_token(text, needed)

    def _new_options(self, scopes: tuple[str, ...]) -> GopherValidationOptions:
        return (
            GopherValidationOptions()
            .set_audiences(self.config.audiences)
            .set_clock_skew(self.config.clock_skew)
            .set_scopes(list(scopes))
        )

    def _options_for(self, scopes: tuple[str, ...]) -> tuple[GopherValidationOptions, bool]:
        """Validation options for ``scopes`` and whether they are cached (not to be destroyed).

        The policy names finitely many scope sets, so caching is bounded; past
        ``_MAX_CACHED_OPTIONS`` sets (callers passing arbitrary scopes) options are per call.
        """
        options = self._options.get(scopes)
        if options is not None:
            return options, True
        with self._options_lock:
            options = self._options.get(scopes)
            if options is not None:
                return options, True
            if len(self._options) >= _MAX_CACHED_OPTIONS:
                return self._new_options(scopes), False
            options = self._new_options(scopes)
            self._options[scopes] = options
            return options, True
