"""The public names of DESIGN §4.1 exist where upstream had them and at the top level."""

from __future__ import annotations

import importlib

import pytest

import gopher_mcp_python
from gopher_mcp_python.ffi import auth

SECTION_4_1 = {
    "types": [
        "GopherAuthError",
        "ERROR_DESCRIPTIONS",
        "ValidationResult",
        "TokenPayload",
        "GopherAuthContext",
        "is_gopher_auth_error",
        "get_error_description",
        "gopher_create_empty_auth_context",
    ],
    "loader": [
        "load_library",
        "is_library_loaded",
        "get_library",
        "is_auth_available",
        "get_auth_functions",
    ],
    "validation_options": ["GopherValidationOptions", "gopher_create_validation_options"],
    "auth_client": ["GopherAuthClient"],
    "lifecycle": [
        "gopher_init_auth_library",
        "gopher_shutdown_auth_library",
        "gopher_get_auth_library_version",
        "gopher_is_auth_library_initialized",
    ],
    "www_authenticate": [
        "gopher_generate_www_authenticate_header",
        "gopher_generate_www_authenticate_header_v2",
    ],
}


@pytest.mark.parametrize("module_name", sorted(SECTION_4_1))
def test_names_are_exported_everywhere(module_name: str) -> None:
    module = importlib.import_module(f"gopher_mcp_python.ffi.auth.{module_name}")
    for name in SECTION_4_1[module_name]:
        assert name in module.__all__, name
        assert getattr(module, name) is getattr(auth, name) is getattr(gopher_mcp_python, name)
        assert name in auth.__all__
        assert name in gopher_mcp_python.__all__


def test_every_exported_name_exists_and_is_documented() -> None:
    for package in (gopher_mcp_python, auth):
        for name in package.__all__:
            value = getattr(package, name)
            if callable(value):
                assert value.__doc__, name


def test_version() -> None:
    assert gopher_mcp_python.__version__ == "0.2.0"
