"""Shared fixtures: real keys, a real loopback JWKS server, real clients of the real library.

The native library is found the way users find it (GOPHER_ORCH_LIBRARY_PATH, the platform
package, a development build of this checkout, the system path). If none is there, every test
fails with the loader's message — nothing is skipped or mocked.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gopher_mcp_python import (
    GopherAuthClient,
    GopherValidationOptions,
    NativeLibraryInfo,
    load_library,
)
from jose_mint import SigningKey, generate_key, jwks, mint
from jwks_server import JwksServer, serve_jwks

#: tests/frameworks needs one framework's packages per run: only the tox environments fw-<name>
#: (which set GOPHER_FRAMEWORK) collect it.
collect_ignore = [] if os.environ.get("GOPHER_FRAMEWORK") else ["frameworks"]

ISSUER = "https://idp.test.example/realms/mcp"
AUDIENCE = "https://mcp.test.example/mcp"
ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA")


def find_repo_root() -> Path:
    """The checkout holding this package (the directory with ``native/Cargo.toml``)."""
    for directory in Path(__file__).resolve().parents:
        if (directory / "native" / "Cargo.toml").is_file():
            return directory
    raise RuntimeError(f"no native/Cargo.toml above {Path(__file__).resolve()}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository checkout."""
    return find_repo_root()


@pytest.fixture(scope="session")
def native_library() -> NativeLibraryInfo:
    """The real native library (loading it; a failure fails the test)."""
    return load_library()


@pytest.fixture(scope="session")
def keys() -> dict[str, SigningKey]:
    """One signing key per algorithm of the policy."""
    return {alg: generate_key(alg, kid=f"{alg.lower()}-1") for alg in ALGORITHMS}


@pytest.fixture(scope="session")
def jwks_document(keys: dict[str, SigningKey]) -> dict[str, Any]:
    """The JWK Set of :func:`keys`."""
    return jwks(*keys.values())


@pytest.fixture(scope="session")
def jwks_server(jwks_document: dict[str, Any]) -> Iterator[JwksServer]:
    """A loopback HTTP server serving :func:`jwks_document`."""
    with serve_jwks(jwks_document) as server:
        yield server


def standard_claims(**overrides: Any) -> dict[str, Any]:
    """Good claims for ISSUER/AUDIENCE, valid for an hour; ``overrides`` replace or add."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "user-42",
        "aud": AUDIENCE,
        "iat": now - 10,
        "nbf": now - 10,
        "exp": now + 3600,
        "scope": "mcp:read mcp:write",
        "client_id": "test-client",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


@pytest.fixture
def token_for(keys: dict[str, SigningKey]) -> Any:
    """``token_for(alg="RS256", **claim_overrides)`` → a token signed by the test keys."""

    def make(alg: str = "RS256", **overrides: Any) -> str:
        return mint(keys[alg], standard_claims(**overrides))

    return make


@pytest.fixture
def client(
    native_library: NativeLibraryInfo, jwks_server: JwksServer
) -> Iterator[GopherAuthClient]:
    """A client of ISSUER fetching keys from the loopback JWKS server."""
    with GopherAuthClient(jwks_server.url, ISSUER) as created:
        yield created


@pytest.fixture
def options(native_library: NativeLibraryInfo) -> Iterator[GopherValidationOptions]:
    """Options requiring AUDIENCE."""
    with GopherValidationOptions() as created:
        created.set_audience(AUDIENCE)
        yield created
