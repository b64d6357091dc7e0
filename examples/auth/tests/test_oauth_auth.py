"""Authentication on /mcp with auth ON: real RS256/ES256 tokens, JWKS over loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import ConfigError, ServerConfig, load_config
from py_auth_mcp_server.dev_idp import JwtSigner

from .conftest import (
    MCP_HEADERS,
    METADATA_URL,
    SECRET,
    LoopbackIdp,
    Minter,
    auth_headers,
    free_port,
    rpc,
    tool_call,
    write_config,
)

WEATHER = tool_call("get-weather", {"city": "Oslo"})
ALERTS = tool_call("get-weather-alerts", {"region": "Oslo"})
FORECAST = tool_call("get-forecast", {"city": "Oslo"})


def invalid_token_header(description: str) -> str:
    return (
        f'Bearer resource_metadata="{METADATA_URL}", '
        f'error="invalid_token", error_description="{description}"'
    )


def test_no_token(client: FlaskClient) -> None:
    response = client.post("/mcp", json=WEATHER, headers=MCP_HEADERS)
    assert response.status_code == 401
    # Least privilege: get-weather needs no scope, so the challenge names none.
    assert response.headers["WWW-Authenticate"] == f'Bearer resource_metadata="{METADATA_URL}"'
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "error": "unauthorized",
        "error_description": "This resource needs a Bearer access token in the Authorization "
        "header; see resource_metadata in WWW-Authenticate.",
    }


def test_no_token_for_a_scoped_tool_names_its_scope(client: FlaskClient) -> None:
    response = client.post("/mcp", json=ALERTS, headers=MCP_HEADERS)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer resource_metadata="{METADATA_URL}", scope="mcp:admin"'
    )


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_valid_token(client: FlaskClient, mint: Minter, es_signer: JwtSigner, alg: str) -> None:
    token = mint(signer=es_signer if alg == "ES256" else None)
    response = client.post("/mcp", json=WEATHER, headers=auth_headers(token))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == 1
    assert body["result"]["structuredContent"]["city"] == "Oslo"


@pytest.mark.parametrize(
    ("kind", "description"),
    [
        ("expired", "The access token has expired or is not valid yet."),
        ("foreign_issuer", "The access token was not issued by the trusted authorization server."),
        ("wrong_audience", "The access token was not issued for this resource."),
        ("no_audience", "The access token is malformed or invalid."),
        ("forged", "The access token's signature does not verify."),
        ("garbage", "The access token is malformed or invalid."),
    ],
)
def test_bad_tokens_are_401_invalid_token(
    client: FlaskClient, mint: Minter, kind: str, description: str
) -> None:
    tokens: dict[str, Callable[[], str]] = {
        "expired": lambda: mint(lifetime=-3600),
        "foreign_issuer": lambda: mint(iss="https://evil.example"),
        "wrong_audience": lambda: mint(aud="http://127.0.0.1:3001/other"),
        "no_audience": lambda: mint(aud=None),
        "forged": lambda: mint(signer=JwtSigner("RS256", kid="rs-test")),
        "garbage": lambda: "abc.def.ghi",
    }
    response = client.post("/mcp", json=WEATHER, headers=auth_headers(tokens[kind]()))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == invalid_token_header(description)
    assert response.get_json() == {"error": "invalid_token", "error_description": description}


def test_token_in_query_string_is_ignored(client: FlaskClient, mint: Minter) -> None:
    response = client.post(f"/mcp?access_token={mint()}", json=WEATHER, headers=MCP_HEADERS)
    assert response.status_code == 401
    assert "error=" not in response.headers["WWW-Authenticate"]


def test_two_credentials_are_400(client: FlaskClient, mint: Minter) -> None:
    token = mint()
    response = client.post(
        "/mcp",
        json=WEATHER,
        headers={**MCP_HEADERS, "Authorization": f"Bearer {token}, Bearer {token}"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]


def test_step_up_403_before_the_tool_runs(client: FlaskClient, mint: Minter) -> None:
    response = client.post("/mcp", json=ALERTS, headers=auth_headers(mint("openid mcp:read")))
    assert response.status_code == 403
    # The granted scopes (all known here) are kept, the missing one added.
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer resource_metadata="{METADATA_URL}", scope="openid mcp:read mcp:admin", '
        'error="insufficient_scope", error_description="This request needs the scope(s): '
        'mcp:admin"'
    )
    assert response.get_json() == {
        "error": "insufficient_scope",
        "error_description": "This request needs the scope(s): mcp:admin",
        "scope": "openid mcp:read mcp:admin",
    }


def test_forecast_needs_read(client: FlaskClient, mint: Minter) -> None:
    denied = client.post("/mcp", json=FORECAST, headers=auth_headers(mint("mcp:admin")))
    assert denied.status_code == 403
    assert 'scope="mcp:admin mcp:read"' in denied.headers["WWW-Authenticate"]  # kept + missing
    allowed = client.post("/mcp", json=FORECAST, headers=auth_headers(mint("mcp:read")))
    assert allowed.status_code == 200
    assert len(allowed.get_json()["result"]["structuredContent"]["days"]) == 3


def test_admin_scope_allows_alerts(client: FlaskClient, mint: Minter) -> None:
    response = client.post("/mcp", json=ALERTS, headers=auth_headers(mint("mcp:admin")))
    assert response.status_code == 200
    assert response.get_json()["result"]["structuredContent"]["region"] == "Oslo"


def test_tools_list_needs_only_a_valid_token(client: FlaskClient, mint: Minter) -> None:
    response = client.post("/mcp", json=rpc("tools/list"), headers=auth_headers(mint()))
    assert response.status_code == 200
    assert [t["name"] for t in response.get_json()["result"]["tools"]] == [
        "get-weather",
        "get-forecast",
        "get-weather-alerts",
    ]


def test_batch_scope_is_the_union(client: FlaskClient, mint: Minter) -> None:
    batch = [
        tool_call("get-forecast", {"city": "a"}, 1),
        tool_call("get-weather-alerts", {"region": "a"}, 2),
    ]
    response = client.post("/mcp", json=batch, headers=auth_headers(mint("mcp:read")))
    assert response.status_code == 403
    assert 'scope="mcp:read mcp:admin"' in response.headers["WWW-Authenticate"]


def test_unreachable_jwks_is_503_not_401(tmp_path: Path, idp: LoopbackIdp, mint: Minter) -> None:
    path = write_config(
        tmp_path, idp, f"jwks_uri = http://127.0.0.1:{free_port()}/jwks\nhealth_details = true\n"
    )
    text = path.read_text().replace(f"jwks_uri = {idp.jwks_uri}\n", "")
    path.write_text(text)
    app = create_app(config=load_config(path))
    try:
        client = app.test_client()
        response = client.post("/mcp", json=WEATHER, headers=auth_headers(mint()))
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert "WWW-Authenticate" not in response.headers
        assert response.get_json()["error"] == "temporarily_unavailable"
        health = client.get("/health").get_json()
        assert health["status"] == "degraded"
        assert health["auth"]["jwks"]["state"] == "unavailable"
    finally:
        cleanup_app(app)


def test_jwks_500_is_503(tmp_path: Path, idp: LoopbackIdp, mint: Minter) -> None:
    idp.jwks_status = 500
    app = create_app(config=load_config(write_config(tmp_path, idp)))
    try:
        response = app.test_client().post("/mcp", json=WEATHER, headers=auth_headers(mint()))
        assert response.status_code == 503
    finally:
        cleanup_app(app)


def test_contexts_are_per_request(client: FlaskClient, mint: Minter) -> None:
    admin = mint("mcp:admin", sub="admin-user")
    plain = mint(sub="plain-user")
    assert client.post("/mcp", json=ALERTS, headers=auth_headers(admin)).status_code == 200
    assert client.post("/mcp", json=ALERTS, headers=auth_headers(plain)).status_code == 403
    assert client.post("/mcp", json=ALERTS, headers=auth_headers(admin)).status_code == 200


def test_fail_closed_without_idp_config() -> None:
    with pytest.raises(ConfigError, match="authentication is on but issuer and jwks_uri"):
        create_app(config=load_config(None))


def test_no_auth_warns_loudly(capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(config=load_config(None, no_auth=True))
    try:
        assert "AUTHENTICATION IS DISABLED" in capsys.readouterr().err
        response = app.test_client().post("/mcp", json=ALERTS, headers=MCP_HEADERS)
        assert response.status_code == 200
        assert app.test_client().get("/.well-known/oauth-protected-resource").status_code == 404
    finally:
        cleanup_app(app)


def test_auth_disabled_key_in_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "server.config"
    path.write_text("auth_disabled = true\n")
    app = create_app(path)
    cleanup_app(app)
    assert "AUTHENTICATION IS DISABLED" in capsys.readouterr().err


def test_missing_native_library_never_turns_auth_off(config: ServerConfig, tmp_path: Path) -> None:
    config_path = tmp_path / "server.config"
    code = (
        "import sys\nfrom py_auth_mcp_server.app import create_app\n"
        f"create_app({str(config_path)!r})\nprint('STARTED')\n"
    )
    env = {**os.environ, "GOPHER_ORCH_LIBRARY_PATH": str(tmp_path / "missing-libgopher.so")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "STARTED" not in result.stdout
    assert "missing-libgopher.so" in result.stderr
    assert "AUTHENTICATION IS DISABLED" not in result.stderr


def test_metadata_documents(client: FlaskClient, idp: LoopbackIdp) -> None:
    for path in (
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ):
        response = client.get(path)
        assert response.status_code == 200
        assert response.get_json() == {
            "resource": "http://127.0.0.1:3001/mcp",
            "authorization_servers": [idp.issuer],
            "bearer_methods_supported": ["header"],
            # mcp:admin is a step-up scope: not advertised, asked for by a 403.
            "scopes_supported": ["openid", "profile", "email", "mcp:read"],
            "resource_name": "Weather MCP server (gopher-mcp-python example)",
        }
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.get_json() == idp.metadata()


def test_authorize_redirects_to_the_idp(client: FlaskClient, idp: LoopbackIdp) -> None:
    response = client.get("/oauth/authorize?response_type=code&client_id=abc&state=x%20y")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"{idp.issuer}/authorize?response_type=code&client_id=abc&state=x%20y"
    )


def test_register_is_forwarded(client: FlaskClient, idp: LoopbackIdp) -> None:
    response = client.post("/oauth/register", json={"redirect_uris": ["http://127.0.0.1:9/cb"]})
    assert response.status_code == 201
    assert response.get_json() == {
        "client_id": "registered-1",
        "redirect_uris": ["http://127.0.0.1:9/cb"],
    }
    assert idp.registrations == [{"redirect_uris": ["http://127.0.0.1:9/cb"]}]


@pytest.mark.parametrize(
    ("idp_status", "status", "error"),
    [(400, 400, ""), (500, 502, "temporarily_unavailable"), (302, 502, "server_error")],
)
def test_register_relays_client_errors_only(
    client: FlaskClient, idp: LoopbackIdp, idp_status: int, status: int, error: str
) -> None:
    idp.registration_status = idp_status
    response = client.post("/oauth/register", json={"redirect_uris": ["http://127.0.0.1:9/cb"]})
    assert response.status_code == status
    if status == 502:
        assert response.get_json() == {
            "error": error,
            "error_description": "The authorization server's registration endpoint answered "
            f"HTTP {idp_status}.",
        }


def test_register_without_idp_support(tmp_path: Path, rs_signer: JwtSigner) -> None:
    idp = LoopbackIdp([rs_signer], registration=False)
    app = create_app(config=load_config(write_config(tmp_path, idp)))
    try:
        response = app.test_client().post("/oauth/register", json={"redirect_uris": []})
        assert response.status_code == 501
        assert response.get_json() == {
            "error": "registration_not_supported",
            "error_description": "The authorization server offers no dynamic client "
            "registration; register a client with it directly.",
        }
    finally:
        cleanup_app(app)
        idp.close()


def test_secret_never_leaves_the_server(client: FlaskClient, mint: Minter) -> None:

    token = mint("mcp:read mcp:admin")
    responses = [
        client.get("/health"),
        client.get("/.well-known/oauth-protected-resource"),
        client.get("/.well-known/oauth-protected-resource/mcp"),
        client.get("/.well-known/oauth-authorization-server"),
        client.get("/.well-known/openid-configuration"),
        client.get("/oauth/authorize?client_id=x"),
        client.post("/oauth/register", json={"redirect_uris": ["http://127.0.0.1/cb"]}),
        client.post("/oauth/register", data="not json"),
        client.get("/mcp"),
        client.delete("/mcp"),
        client.post("/mcp", json=WEATHER, headers=MCP_HEADERS),
        client.post("/mcp", json=WEATHER, headers=auth_headers("garbage")),
        client.post("/mcp", json=ALERTS, headers=auth_headers(mint())),
        client.post(
            "/mcp",
            json=rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}}),
            headers=auth_headers(token),
        ),
        client.post("/mcp", json=rpc("tools/list"), headers=auth_headers(token)),
        client.post("/mcp", json=FORECAST, headers=auth_headers(token)),
        client.post("/mcp", json=ALERTS, headers=auth_headers(token)),
        client.post(
            "/mcp", data="{", headers={**auth_headers(token), "Content-Type": "application/json"}
        ),
        client.get("/does-not-exist"),
    ]
    for response in responses:
        blob = response.get_data() + json.dumps(list(response.headers.items())).encode()
        assert SECRET.encode() not in blob, response.request.path


def test_idp_metadata_falls_back_to_configured_endpoints(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    path = tmp_path / "server.config"
    path.write_text(
        f"issuer = {dead}/realms/x\njwks_uri = {dead}/certs\n"
        f"oauth_authorize_url = {dead}/auth\ntoken_endpoint = {dead}/token\n"
        "allowed_scopes = mcp:read\nrequest_timeout = 1\n"
        f"client_secret = {SECRET}\n"
    )
    app = create_app(config=load_config(path))
    try:
        client = app.test_client()
        for _ in range(2):  # the second answer comes without another fetch attempt
            response = client.get("/.well-known/oauth-authorization-server")
            assert response.status_code == 200
            assert response.get_json() == {
                "issuer": f"{dead}/realms/x",
                "authorization_endpoint": f"{dead}/auth",
                "token_endpoint": f"{dead}/token",
                "jwks_uri": f"{dead}/certs",
                "scopes_supported": ["mcp:read"],
            }
        assert client.get("/oauth/authorize?a=b").headers["Location"] == f"{dead}/auth?a=b"
    finally:
        cleanup_app(app)


def test_idp_metadata_unavailable_is_502(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    path = tmp_path / "server.config"
    path.write_text(f"issuer = {dead}\njwks_uri = {dead}/jwks\nrequest_timeout = 1\n")
    app = create_app(config=load_config(path))
    try:
        client = app.test_client()
        response = client.get("/.well-known/openid-configuration")
        assert response.status_code == 502
        assert response.get_json()["error"] == "temporarily_unavailable"
        assert client.get("/oauth/authorize").status_code == 404
        assert client.post("/oauth/register", json={}).status_code == 501
    finally:
        cleanup_app(app)
