"""Nothing leaks: 100,000 validations through the Python API keep the process size flat."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from gopher_mcp_python import (
    GopherAuthClient,
    GopherValidationOptions,
    gopher_generate_www_authenticate_header_v2,
)

LIMIT_BYTES = 10 * 1024 * 1024


def rss_bytes() -> int:
    """The resident set size of this process."""
    if sys.platform.startswith("linux"):
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    if sys.platform == "darwin":
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS (peak)
    pytest.skip("RSS measurement is implemented for Linux and macOS")


def growth(action: Any, repeat: int, warm_up: int = 10_000) -> int:
    """RSS growth over ``repeat`` calls of ``action``, measured after ``warm_up`` calls."""
    for _ in range(warm_up):
        action()
    before = rss_bytes()
    for _ in range(repeat):
        action()
    return rss_bytes() - before


@pytest.mark.parametrize(
    "padding",
    [
        pytest.param(6_400, id="native-payload-every-call"),  # too big to be remembered
        pytest.param(200, id="remembered-claims"),
    ],
)
def test_validate_and_extract_100k_calls(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any, padding: int
) -> None:
    token = token_for("ES256", extra={"roles": ["a", "b"], "tenant": "t" * padding})

    def call() -> None:
        result, payload = client.validate_and_extract(token, options)
        assert payload is not None
        assert result.valid

    assert growth(call, 100_000) < LIMIT_BYTES


def test_failure_paths_do_not_leak(
    client: GopherAuthClient, options: GopherValidationOptions, token_for: Any
) -> None:
    wrong_audience = token_for("EdDSA", aud="https://elsewhere.example")
    expired = token_for("RS256", exp=1_000)

    def call() -> None:
        assert client.validate_and_extract(wrong_audience, options)[1] is None
        assert not client.validate_token(expired, options).valid
        assert client.extract_payload(expired).expiration == 1_000
        gopher_generate_www_authenticate_header_v2(
            "mcp", "https://mcp.example/rm", "mcp:read", "invalid_token", "expired"
        )

    assert growth(call, 30_000, warm_up=3_000) < LIMIT_BYTES


def test_create_and_destroy_100k_handles(native_library: Any) -> None:
    def call() -> None:
        client = GopherAuthClient("", "https://issuer.example/")
        options = GopherValidationOptions().set_scopes(["a", "b"])
        options.destroy()
        client.destroy()

    assert growth(call, 20_000, warm_up=2_000) < LIMIT_BYTES
