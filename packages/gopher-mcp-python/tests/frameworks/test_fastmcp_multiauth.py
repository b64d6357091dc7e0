"""fastmcp's ``MultiAuth`` with two of our verifiers, one per identity provider (fw-fastmcp)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from jose_mint import SigningKey, generate_key, jwks, mint
from jwks_server import JwksServer, serve_jwks

pytestmark = pytest.mark.skipif(
    os.environ.get("GOPHER_FRAMEWORK") != "fastmcp", reason="fastmcp runs in tox -e fw-fastmcp"
)

BASE = "http://127.0.0.1:8931"


def _claims(issuer: str, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": issuer, "sub": "u", "aud": BASE + "/mcp", "iat": now, "exp": now + 60, **extra}


@pytest.fixture(scope="module")
def idps() -> Iterator[tuple[tuple[SigningKey, JwksServer], tuple[SigningKey, JwksServer]]]:
    a, b = generate_key("RS256", "a-1"), generate_key("ES256", "b-1")
    with serve_jwks(jwks(a)) as keys_a, serve_jwks(jwks(b)) as keys_b:
        yield (a, keys_a), (b, keys_b)


def test_named_verifiers_each_accept_their_own_issuer(
    idps: tuple[tuple[SigningKey, JwksServer], tuple[SigningKey, JwksServer]],
) -> None:
    from fastmcp.server.auth import MultiAuth

    from gopher_mcp_python.auth.fastmcp import GopherJWTVerifier

    (key_a, jwks_a), (key_b, jwks_b) = idps
    verifiers = {
        "idp-a": GopherJWTVerifier(jwks_uri=jwks_a.url, issuer="https://a.test/", base_url=BASE),
        "idp-b": GopherJWTVerifier(jwks_uri=jwks_b.url, issuer="https://b.test/", base_url=BASE),
    }
    for verifier in verifiers.values():
        verifier.set_mcp_path("/mcp")
    multi = MultiAuth(verifiers=verifiers, base_url=BASE)

    async def verify(token: str) -> Any:
        return await multi.verify_token(token)

    from_a = anyio.run(verify, mint(key_a, _claims("https://a.test/", client_id="ca")))
    from_b = anyio.run(verify, mint(key_b, _claims("https://b.test/", client_id="cb")))
    assert from_a is not None
    assert from_a.subject == "u"
    assert from_b is not None
    assert from_b.subject == "u"
    # a token naming issuer b but signed with a's key: b's keys do not verify it, a's issuer differs
    assert anyio.run(verify, mint(key_a, _claims("https://b.test/"))) is None
    assert anyio.run(verify, mint(key_a, _claims("https://c.test/"))) is None


def test_the_fastmcp_verifier_accepts_an_opaque_token_by_introspection(
    idps: tuple[tuple[SigningKey, JwksServer], tuple[SigningKey, JwksServer]],
) -> None:
    # Issue "Opaque access tokens": fastmcp's verifier goes through the same Authenticator, so
    # an opaque token is introspected (once: the answer is cached) and a refused one is None.
    from gopher_mcp_python.auth import Authenticator, Introspection, ResourceServerConfig
    from gopher_mcp_python.auth.fastmcp import GopherJWTVerifier
    from introspection_server import serve_introspection

    (_, jwks_a), _ = idps
    issuer = "https://a.test/"

    def answer(form: dict[str, str]) -> dict[str, Any]:
        if form.get("token") != "opaque-token-1":
            return {"active": False}
        return {**_claims(issuer, client_id="cli", scope="mcp:read"), "active": True}

    with serve_introspection(answer) as endpoint:
        config = ResourceServerConfig(
            server_url=BASE,
            issuer=issuer,
            jwks_uri=jwks_a.url,
            introspection=Introspection(
                endpoint=endpoint.url,
                client_id="rs",
                client_secret="rs-secret-1",  # noqa: S106
            ),
        )
        with Authenticator(config) as authenticator:
            verifier = GopherJWTVerifier(authenticator=authenticator)

            async def verify(token: str) -> Any:
                return await verifier.verify_token(token)

            for _ in range(3):
                access = anyio.run(verify, "opaque-token-1")
                assert access is not None
                assert (access.client_id, access.scopes) == ("cli", ["mcp:read"])
            assert anyio.run(verify, "opaque-token-2") is None
            assert endpoint.request_count == 2  # one per distinct token, then the cache
