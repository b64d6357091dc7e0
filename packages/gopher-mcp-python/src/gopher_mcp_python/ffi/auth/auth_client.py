"""``GopherAuthClient``: validates JWT access tokens of one issuer against its JWKS.

One client per issuer, shared by every thread of the process::

    client = GopherAuthClient("https://idp.example.com/jwks", "https://idp.example.com/")
    options = GopherValidationOptions().set_audience("https://mcp.example.com/mcp")
    result, payload = client.validate_and_extract(token, options)
    if result.valid:
        ...  # payload.subject, payload.scope_list, payload.claims

Validation calls release the GIL while the native library works, take no Python lock, and
reuse one result buffer per thread, so many threads validate in parallel.
"""

from __future__ import annotations

import ctypes
import json
import os
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from ._handles import ClientHandle
from ._native import NativeValidationResult, encode_argument
from ._payload import DecodedPayloads, PayloadReader
from .errors import GopherHandleClosedError, GopherInvalidTokenError
from .lifecycle import ensure_initialized
from .loader import get_auth_functions
from .types import GopherAuthError, TokenPayload, ValidationResult, as_error_code
from .validation_options import GopherValidationOptions

__all__ = ["GopherAuthClient", "OptionValue"]

#: What :meth:`GopherAuthClient.set_option` accepts.
OptionValue = bool | int | str | os.PathLike[str] | Sequence[str]

_VALID = ValidationResult(True, GopherAuthError.SUCCESS, None)
_NUL_TOKEN = ValidationResult(
    False, GopherAuthError.INVALID_TOKEN, "the token contains a NUL character"
)
_NOT_UTF8_TOKEN = ValidationResult(
    False, GopherAuthError.INVALID_TOKEN, "the token is not valid UTF-8 text"
)


class _ThreadBuffers(threading.local):
    """Per-thread out-parameters of the validation calls (allocated once per thread)."""

    def __init__(self) -> None:
        self.result = NativeValidationResult()
        self.result_address = ctypes.addressof(self.result)
        self.payload = ctypes.c_void_p()
        self.payload_address = ctypes.addressof(self.payload)


_buffers = _ThreadBuffers()
#: The native getters' output for recently verified tokens (see DecodedPayloads).
_decoded = DecodedPayloads()


def _token_bytes(token: str | bytes) -> bytes | ValidationResult:
    """The token as C string bytes, or the verdict for a token that cannot be one."""
    if isinstance(token, str):
        if "\x00" in token:
            return _NUL_TOKEN
        try:
            return token.encode("utf-8")
        except UnicodeEncodeError:
            return _NOT_UTF8_TOKEN
    if isinstance(token, (bytes, bytearray)):
        data = bytes(token)
        if b"\x00" in data:
            return _NUL_TOKEN
        if not data.isascii():  # a JWT is ASCII; keep every token defect an INVALID_TOKEN
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return _NOT_UTF8_TOKEN
        return data
    raise TypeError(f"token must be a str or bytes, not {type(token).__name__}")


def _not_options(options: object) -> TypeError:
    return TypeError(
        f"options must be GopherValidationOptions or None, not {type(options).__name__}"
    )


def _failure(result: NativeValidationResult, code: int) -> ValidationResult:
    raw = result.error_message
    message = raw.decode("utf-8", "replace") if raw else None
    return ValidationResult(False, as_error_code(code), message)


def _option_string(name: str, value: OptionValue) -> str:
    """The string form the C ABI expects for an option value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    raise TypeError(
        f"option {name!r}: value must be a bool, int, str, path or list of str, "
        f"not {type(value).__name__}"
    )


class GopherAuthClient:
    """A token validator for one issuer, with keys from ``jwks_uri`` (or :meth:`load_jwks`).

    Args:
        jwks_uri: the issuer's JWK Set URL: ``https://`` (plain ``http://`` only to a loopback
            host unless the option ``allow_insecure_http`` is set), or ``""`` for a client that
            only uses keys given to :meth:`load_jwks`. Keys are fetched on first need.
        issuer: the exact ``iss`` value accepted (compared byte for byte).

    Creating the first client initialises the native library implicitly (see
    :mod:`~gopher_mcp_python.ffi.auth.lifecycle`).

    Raises:
        NativeLibraryError: the native library cannot be found or loaded.
        GopherInvalidConfigError: malformed ``jwks_uri`` or empty ``issuer`` (native message).
        GopherNotInitializedError: the program shut the library down explicitly.

    """

    def __init__(self, jwks_uri: str, issuer: str) -> None:
        uri = encode_argument(jwks_uri, "jwks_uri")
        iss = encode_argument(issuer, "issuer")
        self._functions = functions = get_auth_functions()
        ensure_initialized()
        handle = ClientHandle(functions.gopher_auth_client_destroy)
        functions.check(
            functions.gopher_auth_client_create(ctypes.byref(handle), uri, iss),
            "gopher_auth_client_create",
        )
        self._handle: ClientHandle | None = handle
        # The address, passed to the hot calls (ctypes converts an int fastest). A call holds
        # ``self._handle`` in a local while it runs, which keeps the native client alive.
        self._pointer: int = handle.value or 0
        self._validate = functions.gopher_auth_validate_token
        self._validate_and_extract = functions.gopher_auth_validate_and_extract
        self._payloads = PayloadReader(functions)
        # The process-wide memo of decoded payloads is keyed by token bytes, but the granted
        # scopes also depend on this client's scope_claims: a client with other scope sources
        # keys its entries apart (tokens never hold a NUL, so the prefix cannot collide).
        self._memo_prefix = b""
        self.jwks_uri = jwks_uri
        self.issuer = issuer

    # -- handle access -------------------------------------------------------------------------

    @property
    def is_destroyed(self) -> bool:
        """Whether :meth:`destroy` has been called."""
        return self._handle is None

    def _live(self) -> ClientHandle:
        handle = self._handle
        if handle is None:
            raise GopherHandleClosedError(
                "this GopherAuthClient was destroyed; create a new client"
            )
        return handle

    # -- configuration -------------------------------------------------------------------------

    def set_option(self, name: str, value: OptionValue) -> GopherAuthClient:
        """Set one client option; returns the client.

        Options (see the C header for ranges): ``cache_duration`` (s), ``auto_refresh``
        (bool), ``request_timeout`` (s), ``min_refresh_interval`` (s), ``token_cache_size``
        (entries, 0 = off), ``allow_insecure_http`` (bool), ``ca_bundle`` (path),
        ``max_token_bytes``, ``allowed_algorithms`` (list of names, e.g. ``["RS256", "ES256"]``).
        Python values are converted: bools to ``"true"``/``"false"``, ints to decimal, lists to
        comma-separated names, paths to strings.

        Raises:
            TypeError: an unsupported value type.
            GopherInvalidConfigError: unknown option or rejected value (the native message
                names the option).

        """
        raw_name = encode_argument(name, "option name")
        raw_value = encode_argument(_option_string(name, value), f"option {name!r}")
        functions = self._functions
        functions.check(
            functions.gopher_auth_client_set_option(self._live(), raw_name, raw_value),
            f"gopher_auth_client_set_option({name!r})",
        )
        if name == "scope_claims":
            self._memo_prefix = raw_value + b"\x00"
        return self

    def load_jwks(self, jwks: str | Mapping[str, Any]) -> GopherAuthClient:
        """Use exactly the keys of the JWK Set ``jwks`` (JSON text or a dict); stop fetching.

        Unusable keys (RSA under 2048 bits, ``use`` other than ``sig``, ``oct``, unknown
        ``kty``) are skipped.

        Raises:
            GopherInvalidKeyError: not a JWK Set, too large, or no usable key at all.

        """
        text = jwks if isinstance(jwks, str) else json.dumps(jwks)
        raw = encode_argument(text, "jwks")
        functions = self._functions
        functions.check(
            functions.gopher_auth_client_load_jwks(self._live(), raw),
            "gopher_auth_client_load_jwks",
        )
        return self

    def add_issuer(self, issuer: str, jwks_uri: str = "") -> GopherAuthClient:
        """Trust one more issuer, with its own keys from ``jwks_uri``.

        A token's ``iss`` (exact) selects its issuer before any key is looked up or fetched; a
        token naming no trusted issuer is refused without any network request, and one
        issuer's keys never verify another issuer's tokens. ``jwks_uri`` ``""`` means keys
        only from :meth:`load_issuer_jwks`.

        Raises:
            GopherInvalidConfigError: empty, over-long or already trusted issuer, malformed
                URL, or more than 64 issuers.

        """
        raw_issuer = encode_argument(issuer, "issuer")
        raw_uri = encode_argument(jwks_uri, "jwks_uri")
        functions = self._functions
        functions.check(
            functions.gopher_auth_client_add_issuer(self._live(), raw_issuer, raw_uri),
            "gopher_auth_client_add_issuer",
        )
        return self

    def discover_issuer(self, issuer: str) -> GopherAuthClient:
        """Find the keys of ``issuer`` from its metadata (OpenID Connect Discovery, then RFC 8414).

        The metadata's ``issuer`` must equal ``issuer`` byte for byte; otherwise validations
        fail with ``INVALID_CONFIG`` naming both strings. Trusts ``issuer`` if it is not yet
        trusted, or switches the creation issuer of a client made with ``jwks_uri=""``.
        Nothing is fetched here: the first validation that needs keys does it.

        Raises:
            GopherInvalidConfigError: not an absolute http(s) URL, or the issuer already has a
                ``jwks_uri`` or static keys.

        """
        raw_issuer = encode_argument(issuer, "issuer")
        functions = self._functions
        functions.check(
            functions.gopher_auth_client_discover_issuer(self._live(), raw_issuer),
            "gopher_auth_client_discover_issuer",
        )
        return self

    def set_introspection(
        self, endpoint: str, client_id: str, client_secret: str
    ) -> GopherAuthClient:
        """Turn on RFC 7662 introspection of opaque access tokens.

        ``endpoint`` ``""`` means the ``introspection_endpoint`` of the creation issuer's
        metadata, discovered on first use. ``client_id``/``client_secret`` authenticate this
        resource server at the authorization server (option ``introspection_auth_method``).
        Which tokens are introspected, the cache and the limits are the ``introspection_*``
        options of :meth:`set_option`. The secret never appears in any message.

        Raises:
            GopherInvalidConfigError: malformed endpoint URL, empty ``client_id``, client id or
                secret longer than 4096 bytes.

        """
        raw_endpoint = encode_argument(endpoint, "endpoint")
        raw_id = encode_argument(client_id, "client_id")
        raw_secret = encode_argument(client_secret, "client_secret")
        functions = self._functions
        functions.check(
            functions.gopher_auth_client_set_introspection(
                self._live(), raw_endpoint, raw_id, raw_secret
            ),
            "gopher_auth_client_set_introspection",
        )
        return self

    def load_issuer_jwks(self, issuer: str, jwks: str | Mapping[str, Any]) -> GopherAuthClient:
        """:meth:`load_jwks` for the trusted issuer ``issuer``.

        Raises:
            GopherInvalidConfigError: ``issuer`` is not trusted by this client.
            GopherInvalidKeyError: not a JWK Set, too large, or no usable key at all.

        """
        text = jwks if isinstance(jwks, str) else json.dumps(jwks)
        raw_issuer = encode_argument(issuer, "issuer")
        raw = encode_argument(text, "jwks")
        functions = self._functions
        functions.check(
            functions.gopher_auth_client_load_issuer_jwks(self._live(), raw_issuer, raw),
            "gopher_auth_client_load_issuer_jwks",
        )
        return self

    # -- validation ----------------------------------------------------------------------------

    def validate_token(
        self, token: str | bytes, options: GopherValidationOptions | None = None
    ) -> ValidationResult:
        """Validate ``token`` (the bare JWT, no ``Bearer``) and return the verdict.

        A bad token is a result with ``valid=False`` and the native library's reason, never an
        exception. ``JWKS_FETCH_FAILED`` / ``NETWORK_ERROR`` mean no keys could be obtained
        (answer 503, not 401). May block up to ``request_timeout`` when keys must be fetched.

        ``INVALID_CONFIG`` is a verdict on the configuration, not the token (answer 500): it is
        what every call returns when ``options`` name no audience (``None`` included), since
        the audience check cannot be turned off.

        Raises:
            GopherHandleClosedError: the client or ``options`` were destroyed.
            TypeError: ``token`` is neither ``str`` nor ``bytes``.

        """
        # The success path is kept short: it runs on every request.
        handle = self._handle
        if handle is None:
            self._live()
        if options is None:
            options_handle = options_pointer = None
        else:
            try:
                options_handle = options._handle  # held: keeps the native options alive
                options_pointer = options._pointer
            except AttributeError:
                raise _not_options(options) from None
            if options_handle is None:
                options.native_handle()  # raises: destroyed options
        if type(token) is str and "\x00" not in token and token.isascii():
            data = token.encode("ascii")
        else:
            converted = _token_bytes(token)
            if type(converted) is not bytes:
                return converted  # type: ignore[return-value]
            data = converted
        buffers = _buffers
        code = self._validate(self._pointer, data, options_pointer, buffers.result_address)
        if code == 0:
            return _VALID
        return _failure(buffers.result, code)

    def validate_and_extract(
        self, token: str | bytes, options: GopherValidationOptions | None = None
    ) -> tuple[ValidationResult, TokenPayload | None]:
        """Validate ``token`` and, when valid, return its verified claims in the same pass.

        Returns:
            ``(result, payload)``; ``payload`` is ``None`` unless ``result.valid``.

        ``INVALID_CONFIG`` as for :meth:`validate_token` (no audience in ``options``).

        Raises:
            GopherHandleClosedError: the client or ``options`` were destroyed.

        """
        handle = self._handle
        if handle is None:
            self._live()
        if options is None:
            options_handle = options_pointer = None
        else:
            try:
                options_handle = options._handle  # held: keeps the native options alive
                options_pointer = options._pointer
            except AttributeError:
                raise _not_options(options) from None
            if options_handle is None:
                options.native_handle()  # raises: destroyed options
        if type(token) is str and "\x00" not in token and token.isascii():
            data = token.encode("ascii")
        else:
            converted = _token_bytes(token)
            if type(converted) is not bytes:
                return converted, None  # type: ignore[return-value]
            data = converted
        buffers = _buffers
        memo_key = self._memo_prefix + data if self._memo_prefix else data
        known = _decoded.get(memo_key)
        if known is not None:  # claims seen before: only the verdict is needed, checked anew
            code = self._validate(self._pointer, data, options_pointer, buffers.result_address)
            if code == 0:
                return _VALID, known.to_payload()
            return _failure(buffers.result, code), None
        code = self._validate_and_extract(
            self._pointer, data, options_pointer, buffers.result_address, buffers.payload_address
        )
        payload = buffers.payload.value
        buffers.payload.value = None
        if code != 0:
            if payload:  # the ABI promises NULL on failure; never leak if it is not
                self._functions.gopher_auth_payload_destroy(payload)
            return _failure(buffers.result, code), None
        try:
            fields = self._payloads.take(payload, "gopher_auth_validate_and_extract")
        except GopherInvalidTokenError as exc:
            # A verified token whose claims cannot be handed out as C strings (a NUL inside
            # `sub`, `iss`, `aud` or `scope`): refused like any other unusable token, as a
            # verdict rather than an exception, so callers answer 401 and never 500.
            return ValidationResult(False, GopherAuthError.INVALID_TOKEN, exc.native_message), None
        _decoded.remember(memo_key, fields)
        return _VALID, fields.to_payload()

    def extract_payload(self, token: str | bytes) -> TokenPayload:
        """DIAGNOSTICS ONLY: decode ``token``'s claims WITHOUT verifying anything.

        No signature, issuer, audience, time or scope check is made: anyone can forge a token
        that decodes. Never base an access decision on the result; use
        :meth:`validate_and_extract` for that.

        Raises:
            GopherInvalidTokenError: the token is malformed (native message).
            GopherHandleClosedError: the client was destroyed.

        """
        self._live()
        data = _token_bytes(token)
        if not isinstance(data, bytes):
            raise GopherInvalidTokenError(
                f"gopher_auth_extract_payload failed: {data.error_message}",
                GopherAuthError.INVALID_TOKEN,
            )
        functions = self._functions
        out = ctypes.c_void_p()
        code = functions.gopher_auth_extract_payload(data, ctypes.byref(out))
        if code != 0:
            error = functions.failure(code, "gopher_auth_extract_payload")
            if out.value:
                functions.gopher_auth_payload_destroy(out.value)
            raise error
        return self._payloads.take(out.value, "gopher_auth_extract_payload").to_payload()

    # -- lifetime ------------------------------------------------------------------------------

    def destroy(self) -> None:
        """Release the native client (and stop its background refresh). Idempotent.

        Calls already running on other threads finish first: the native client is released
        when the last of them returns. Any later use raises :class:`GopherHandleClosedError`.
        """
        self._handle = None

    def __enter__(self) -> GopherAuthClient:
        self._live()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.destroy()

    def __repr__(self) -> str:
        state = "destroyed" if self._handle is None else "live"
        return f"<GopherAuthClient issuer={self.issuer!r} jwks_uri={self.jwks_uri!r} {state}>"
