"""The value types: error codes match the C header, descriptions, results, payloads, contexts."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gopher_mcp_python import (
    ERROR_DESCRIPTIONS,
    GopherAuthContext,
    GopherAuthError,
    TokenPayload,
    ValidationResult,
    get_error_description,
    gopher_create_empty_auth_context,
    is_gopher_auth_error,
)


def header_error_codes(repo_root: Path) -> dict[str, int]:
    """``GOPHER_AUTH_…`` enumerators of ``native/include/gopher_auth.h`` and their values."""
    text = (repo_root / "native" / "include" / "gopher_auth.h").read_text()
    enum = text.split("typedef enum gopher_auth_error {")[1].split("}")[0]
    return {
        name.removeprefix("GOPHER_AUTH_ERROR_").removeprefix("GOPHER_AUTH_"): int(value)
        for name, value in re.findall(r"(GOPHER_AUTH_\w+)\s*=\s*(-?\d+)", enum)
    }


def test_error_codes_are_exactly_the_headers(repo_root: Path) -> None:
    assert {member.name: member.value for member in GopherAuthError} == header_error_codes(
        repo_root
    )


def test_every_code_has_a_description() -> None:
    assert set(ERROR_DESCRIPTIONS) == set(GopherAuthError)
    assert all(text and text[0].isupper() for text in ERROR_DESCRIPTIONS.values())
    assert get_error_description(-1003) == ERROR_DESCRIPTIONS[GopherAuthError.INVALID_ISSUER]
    assert get_error_description(GopherAuthError.SUCCESS) == "Success"
    assert get_error_description(-4242) == "Unknown error code -4242"


def test_is_gopher_auth_error() -> None:
    assert is_gopher_auth_error(GopherAuthError.EXPIRED_TOKEN)
    assert is_gopher_auth_error(-1016)
    assert not is_gopher_auth_error(0)
    assert not is_gopher_auth_error(-999)
    assert not is_gopher_auth_error(-1017)
    assert not is_gopher_auth_error(1000)


def test_validation_result() -> None:
    good = ValidationResult(True, GopherAuthError.SUCCESS)
    bad = ValidationResult(False, GopherAuthError.INVALID_AUDIENCE, "aud mismatch")
    odd = ValidationResult(False, -7, "unknown")
    assert good.error_message is None
    assert good.error is None
    assert bad.error is GopherAuthError.INVALID_AUDIENCE
    assert odd.error is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        bad.valid = True  # type: ignore[misc]


def test_token_payload_scopes() -> None:
    payload = TokenPayload("sub", "a b:c  d", "aud", 10, "iss")
    assert payload.claims == {}
    assert payload.scope_list == ["a", "b:c", "d"]
    assert payload.has_scope("b:c")
    assert not payload.has_scope("b")


def test_auth_contexts() -> None:
    empty = gopher_create_empty_auth_context()
    assert empty == GopherAuthContext()
    assert (empty.authenticated, empty.user_id, empty.scopes, empty.token_expiry) == (
        False,
        "",
        "",
        0,
    )
    assert empty is not gopher_create_empty_auth_context() or empty == GopherAuthContext()
    payload = TokenPayload("alice", "mcp:read", None, 99, "iss", {"sub": "alice"})
    context = GopherAuthContext.from_payload(payload)
    assert context == GopherAuthContext("alice", "mcp:read", "", 99, True, {"sub": "alice"})
    assert context.has_scope("mcp:read")
    assert context.scope_list == ["mcp:read"]
