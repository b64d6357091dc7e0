"""server.config identity-provider keys: presets, claim-policy keys, and errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from gopher_mcp_python.auth import ResourceServerConfig

from py_auth_mcp_server.config import ConfigError, load_config
from py_auth_mcp_server.middleware.oauth_auth import build_resource_config


def _resource(tmp_path: Path, text: str) -> ResourceServerConfig:
    path = tmp_path / "server.config"
    path.write_text(text)
    config = load_config(path)
    config.require_identity_provider()
    return build_resource_config(config, {"get-forecast": ("mcp:read",)})


def test_cognito_preset_from_server_config(tmp_path: Path) -> None:
    resource = _resource(
        tmp_path,
        "server_url = https://mcp.example.com\n"
        "provider = cognito\n"
        "provider.region = eu-west-1\n"
        "provider.user_pool_id = eu-west-1_AbCdEf123\n"
        "provider.client_ids = app-one app-two\n",
    )
    assert resource.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
    assert resource.audiences == ("app-one", "app-two")
    assert resource.audience_claim == "client_id"
    assert dict(resource.required_claims) == {"token_use": "access"}
    assert resource.client_options["audience_claim"] == "client_id"
    assert resource.scope_policy.required_scopes(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get-forecast"}}
    ) == ("mcp:read",)


def test_entra_and_auth0_arguments_are_typed(tmp_path: Path) -> None:
    entra = _resource(
        tmp_path,
        "provider = entra\nprovider.tenant_id = 9188040d-6c67-4c5b-b112-36a304b66dad\n"
        "provider.audiences = 6e74172b-be56-4843-9ff4-e66a39bb12e3 api://mcp\n"
        "provider.versions = 2\n",
    )
    assert len(entra.issuers) == 1
    assert entra.audiences == ("6e74172b-be56-4843-9ff4-e66a39bb12e3", "api://mcp")
    auth0 = _resource(
        tmp_path,
        "provider = auth0\nprovider.domain = example.eu.auth0.com\n"
        "provider.audience = https://mcp.example.com/mcp\nprovider.permissions = true\n"
        "provider.custom_domains = login.example.com\n",
    )
    assert [t.issuer for t in auth0.issuers] == [
        "https://example.eu.auth0.com/",
        "https://login.example.com/",
    ]
    assert auth0.scope_claims == ("scope", "permissions")


def test_claim_policy_keys_without_a_provider(tmp_path: Path) -> None:
    resource = _resource(
        tmp_path,
        "issuers = https://a.example/ https://a.example/jwks; https://b.example https://b.example/k\n"
        "audiences = api://mcp other\n"
        "audience_claim = azp\n"
        "scope_claims = scope realm_access.roles\n"
        "required_claims = token_use=access tid=t-1\n",
    )
    assert [t.issuer for t in resource.issuers] == ["https://a.example/", "https://b.example"]
    assert "api://mcp" in resource.audiences
    assert "other" in resource.audiences
    assert resource.scope_claims == ("scope", "realm_access.roles")
    assert dict(resource.required_claims) == {"token_use": "access", "tid": "t-1"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("provider = google\n", "unknown provider 'google'"),
        ("provider = okta\nprovider.tenant = x\n", "provider.tenant"),
        ("provider = okta\nprovider.issuer = https://x/oauth2/default\n", "provider.audience"),
        ("provider.audience = x\n", "provider.audience is set but provider is not"),
        (
            "provider = auth0\nprovider.domain = d\nprovider.audience = a\n"
            "provider.permissions = maybe\n",
            "provider.permissions",
        ),
        ("issuers = https://a/\n", "issuers"),
        ("required_claims = token_use\n", "required_claims"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "server.config"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_introspection_keys(tmp_path: Path) -> None:
    text = (
        "issuer = https://idp.example.com/\n"
        "introspection_endpoint = https://idp.example.com/oauth/introspect\n"
        "introspection_client_id = weather-rs\n"
        "introspection_client_secret = very-secret-value\n"
        "introspection_mode = always\n"
        "introspection_cache_ttl = 30\n"
    )
    resource = _resource(tmp_path, text)
    intro = resource.introspection
    assert intro is not None
    assert (intro.endpoint, intro.client_id, intro.mode, intro.cache_ttl) == (
        "https://idp.example.com/oauth/introspect",
        "weather-rs",
        "always",
        30,
    )
    assert intro.client_secret == "very-secret-value"
    assert resource.client_options["introspection_cache_ttl"] == "30"
    assert "very-secret-value" not in repr(resource)
    path = tmp_path / "server.config"
    assert "very-secret-value" not in repr(load_config(path))
    path.write_text(text.replace("= always", "= sometimes"))
    with pytest.raises(ConfigError, match="introspection_mode"):
        load_config(path)
