"""Session ↔ principal binding, and the scope policy's path rules."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from gopher_mcp_python.auth import AuthContext, Authenticator, Challenge, ScopePolicy
from gopher_mcp_python.auth.scopes import canonical_path
from gopher_mcp_python.auth.sessions import SessionBinding
from gopher_mcp_python.auth.wsgi import AuthMiddleware
from jose_mint import SigningKey, mint

from .conftest import ISSUER, RESOURCE, claims, make_config


def _context(sub: str, issuer: str = ISSUER, client_id: str = "") -> AuthContext:
    return AuthContext(sub, (), {}, 0, issuer, (), client_id)


def test_a_session_belongs_to_the_principal_that_opened_it() -> None:
    sessions = SessionBinding()
    sessions.bind("s-1", _context("alice"))
    assert sessions.allows("s-1", _context("alice"))
    assert not sessions.allows("s-1", _context("bob"))
    assert not sessions.allows("s-1", _context("alice", issuer="https://other/"))
    assert sessions.allows("unknown", _context("bob"))  # the application decides
    assert sessions.allows(None, _context("bob"))
    sessions.bind("s-1", _context("bob"))  # the first record stays
    assert not sessions.allows("s-1", _context("bob"))
    sessions.bind("s-2", _context("", client_id="svc"))
    assert sessions.allows("s-2", _context("", client_id="svc"))
    assert not sessions.allows("s-2", _context("", client_id="other"))


def test_session_records_are_bounded() -> None:
    sessions = SessionBinding(max_sessions=3)
    for i in range(10):
        sessions.bind(f"s-{i}", _context("alice"))
    assert len(sessions) == 3
    sessions.bind("x" * 10_000, _context("alice"))  # not a session id: not recorded
    assert len(sessions) == 3
    with pytest.raises(ValueError, match="at least 1"):
        SessionBinding(max_sessions=0)


def _session_app(environ: dict[str, object], start_response: object) -> list[bytes]:
    headers = [("Content-Type", "application/json")]
    if environ.get("HTTP_MCP_SESSION_ID") is None:
        headers.append(("Mcp-Session-Id", "sess-1"))
    start_response("200 OK", headers)  # type: ignore[operator]
    return [b"{}"]


def test_wsgi_binds_the_session_it_hands_out(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    client = Client(AuthMiddleware(_session_app, authenticator))
    alice = mint(rs_key, claims(ISSUER, RESOURCE, sub="alice"))
    alice_again = mint(rs_key, claims(ISSUER, RESOURCE, sub="alice", jti="refreshed"))
    bob = mint(rs_key, claims(ISSUER, RESOURCE, sub="bob"))
    opened = client.post("/mcp", data="{}", headers={"Authorization": f"Bearer {alice}"})
    assert opened.headers["Mcp-Session-Id"] == "sess-1"
    in_session = {"Mcp-Session-Id": "sess-1"}
    refused = client.post(
        "/mcp", data="{}", headers={**in_session, "Authorization": f"Bearer {bob}"}
    )
    assert refused.status_code == 404
    assert json.loads(refused.data)["error"] == "invalid_session"
    kept = client.post(
        "/mcp", data="{}", headers={**in_session, "Authorization": f"Bearer {alice_again}"}
    )
    assert kept.status_code == 200


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/", "/"),
        ("", "/"),
        ("//api//admin/", "/api/admin"),
        ("/api/./admin", "/api/admin"),
        ("/api/x/../admin", "/api/admin"),
        ("/../../api/admin", "/api/admin"),
        ("/api/admin;x", "/api/admin;x"),
    ],
)
def test_canonical_path(path: str, canonical: str) -> None:
    assert canonical_path(path) == canonical


def test_path_rules_apply_to_every_spelling_and_below() -> None:
    policy = ScopePolicy(default="a", paths={"/api/admin/": "admin", "/api": "api"})
    for path in ("/api/admin", "//api/admin", "/api/x/../admin", "/api/admin/users"):
        assert set(policy.required_scopes(None, path)) == {"a", "api", "admin"}, path
    assert set(policy.required_scopes(None, "/api/adminx")) == {"a", "api"}
    assert policy.required_scopes(None, "/other") == ("a",)
    assert policy.required_scopes(None) == ("a",)  # no path given: no path rule
    assert "admin" in policy.all_scopes()
    with pytest.raises(ValueError, match="start with '/'"):
        ScopePolicy(paths={"api": "x"})


def test_path_rules_reach_the_authenticator(jwks_server: object, rs_key: SigningKey) -> None:
    config = make_config(
        jwks_server.url, scope_policy=ScopePolicy(paths={"/api/admin": "mcp:admin"})
    )  # type: ignore[attr-defined]
    with Authenticator(config) as auth:
        token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
        headers = {"Authorization": f"Bearer {token}"}
        refused = auth.authenticate(headers, path="//api/admin/")
        assert isinstance(refused, Challenge)
        assert refused.status == 403
        assert isinstance(auth.authenticate(headers, path="/api/other"), AuthContext)
