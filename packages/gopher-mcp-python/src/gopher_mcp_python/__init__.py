"""gopher-mcp-python: OAuth 2.1 for Model Context Protocol servers.

JWT access tokens are validated by gopher-orch, a native (Rust) engine loaded through ctypes
from the platform package installed with this one. The public API is that of
:mod:`gopher_mcp_python.ffi.auth`, re-exported here::

    from gopher_mcp_python import GopherAuthClient, GopherValidationOptions

    client = GopherAuthClient("https://idp.example.com/jwks", "https://idp.example.com/")
    options = GopherValidationOptions().set_audience("https://mcp.example.com/mcp")
    result, payload = client.validate_and_extract(token, options)

The resource-server layer (challenges, RFC 9728 metadata, framework adapters) lives in
:mod:`gopher_mcp_python.auth`.
"""

from ._version import __version__
from .ffi.auth import (
    ABI_VERSION,
    ERROR_DESCRIPTIONS,
    GopherAuthClient,
    GopherAuthContext,
    GopherAuthError,
    GopherAuthException,
    GopherHandleClosedError,
    GopherInvalidConfigError,
    GopherInvalidKeyError,
    GopherInvalidParameterError,
    GopherInvalidTokenError,
    GopherNotInitializedError,
    GopherValidationOptions,
    NativeLibraryError,
    NativeLibraryInfo,
    TokenPayload,
    ValidationResult,
    get_auth_functions,
    get_error_description,
    get_library,
    get_library_info,
    gopher_create_empty_auth_context,
    gopher_create_validation_options,
    gopher_generate_www_authenticate_header,
    gopher_generate_www_authenticate_header_v2,
    gopher_get_auth_library_version,
    gopher_init_auth_library,
    gopher_is_auth_library_initialized,
    gopher_shutdown_auth_library,
    is_auth_available,
    is_gopher_auth_error,
    is_library_loaded,
    load_library,
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
    "__version__",
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
