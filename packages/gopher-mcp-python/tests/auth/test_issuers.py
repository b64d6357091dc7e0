"""Several trusted issuers on one Authenticator, through the real engine and loopback JWKS
servers: each issuer's tokens verify only with its own keys, and unknown issuers cost no
request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gopher_mcp_python.auth import (
    AuthContext,
    Authenticator,
    Challenge,
    ResourceServerConfig,
    TrustedIssuer,
)
from jose_mint import generate_key, jwks, mint
from jwks_server import serve_jwks

from .conftest import RESOURCE, SERVER_URL, claims

V2 = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
V1 = "https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_each_issuer_verifies_with_its_own_keys_only() -> None:
    key_v2, key_v1 = generate_key("RS256", "same-kid"), generate_key("RS256", "same-kid")
    with serve_jwks(jwks(key_v2)) as s2, serve_jwks(jwks(key_v1)) as s1:
        config = ResourceServerConfig(
            server_url=SERVER_URL,
            issuers=(TrustedIssuer(V2, s2.url), TrustedIssuer(V1, s1.url)),
        )
        assert config.issuer == V2
        assert config.authorization_servers == (V2, V1)
        with Authenticator(config) as auth:
            for key, iss in ((key_v2, V2), (key_v1, V1)):
                context = auth.authenticate(_bearer(mint(key, claims(iss, RESOURCE))))
                assert isinstance(context, AuthContext), context
                assert context.issuer == iss
            # The same kid, the other issuer's key: never verifies.
            for key, iss in ((key_v2, V1), (key_v1, V2)):
                refused = auth.authenticate(_bearer(mint(key, claims(iss, RESOURCE))))
                assert isinstance(refused, Challenge)
                assert refused.status == 401
            before = (s2.request_count, s1.request_count)
            for i in range(50):
                foreign = generate_key("ES256", f"kid-{i}") if i == 0 else key_v2
                token = mint(foreign, claims(f"https://evil-{i}.example/", RESOURCE))
                refused = auth.authenticate(_bearer(token))
                assert isinstance(refused, Challenge)
                assert refused.status == 401
            assert (s2.request_count, s1.request_count) == before, "no request for unknown iss"


def test_a_static_jwks_serves_every_issuer_without_its_own() -> None:
    key = generate_key("ES256", "k")
    own = generate_key("ES256", "own")
    config = ResourceServerConfig(
        server_url=SERVER_URL,
        issuer="https://a.example/",
        issuers=(
            TrustedIssuer("https://b.example/"),
            TrustedIssuer("https://c.example/", jwks=json.dumps(jwks(own))),
        ),
        jwks=json.dumps(jwks(key)),
    )
    with Authenticator(config) as auth:
        for iss, signer, ok in (
            ("https://a.example/", key, True),
            ("https://b.example/", key, True),
            ("https://c.example/", own, True),
            ("https://c.example/", key, False),
        ):
            result = auth.authenticate(_bearer(mint(signer, claims(iss, RESOURCE))))
            assert isinstance(result, AuthContext) is ok, (iss, result)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "issuer is required"),
        ({"issuers": TrustedIssuer("https://a/", "https://a/j")}, "tuple of TrustedIssuer"),
        ({"issuers": ("https://a/",)}, "TrustedIssuer objects"),
        (
            {
                "issuer": "https://a/",
                "jwks_uri": "https://a/j",
                "issuers": (TrustedIssuer("https://a/", "https://a/k"),),
            },
            "trusted twice",
        ),
        ({"issuers": (TrustedIssuer("issuer-a"),)}, "discovered"),
        (
            {"jwks_uri": "https://a/j", "issuers": (TrustedIssuer("https://a/", "https://a/j"),)},
            "give issuer too",
        ),
    ],
)
def test_issuer_settings_are_checked(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ResourceServerConfig(server_url=SERVER_URL, **settings)  # type: ignore[arg-type]


def test_trusted_issuer_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        TrustedIssuer("")
    with pytest.raises(ValueError, match="jwks_uri"):
        TrustedIssuer("https://a/", "ftp://a/jwks")


@contextmanager
def _idp(routes: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """A loopback IdP serving JSON documents by path (404 otherwise); yields (base, requests)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            document = routes.get(self.path)
            body = json.dumps(document).encode() if document is not None else b"{}"
            self.send_response(200 if document is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_an_issuer_without_keys_is_discovered() -> None:
    key = generate_key("ES256", "disc")
    routes: dict[str, Any] = {}
    with _idp(routes) as (base, seen):
        issuer = base + "/realms/mcp"
        routes["/realms/mcp/.well-known/openid-configuration"] = {
            "issuer": issuer,
            "jwks_uri": issuer + "/certs",
        }
        routes["/realms/mcp/certs"] = jwks(key)
        config = ResourceServerConfig(server_url=SERVER_URL, issuer=issuer)
        assert config.jwks_uri == ""
        with Authenticator(config) as auth:
            assert seen == []
            context = auth.authenticate(_bearer(mint(key, claims(issuer, RESOURCE))))
            assert isinstance(context, AuthContext), context
            assert seen == ["/realms/mcp/.well-known/openid-configuration", "/realms/mcp/certs"]


def test_a_discovery_issuer_mismatch_is_a_server_error_not_a_401() -> None:
    key = generate_key("ES256", "disc")
    routes: dict[str, Any] = {}
    with _idp(routes) as (base, _):
        routes["/.well-known/openid-configuration"] = {
            "issuer": base + "/",  # the IdP's issuer has the trailing slash
            "jwks_uri": base + "/jwks",
        }
        routes["/jwks"] = jwks(key)
        config = ResourceServerConfig(server_url=SERVER_URL, issuers=(TrustedIssuer(base),))
        with Authenticator(config) as auth:
            result = auth.authenticate(_bearer(mint(key, claims(base, RESOURCE))))
            assert isinstance(result, Challenge)
            assert result.status == 500
