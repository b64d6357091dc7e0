"""server.config parsing, defaults, Keycloak-style derivation and CLI overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from py_auth_mcp_server.config import DEFAULT_SCOPES, ConfigError, load_config, parse_config_text


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "server.config"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    config = load_config(None)
    assert (config.host, config.port) == ("127.0.0.1", 3001)
    assert config.server_url == "http://127.0.0.1:3001"
    assert config.audience == "http://127.0.0.1:3001/mcp"
    assert (
        config.allowed_scopes
        == DEFAULT_SCOPES
        == ("openid", "profile", "email", "mcp:read", "mcp:admin")
    )
    assert (config.jwks_cache_duration, config.jwks_auto_refresh, config.request_timeout) == (
        3600,
        True,
        10,
    )
    assert config.auth_disabled is False
    assert config.issuer == config.jwks_uri == ""


def test_keycloak_derivation(tmp_path: Path) -> None:
    realm = "https://kc.example.com/realms/mcp"
    config = load_config(write(tmp_path, f"auth_server_url = {realm}\n"))
    assert config.issuer == realm
    assert config.jwks_uri == realm + "/protocol/openid-connect/certs"
    assert config.oauth_authorize_url == realm + "/protocol/openid-connect/auth"
    assert config.oauth_token_url == realm + "/protocol/openid-connect/token"
    assert config.token_endpoint == realm + "/protocol/openid-connect/token"


def test_explicit_values_win_over_derivation(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            (
                "auth_server_url = https://kc/realms/a\n"
                "issuer = https://issuer.example/\n"
                "jwks_uri = https://keys.example/jwks\n"
                "token_endpoint = https://t.example/token\n"
            ),
        )
    )
    assert config.issuer == "https://issuer.example/"
    assert config.jwks_uri == "https://keys.example/jwks"
    assert config.token_endpoint == "https://t.example/token"
    assert config.oauth_token_url == "https://kc/realms/a/protocol/openid-connect/token"


def test_every_key_parses(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
        # comment
        host = 127.0.0.2
        port = 4000
        server_url = https://mcp.example.com
        auth_server_url = https://kc/realms/x
        jwks_uri = https://kc/certs
        issuer = https://kc/realms/x
        audience = api://weather
        client_id = cid
        client_secret = "quoted secret"
        token_endpoint = https://kc/token
        oauth_authorize_url = https://kc/auth
        oauth_token_url = https://kc/token2
        allowed_scopes = mcp:read  mcp:read mcp:admin
        jwks_cache_duration = 60
        jwks_auto_refresh = no
        request_timeout = 5
        auth_disabled = false
        """,
        )
    )
    assert config.host == "127.0.0.2"
    assert config.port == 4000
    assert config.server_url == "https://mcp.example.com"
    assert config.audience == "api://weather"
    assert config.client_secret == "quoted secret"
    assert config.allowed_scopes == ("mcp:read", "mcp:admin")
    assert (config.jwks_cache_duration, config.jwks_auto_refresh, config.request_timeout) == (
        60,
        False,
        5,
    )
    assert "quoted secret" not in repr(config)
    assert "<redacted>" in repr(config)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port = 3001\nfoo = bar\n", r"server.config line 2: unknown key 'foo'"),
        ("\n\nport = abc\n", r"server.config line 3: bad value for port: expected an integer"),
        ("port = 70000\n", r"line 1: bad value for port: expected 1..65535, got 70000"),
        ("jwks_auto_refresh = maybe\n", r"line 1: bad value for jwks_auto_refresh: expected true"),
        ("jwks_uri = ftp://x\n", r"line 1: bad value for jwks_uri: expected an absolute http"),
        ("port = 1\nport = 2\n", r"line 2: port is already set on line 1"),
        ("just words\n", r"line 1: expected 'key = value'"),
        ("request_timeout = 0\n", r"line 1: bad value for request_timeout: expected 1..300"),
        ('allowed_scopes = a"b\n', r"line 1: bad value for allowed_scopes: invalid scope"),
    ],
)
def test_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "nope.config")


def test_port_override_updates_every_advertised_url(tmp_path: Path) -> None:
    path = write(
        tmp_path, "server_url = http://localhost:3001\naudience = http://localhost:3001/mcp\n"
    )
    config = load_config(path, port=4100)
    assert config.port == 4100
    assert config.server_url == "http://localhost:4100"
    assert config.audience == "http://localhost:4100/mcp"
    assert config.mcp_url == "http://localhost:4100/mcp"
    derived = load_config(None, port=4200)
    assert derived.server_url == "http://127.0.0.1:4200"
    assert derived.audience == "http://127.0.0.1:4200/mcp"


def test_host_and_no_auth_overrides() -> None:
    config = load_config(None, host="::1", no_auth=True)
    assert config.server_url == "http://[::1]:3001"
    assert config.auth_disabled is True


def test_auth_on_without_an_idp_is_an_error() -> None:
    with pytest.raises(ConfigError, match="authentication is on but issuer and jwks_uri"):
        load_config(None).require_identity_provider()
    load_config(None, no_auth=True).require_identity_provider()


def test_parse_config_text_reports_line_numbers() -> None:
    values = parse_config_text("# c\nport = 5\n\nhost = h\n")
    assert values == {"port": (5, 2), "host": ("h", 4)}


def test_step_up_scopes_are_not_advertised(tmp_path: Path) -> None:
    assert load_config(None).advertised_scopes == ("openid", "profile", "email", "mcp:read")
    path = tmp_path / "server.config"
    path.write_text("allowed_scopes = mcp:read mcp:admin mcp:write\nstep_up_scopes = mcp:write\n")
    config = load_config(path)
    assert config.step_up_scopes == ("mcp:write",)
    assert config.advertised_scopes == ("mcp:read", "mcp:admin")
    path.write_text("step_up_scopes =\n")
    assert load_config(path).advertised_scopes == load_config(None).allowed_scopes
