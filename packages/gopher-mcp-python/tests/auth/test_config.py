"""Configuration, the RFC 9728 document and the scope policy (pure Python)."""

from __future__ import annotations

import pytest

from gopher_mcp_python.auth import (
    ResourceServerConfig,
    ScopePolicy,
    normalize_scopes,
    protected_resource_metadata,
    resource_metadata_url,
)


def test_defaults_derive_from_the_server_url() -> None:
    config = ResourceServerConfig(
        server_url="https://mcp.example.com/", issuer="https://idp", jwks_uri="https://idp/jwks"
    )
    assert config.server_url == "https://mcp.example.com"
    assert config.resource == "https://mcp.example.com/mcp"
    assert config.audience == "https://mcp.example.com/mcp"
    assert config.authorization_servers == ("https://idp",)
    assert config.resource_metadata_url == (
        "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
    )


def test_metadata_document() -> None:
    config = ResourceServerConfig(
        server_url="http://127.0.0.1:3001",
        issuer="https://idp/realms/x",
        jwks_uri="https://idp/certs",
        scopes_supported=("openid", "mcp:read"),
        resource_name="Weather",
    )
    assert protected_resource_metadata(config) == {
        "resource": "http://127.0.0.1:3001/mcp",
        "authorization_servers": ["https://idp/realms/x"],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["openid", "mcp:read"],
        "resource_name": "Weather",
    }


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("https://a.example", "https://a.example/.well-known/oauth-protected-resource"),
        ("https://a.example/", "https://a.example/.well-known/oauth-protected-resource"),
        (
            "https://a.example:8443/t/1/mcp",
            "https://a.example:8443/.well-known/oauth-protected-resource/t/1/mcp",
        ),
    ],
)
def test_metadata_url_inserts_the_well_known_suffix(resource: str, expected: str) -> None:
    assert resource_metadata_url(resource) == expected


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"server_url": "ftp://x"}, "server_url must be an absolute http"),
        ({"server_url": "http://x?q=1"}, "must not have a query"),
        ({"issuer": ""}, "issuer is required"),
        ({"jwks_uri": "", "issuer": "idp"}, "discovered from its metadata"),
        ({"jwks_uri": "file:///etc/passwd"}, "jwks_uri must be an absolute http"),
        ({"clock_skew": 1000}, "clock_skew must be 0..300"),
        ({"mcp_path": "mcp"}, "mcp_path must start with '/'"),
        ({"scopes_supported": ("a b",)}, "invalid scope token"),
        ({"max_body_bytes": 10}, "max_body_bytes must be at least 1024"),
        ({"realm": "caf\u00e9 \u6771\u4eac"}, "realm must be printable ASCII"),
        ({"realm": "a\x01b"}, "realm must be printable ASCII"),
        ({"realm": "r" * 1025}, "realm must be printable ASCII of at most 1024"),
        ({"server_url": "https://b\u00fccher.example"}, "server_url must be printable ASCII"),
        ({"resource": "https://x/m\u00e9p"}, "resource must be printable ASCII"),
        ({"resource": "https://x/a\x01b"}, "resource must be printable ASCII"),
        ({"resource": "https://x/a\r\nb"}, "resource must be printable ASCII"),
        ({"resource": "https://x/a b"}, "resource must be printable ASCII"),
        ({"resource": "https://x/a\x7fb"}, "resource must be printable ASCII"),
        ({"jwks_uri": "https://idp/cl\u00e9s"}, "jwks_uri must be printable ASCII"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    base: dict[str, object] = {
        "server_url": "http://127.0.0.1:1",
        "issuer": "https://idp",
        "jwks_uri": "https://idp/jwks",
    }
    base.update(settings)
    with pytest.raises(ValueError, match=message):
        ResourceServerConfig(**base)  # type: ignore[arg-type]


def test_scope_policy() -> None:
    policy = ScopePolicy(
        default=("mcp",), methods={"tools/call": "t"}, tools={"a": ["x", "y"], "b": "y z"}
    )
    tool = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "a"}}
    assert policy.required_scopes(None) == ("mcp",)
    assert policy.required_scopes("garbage") == ("mcp",)
    assert policy.required_scopes(tool) == ("mcp", "t", "x", "y")
    other = {**tool, "params": {"name": "b"}}
    assert policy.required_scopes([tool, other, 7]) == ("mcp", "t", "x", "y", "z")
    assert policy.required_scopes({"method": "tools/call", "params": []}) == ("mcp", "t")
    assert policy.for_tool("b") == ("mcp", "t", "y", "z")
    assert policy.all_scopes() == ("mcp", "t", "x", "y", "z")
    assert policy.inspects_body
    assert not ScopePolicy(default=("a",)).inspects_body


def test_normalize_scopes() -> None:
    assert normalize_scopes("a  b a") == ("a", "b")
    with pytest.raises(ValueError, match="invalid scope token"):
        normalize_scopes(['a"b'])
