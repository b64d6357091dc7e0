"""ctypes prototypes of the ``gopher_auth_*`` C ABI (``native/include/gopher_auth.h``).

Every function is bound once, with its argument and return types, when the library is
loaded; a missing symbol is a load error. Strings handed out through ``char **`` parameters
are received as raw pointers (``c_void_p``) so that they can be copied and then released with
``gopher_auth_free_string``.

Calls through these prototypes release the GIL for their whole duration (plain ``CDLL``
functions do), so Python threads validate in parallel inside the native library.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

from .errors import (
    GopherAuthException,
    GopherInvalidParameterError,
    NativeLibraryError,
    exception_for_code,
)
from .types import GopherAuthError

INVALID_PARAMETER = GopherAuthError.INVALID_PARAMETER

__all__ = [
    "ABI_VERSION",
    "NativeFunctions",
    "NativeValidationResult",
    "encode_argument",
]

#: The ABI version this binding is written for (``GOPHER_AUTH_ABI_VERSION`` of the header).
ABI_VERSION = 3

_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_ptr = ctypes.c_void_p  # opaque handles and library-allocated strings
_str = ctypes.c_char_p  # NUL-terminated UTF-8 input strings
_out_ptr = ctypes.POINTER(ctypes.c_void_p)
# Out-parameters of the per-request functions (validation, payload getters) are declared
# ``void *`` and passed as precomputed integer addresses of per-thread buffers: ctypes converts
# an int to ``void *`` much faster than it checks a ``byref()`` against a pointer type.
_addr = ctypes.c_void_p


class NativeValidationResult(ctypes.Structure):
    """``gopher_auth_validation_result_t``; ``error_message`` is owned by the library."""

    _fields_ = (
        ("valid", ctypes.c_bool),
        ("error_code", ctypes.c_int32),
        ("error_message", ctypes.c_char_p),
    )


def _bind(lib: ctypes.CDLL, name: str, restype: Any, *argtypes: Any) -> Any:  # noqa: ANN401
    """``lib.name`` with its prototype set; a missing symbol raises :class:`NativeLibraryError`."""
    try:
        function = getattr(lib, name)
    except AttributeError:
        raise NativeLibraryError(
            f"the native library {lib._name} does not export {name}(); it is not a gopher-orch "
            f"library of ABI version {ABI_VERSION}. Reinstall the platform package of this "
            "version of gopher-mcp-python (see the README)."
        ) from None
    function.restype = restype
    function.argtypes = argtypes
    return function


class NativeFunctions:
    """Every function of the C ABI, bound to one loaded library, plus three small helpers.

    Attribute names are the C names, so the header is the documentation.
    """

    def __init__(self, lib: ctypes.CDLL) -> None:
        # lifecycle
        self.gopher_auth_init: Callable[[], int] = _bind(lib, "gopher_auth_init", _i32)
        self.gopher_auth_shutdown: Callable[[], int] = _bind(lib, "gopher_auth_shutdown", _i32)
        self.gopher_auth_version: Callable[[], bytes | None] = _bind(
            lib, "gopher_auth_version", _str
        )
        self.gopher_auth_abi_version: Callable[[], int] = _bind(
            lib, "gopher_auth_abi_version", _i32
        )
        self.gopher_auth_last_error_message: Callable[[], bytes | None] = _bind(
            lib, "gopher_auth_last_error_message", _str
        )
        self.gopher_auth_free_string: Callable[[Any], None] = _bind(
            lib, "gopher_auth_free_string", None, _ptr
        )
        # client
        self.gopher_auth_client_create: Callable[[Any, bytes, bytes], int] = _bind(
            lib, "gopher_auth_client_create", _i32, _out_ptr, _str, _str
        )
        self.gopher_auth_client_destroy: Callable[[Any], int] = _bind(
            lib, "gopher_auth_client_destroy", _i32, _ptr
        )
        self.gopher_auth_client_set_option: Callable[[Any, bytes, bytes], int] = _bind(
            lib, "gopher_auth_client_set_option", _i32, _ptr, _str, _str
        )
        self.gopher_auth_client_load_jwks: Callable[[Any, bytes], int] = _bind(
            lib, "gopher_auth_client_load_jwks", _i32, _ptr, _str
        )
        self.gopher_auth_client_add_issuer: Callable[[Any, bytes, bytes], int] = _bind(
            lib, "gopher_auth_client_add_issuer", _i32, _ptr, _str, _str
        )
        self.gopher_auth_client_load_issuer_jwks: Callable[[Any, bytes, bytes], int] = _bind(
            lib, "gopher_auth_client_load_issuer_jwks", _i32, _ptr, _str, _str
        )
        self.gopher_auth_client_discover_issuer: Callable[[Any, bytes], int] = _bind(
            lib, "gopher_auth_client_discover_issuer", _i32, _ptr, _str
        )
        self.gopher_auth_client_set_introspection: Callable[[Any, bytes, bytes, bytes], int] = (
            _bind(lib, "gopher_auth_client_set_introspection", _i32, _ptr, _str, _str, _str)
        )
        # validation options
        self.gopher_auth_validation_options_create: Callable[[Any], int] = _bind(
            lib, "gopher_auth_validation_options_create", _i32, _out_ptr
        )
        self.gopher_auth_validation_options_destroy: Callable[[Any], int] = _bind(
            lib, "gopher_auth_validation_options_destroy", _i32, _ptr
        )
        self.gopher_auth_validation_options_set_scopes: Callable[[Any, bytes], int] = _bind(
            lib, "gopher_auth_validation_options_set_scopes", _i32, _ptr, _str
        )
        self.gopher_auth_validation_options_set_audience: Callable[[Any, bytes], int] = _bind(
            lib, "gopher_auth_validation_options_set_audience", _i32, _ptr, _str
        )
        self.gopher_auth_validation_options_set_audiences: Callable[[Any, bytes], int] = _bind(
            lib, "gopher_auth_validation_options_set_audiences", _i32, _ptr, _str
        )
        self.gopher_auth_validation_options_set_clock_skew: Callable[[Any, int], int] = _bind(
            lib, "gopher_auth_validation_options_set_clock_skew", _i32, _ptr, _i64
        )
        self.gopher_auth_validation_options_set_time: Callable[[Any, int], int] = _bind(
            lib, "gopher_auth_validation_options_set_time", _i32, _ptr, _i64
        )
        # validation
        self.gopher_auth_validate_token: Callable[[Any, bytes, Any, Any], int] = _bind(
            lib, "gopher_auth_validate_token", _i32, _ptr, _str, _ptr, _addr
        )
        self.gopher_auth_validate_and_extract: Callable[[Any, bytes, Any, Any, Any], int] = _bind(
            lib,
            "gopher_auth_validate_and_extract",
            _i32,
            _ptr,
            _str,
            _ptr,
            _addr,
            _addr,
        )
        self.gopher_auth_extract_payload: Callable[[bytes, Any], int] = _bind(
            lib, "gopher_auth_extract_payload", _i32, _str, _out_ptr
        )
        # payload
        self.gopher_auth_payload_get_subject: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_subject", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_scopes: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_scopes", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_audience: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_audience", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_issuer: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_issuer", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_expiration: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_expiration", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_claims_json: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_claims_json", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_scopes_json: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_scopes_json", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_audience_json: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_audience_json", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_get_client_id: Callable[[Any, Any], int] = _bind(
            lib, "gopher_auth_payload_get_client_id", _i32, _ptr, _addr
        )
        self.gopher_auth_payload_destroy: Callable[[Any], int] = _bind(
            lib, "gopher_auth_payload_destroy", _i32, _ptr
        )
        # WWW-Authenticate
        self.gopher_auth_generate_www_authenticate: Callable[
            [bytes | None, bytes | None, bytes | None, Any], int
        ] = _bind(lib, "gopher_auth_generate_www_authenticate", _i32, _str, _str, _str, _out_ptr)
        self.gopher_auth_generate_www_authenticate_v2: Callable[
            [bytes | None, bytes | None, bytes | None, bytes | None, bytes | None, Any], int
        ] = _bind(
            lib,
            "gopher_auth_generate_www_authenticate_v2",
            _i32,
            _str,
            _str,
            _str,
            _str,
            _str,
            _out_ptr,
        )

    def last_error_message(self) -> str:
        """The calling thread's last native error message ("" when there is none)."""
        raw = self.gopher_auth_last_error_message()
        return raw.decode("utf-8", "replace") if raw else ""

    def check(self, code: int, action: str) -> None:
        """Raise the exception for ``code`` (with the native message) unless it is 0."""
        if code != 0:
            raise exception_for_code(code, self.last_error_message(), action)

    def failure(self, code: int, action: str) -> GopherAuthException:
        """The exception for a failed call, for callers that must clean up before raising."""
        return exception_for_code(code, self.last_error_message(), action)

    def take_string(self, pointer: int | None) -> str | None:
        """Copy a library-allocated string and release it; ``None`` for a NULL pointer."""
        if not pointer:
            return None
        try:
            return ctypes.string_at(pointer).decode("utf-8")
        finally:
            self.gopher_auth_free_string(pointer)


def encode_argument(value: str, name: str) -> bytes:
    """``value`` as the NUL-terminated UTF-8 a C string parameter needs.

    Raises:
        TypeError: ``value`` is not a ``str``.
        GopherInvalidParameterError: it holds a NUL character or is not encodable as UTF-8
            (C would silently cut a string at its first NUL).

    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if "\x00" in value:
        raise GopherInvalidParameterError(f"{name} contains a NUL character", INVALID_PARAMETER)
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise GopherInvalidParameterError(
            f"{name} is not valid Unicode text ({exc.reason})", INVALID_PARAMETER
        ) from None
