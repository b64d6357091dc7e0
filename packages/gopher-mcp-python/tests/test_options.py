"""GopherValidationOptions against the real library."""

from __future__ import annotations

from typing import Any

import pytest

from gopher_mcp_python import (
    GopherAuthError,
    GopherHandleClosedError,
    GopherInvalidParameterError,
    GopherValidationOptions,
    gopher_create_validation_options,
)


def test_setters_chain_and_return_the_options(native_library: Any) -> None:
    options = gopher_create_validation_options()
    assert isinstance(options, GopherValidationOptions)
    same = (
        options.set_scopes(["mcp:read", "mcp:write"])
        .set_audience("https://mcp.example/mcp")
        .set_clock_skew(0)
        .set_time(1_767_225_600)
    )
    assert same is options
    assert "live" in repr(options)
    options.destroy()


@pytest.mark.parametrize("seconds", [-1, 86401, 2**40])
def test_out_of_range_clock_skew_raises_with_native_message(
    native_library: Any, seconds: int
) -> None:
    with GopherValidationOptions() as options:
        with pytest.raises(GopherInvalidParameterError) as caught:
            options.set_clock_skew(seconds)
        assert caught.value.code == GopherAuthError.INVALID_PARAMETER
        assert caught.value.native_message
        assert caught.value.native_message in str(caught.value)


def test_negative_time_is_rejected(native_library: Any) -> None:
    with GopherValidationOptions() as options, pytest.raises(GopherInvalidParameterError):
        options.set_time(-5)


def test_integers_must_be_integers_that_fit(native_library: Any) -> None:
    with GopherValidationOptions() as options:
        for bad in (1.5, "60", True, None):
            with pytest.raises(TypeError):
                options.set_clock_skew(bad)  # type: ignore[arg-type]
        with pytest.raises(GopherInvalidParameterError, match="64 bits"):
            options.set_time(2**64)


def test_scopes_must_be_a_list_of_single_scopes(native_library: Any) -> None:
    with GopherValidationOptions() as options:
        with pytest.raises(TypeError, match="list"):
            options.set_scopes("mcp:read")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            options.set_scopes([b"mcp:read"])  # type: ignore[list-item]
        for bad in (["mcp:read mcp:write"], [""], [" mcp:read"], ["a\tb"]):
            with pytest.raises(GopherInvalidParameterError):
                options.set_scopes(bad)
        with pytest.raises(GopherInvalidParameterError, match="NUL"):
            options.set_audience("https://a\x00b")
        options.set_scopes(iter(["generated"]))  # any iterable of str
        options.set_scopes([])


def test_destroy_is_idempotent_and_use_afterwards_raises(native_library: Any) -> None:
    options = GopherValidationOptions()
    options.destroy()
    options.destroy()
    assert options.is_destroyed
    assert "destroyed" in repr(options)
    calls = [
        lambda: options.set_scopes(["a"]),
        lambda: options.set_audience("a"),
        lambda: options.set_clock_skew(1),
        lambda: options.set_time(1),
        options.native_handle,
    ]
    for call in calls:
        with pytest.raises(GopherHandleClosedError, match="destroyed"):
            call()
    with pytest.raises(GopherHandleClosedError), options:
        pass


def test_context_manager_destroys(native_library: Any) -> None:
    with GopherValidationOptions() as options:
        options.set_audience("x")
    assert options.is_destroyed
