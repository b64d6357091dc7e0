"""ctypes binding of gopher-orch, the native JWT access-token engine (``gopher_auth_*`` C ABI).

Public names (upstream's API):

- types: :class:`GopherAuthError`, :data:`ERROR_DESCRIPTIONS`, :class:`ValidationResult`,
  :class:`TokenPayload`, :class:`GopherAuthContext`, :func:`is_gopher_auth_error`,
  :func:`get_error_description`, :func:`gopher_create_empty_auth_context`;
- loader: :func:`load_library`, :func:`is_library_loaded`, :func:`get_library`,
  :func:`is_auth_available`, :func:`get_auth_functions`;
- :class:`GopherValidationOptions`, :func:`gopher_create_validation_options`;
- :class:`GopherAuthClient`;
- :func:`gopher_init_auth_library`, :func:`gopher_shutdown_auth_library`,
  :func:`gopher_get_auth_library_version`, :func:`gopher_is_auth_library_initialized`,
  :func:`gopher_generate_www_authenticate_header`,
  :func:`gopher_generate_www_authenticate_header_v2`;
- exceptions: :class:`GopherAuthException` and its subclasses (see :mod:`.errors`).
"""

from ._native import ABI_VERSION
from .auth_client import GopherAuthClient
from .errors import (
    GopherAuthException,
    GopherHandleClosedError,
    GopherInvalidConfigError,
    GopherInvalidKeyError,
    GopherInvalidParameterError,
    GopherInvalidTokenError,
    GopherNotInitializedError,
    NativeLibraryError,
)
from .lifecycle import (
    gopher_get_auth_library_version,
    gopher_init_auth_library,
    gopher_is_auth_library_initialized,
    gopher_shutdown_auth_library,
)
from .loader import (
    NativeLibraryInfo,
    get_auth_functions,
    get_library,
    get_library_info,
    is_auth_available,
    is_library_loaded,
    load_library,
)
from .types import (
    ERROR_DESCRIPTIONS,
    GopherAuthContext,
    GopherAuthError,
    TokenPayload,
    ValidationResult,
    get_error_description,
    gopher_create_empty_auth_context,
    is_gopher_auth_error,
)
from .validation_options import GopherValidationOptions, gopher_create_validation_options
from .www_authenticate import (
    gopher_generate_www_authenticate_header,
    gopher_generate_www_authenticate_header_v2,
)

__all__ = [
    "ABI_VERSION",
    "ERROR_DESCRIPTIONS",
    "GopherAuthClient",
    "GopherAuthContext",
    "GopherAuthError",
    "GopherAuthException",
    "GopherHandleClosedError",
    "GopherInvalidConfigError",
    "GopherInvalidKeyError",
    "GopherInvalidParameterError",
    "GopherInvalidTokenError",
    "GopherNotInitializedError",
    "GopherValidationOptions",
    "NativeLibraryError",
    "NativeLibraryInfo",
    "TokenPayload",
    "ValidationResult",
    "get_auth_functions",
    "get_error_description",
    "get_library",
    "get_library_info",
    "gopher_create_empty_auth_context",
    "gopher_create_validation_options",
    "gopher_generate_www_authenticate_header",
    "gopher_generate_www_authenticate_header_v2",
    "gopher_get_auth_library_version",
    "gopher_init_auth_library",
    "gopher_is_auth_library_initialized",
    "gopher_shutdown_auth_library",
    "is_auth_available",
    "is_gopher_auth_error",
    "is_library_loaded",
    "load_library",
]
