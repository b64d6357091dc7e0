"""The Flask adapter, through Flask's test client (a real WSGI call)."""

from __future__ import annotations

import json

import pytest
from flask import Flask, Response, jsonify, request

from gopher_mcp_python.auth import Authenticator, current_auth_context
from gopher_mcp_python.auth.flask import FlaskAuth, current_flask_auth
from jose_mint import SigningKey, mint

from .conftest import ISSUER, RESOURCE, claims


@pytest.fixture
def app(authenticator: Authenticator) -> Flask:
    app = Flask(__name__)
    auth = FlaskAuth(authenticator)

    @app.post("/mcp")
    @auth.required
    def mcp() -> Response:
        ctx = current_flask_auth()
        assert ctx is not None
        assert current_auth_context() is ctx
        body = request.get_json()
        return jsonify(sub=ctx.subject, scopes=list(ctx.scopes), echo=body)

    @app.get("/open")
    def open_view() -> Response:
        return jsonify(auth=current_flask_auth() is not None)

    return app


def _call(tool: str) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}}


def test_valid_token_reaches_the_view_with_body_intact(app: Flask, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="alice", scope="mcp:read"))
    response = app.test_client().post(
        "/mcp", json=_call("get-forecast"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.get_json() == {
        "sub": "alice",
        "scopes": ["mcp:read"],
        "echo": _call("get-forecast"),
    }


def test_no_token_is_a_401_response(app: Flask) -> None:
    response = app.test_client().post("/mcp", json=_call("get-weather"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer resource_metadata="')
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json()["error"] == "unauthorized"


def test_two_authorization_headers_are_a_400(app: Flask, rs_key: SigningKey) -> None:
    """The WSGI layer joins repeated headers into one value, which is not one credential."""
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = app.test_client().post("/mcp", json=_call("get-weather"), headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_token_in_query_string_is_never_read(app: Flask, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    response = app.test_client().post(f"/mcp?access_token={token}", json=_call("get-weather"))
    assert response.status_code == 401
    assert "error=" not in response.headers["WWW-Authenticate"]


def test_token_in_form_body_is_never_read(app: Flask, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    response = app.test_client().post("/mcp", data={"access_token": token})
    assert response.status_code == 401


def test_step_up_403(app: Flask, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
    response = app.test_client().post(
        "/mcp", json=_call("get-weather-alerts"), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert json.loads(response.data)["scope"] == "mcp:read mcp:admin"


def test_oversized_body_is_413(app: Flask, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    response = app.test_client().post(
        "/mcp",
        data=b"x" * 2_000_000,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_context_does_not_leak_between_requests(app: Flask, rs_key: SigningKey) -> None:
    client = app.test_client()
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    assert (
        client.post("/mcp", json={}, headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert client.get("/open").get_json() == {"auth": False}
    assert current_auth_context() is None


def test_check_with_a_body_the_view_already_parsed(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    app = Flask(__name__)
    auth = FlaskAuth(authenticator)

    @app.post("/mcp")
    def mcp() -> Response:
        refusal = auth.check(request.get_json())
        if refusal is not None:
            return refusal
        ctx = current_flask_auth()
        assert ctx is not None
        return jsonify(sub=ctx.subject)

    client = app.test_client()
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="p", scope="mcp:read"))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/mcp", json=_call("get-forecast"), headers=headers).get_json() == {
        "sub": "p"
    }
    denied = client.post("/mcp", json=_call("get-weather-alerts"), headers=headers)
    assert denied.status_code == 403
