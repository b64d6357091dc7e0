"""Exceptions raised by the gopher-orch auth binding.

Validation verdicts are *not* exceptions: a bad token yields a
:class:`~gopher_mcp_python.ffi.auth.types.ValidationResult` with ``valid=False``. Exceptions
signal misuse, misconfiguration or an unusable native library, and always carry the native
library's own message when there is one.

Hierarchy::

    GopherAuthException                  any failure of this binding (.code, .native_message)
    ├── NativeLibraryError               the native library cannot be found, loaded or trusted
    ├── GopherHandleClosedError          a destroyed client or options object was used
    ├── GopherNotInitializedError        NOT_INITIALIZED: call gopher_init_auth_library()
    ├── GopherInvalidParameterError      INVALID_PARAMETER (also a ValueError)
    ├── GopherInvalidConfigError         INVALID_CONFIG (also a ValueError)
    ├── GopherInvalidKeyError            INVALID_KEY: no usable key in a JWK Set (a ValueError)
    └── GopherInvalidTokenError          a token that cannot even be decoded (extract_payload)
"""

from __future__ import annotations

from .types import GopherAuthError, as_error_code, get_error_description

__all__ = [
    "GopherAuthException",
    "GopherHandleClosedError",
    "GopherInvalidConfigError",
    "GopherInvalidKeyError",
    "GopherInvalidParameterError",
    "GopherInvalidTokenError",
    "GopherNotInitializedError",
    "NativeLibraryError",
    "exception_for_code",
]


class GopherAuthException(Exception):  # noqa: N818 - the base of a family, named for it
    """Base class of every exception of the gopher-orch auth binding.

    Attributes:
        code: the native error code (a :class:`GopherAuthError` when known), or ``None`` when
            the failure did not come from a native call.
        native_message: the native library's description of the failure, verbatim ("" if none).

    """

    def __init__(self, message: str, code: int | None = None, native_message: str = "") -> None:
        super().__init__(message)
        self.code: int | None = code
        self.native_message: str = native_message


class NativeLibraryError(GopherAuthException):
    """The native library could not be found, loaded, or is not one this binding can use."""


class GopherHandleClosedError(GopherAuthException):
    """A client or validation-options object was used after ``destroy()``."""


class GopherNotInitializedError(GopherAuthException):
    """The native library is not initialised (``gopher_shutdown_auth_library()`` was called)."""


class GopherInvalidParameterError(GopherAuthException, ValueError):
    """An argument was rejected (NULL, not UTF-8, a NUL byte, out of range, …)."""


class GopherInvalidConfigError(GopherAuthException, ValueError):
    """A client configuration value was rejected (unknown option, malformed value, bad URL…)."""


class GopherInvalidKeyError(GopherAuthException, ValueError):
    """A JWK Set was rejected: not a JWK Set, too large, or without any usable key."""


class GopherInvalidTokenError(GopherAuthException):
    """A token could not be decoded at all (only raised by ``extract_payload``)."""


_BY_CODE: dict[int, type[GopherAuthException]] = {
    GopherAuthError.NOT_INITIALIZED: GopherNotInitializedError,
    GopherAuthError.INVALID_PARAMETER: GopherInvalidParameterError,
    GopherAuthError.INVALID_CONFIG: GopherInvalidConfigError,
    GopherAuthError.INVALID_KEY: GopherInvalidKeyError,
    GopherAuthError.INVALID_TOKEN: GopherInvalidTokenError,
}


def exception_for_code(code: int, native_message: str, action: str) -> GopherAuthException:
    """The exception for a failed native call.

    The message reads ``"<action> failed: <native message> (<CODE NAME>)"``; the native message
    is kept verbatim. When the library gave no message the code's description stands in.
    """
    typed = as_error_code(code)
    name = typed.name if isinstance(typed, GopherAuthError) else str(code)
    detail = native_message or get_error_description(code)
    cls = _BY_CODE.get(code, GopherAuthException)
    return cls(f"{action} failed: {detail} ({name})", typed, native_message)
