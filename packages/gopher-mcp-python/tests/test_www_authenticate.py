"""WWW-Authenticate rendering through the native library."""

from __future__ import annotations

from typing import Any

import pytest

from gopher_mcp_python import (
    GopherAuthError,
    GopherInvalidParameterError,
    gopher_generate_www_authenticate_header,
    gopher_generate_www_authenticate_header_v2,
)


def test_v1_renders_rfc6750_parameters(native_library: Any) -> None:
    value = gopher_generate_www_authenticate_header("mcp", "invalid_token", "The token expired")
    assert (
        value == 'Bearer realm="mcp", error="invalid_token", error_description="The token expired"'
    )


def test_v1_omits_none_and_empty_parameters(native_library: Any) -> None:
    assert gopher_generate_www_authenticate_header("mcp") == 'Bearer realm="mcp"'
    assert gopher_generate_www_authenticate_header("", "invalid_request", None) == (
        'Bearer error="invalid_request"'
    )
    assert gopher_generate_www_authenticate_header() == "Bearer"


def test_v2_renders_mcp_parameters_in_order(native_library: Any) -> None:
    value = gopher_generate_www_authenticate_header_v2(
        realm="mcp",
        resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp",
        scope="mcp:read mcp:admin",
        error="insufficient_scope",
        description='needs "mcp:admin" \\ admin',
    )
    assert value == (
        'Bearer realm="mcp", '
        'resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", '
        'scope="mcp:read mcp:admin", error="insufficient_scope", '
        'error_description="needs \\"mcp:admin\\" \\\\ admin"'
    )
    assert (
        gopher_generate_www_authenticate_header_v2(
            resource_metadata="https://m.example/rm", scope="mcp:read"
        )
        == 'Bearer resource_metadata="https://m.example/rm", scope="mcp:read"'
    )


@pytest.mark.parametrize("bad", ["line\r\nSet-Cookie: x=1", "tab\there", "del\x7f", "x" * 5000])
def test_header_injection_and_oversize_are_rejected(native_library: Any, bad: str) -> None:
    with pytest.raises(GopherInvalidParameterError) as caught:
        gopher_generate_www_authenticate_header_v2("mcp", None, None, "invalid_token", bad)
    assert caught.value.code == GopherAuthError.INVALID_PARAMETER
    assert caught.value.native_message


def test_error_must_be_an_error_code_token(native_library: Any) -> None:
    with pytest.raises(GopherInvalidParameterError) as caught:
        gopher_generate_www_authenticate_header("mcp", 'invalid"token', None)
    assert caught.value.native_message


def test_nul_is_rejected_before_c(native_library: Any) -> None:
    with pytest.raises(GopherInvalidParameterError, match="NUL"):
        gopher_generate_www_authenticate_header("mcp\x00evil")
