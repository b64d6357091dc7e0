r"""``WWW-Authenticate`` header values (RFC 6750 §3; MCP / RFC 9728 parameters), rendered natively.

Parameters are quoted-strings with ``"`` and ``\`` escaped; ``None`` or empty parameters are
left out; a parameter holding a control character or longer than 4096 bytes is rejected
(:class:`GopherInvalidParameterError`), so untrusted text can never split a header.
"""

from __future__ import annotations

import ctypes

from ._native import encode_argument
from .loader import get_auth_functions

__all__ = [
    "gopher_generate_www_authenticate_header",
    "gopher_generate_www_authenticate_header_v2",
]


def _optional(value: str | None, name: str) -> bytes | None:
    return None if value is None else encode_argument(value, name)


def gopher_generate_www_authenticate_header(
    realm: str | None = None,
    error: str | None = None,
    description: str | None = None,
) -> str:
    """``Bearer realm="…", error="…", error_description="…"`` (the value, without the name).

    Args:
        realm: the protection space, or ``None``.
        error: an RFC 6750 error code (``invalid_request``, ``invalid_token``,
            ``insufficient_scope``), or ``None`` for a request that carried no token.
        description: a human-readable ``error_description``, or ``None``.

    Raises:
        GopherInvalidParameterError: a parameter holds a control character, is too long, or
            ``error`` is not a valid error-code token (the message says which).

    """
    functions = get_auth_functions()
    out = ctypes.c_void_p()
    code = functions.gopher_auth_generate_www_authenticate(
        _optional(realm, "realm"),
        _optional(error, "error"),
        _optional(description, "description"),
        ctypes.byref(out),
    )
    value = functions.take_string(out.value)
    functions.check(code, "gopher_auth_generate_www_authenticate")
    return value or ""


def gopher_generate_www_authenticate_header_v2(
    realm: str | None = None,
    resource_metadata: str | None = None,
    scope: str | None = None,
    error: str | None = None,
    description: str | None = None,
) -> str:
    """``Bearer realm, resource_metadata, scope, error, error_description`` — MCP's challenge.

    Args:
        realm: the protection space, or ``None``.
        resource_metadata: the URL of the RFC 9728 protected-resource metadata document.
        scope: the space-separated scopes the client should request.
        error: an RFC 6750 error code, or ``None`` (no token was presented).
        description: a human-readable ``error_description``, or ``None``.

    Raises:
        GopherInvalidParameterError: as for :func:`gopher_generate_www_authenticate_header`.

    """
    functions = get_auth_functions()
    out = ctypes.c_void_p()
    code = functions.gopher_auth_generate_www_authenticate_v2(
        _optional(realm, "realm"),
        _optional(resource_metadata, "resource_metadata"),
        _optional(scope, "scope"),
        _optional(error, "error"),
        _optional(description, "description"),
        ctypes.byref(out),
    )
    value = functions.take_string(out.value)
    functions.check(code, "gopher_auth_generate_www_authenticate_v2")
    return value or ""
