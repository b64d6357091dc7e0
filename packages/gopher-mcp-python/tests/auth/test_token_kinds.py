"""Token confusion through the resource-server layer: only bearer access tokens authenticate,
and the context holds the engine's scopes and client id, never a re-split string."""

from __future__ import annotations

from typing import Any

import pytest

from gopher_mcp_python.auth import AuthContext, Authenticator, Challenge
from jose_mint import SigningKey, mint

from .conftest import ISSUER, RESOURCE, claims


def _authenticate(authenticator: Authenticator, key: SigningKey, **extra: Any) -> object:
    token = mint(key, claims(ISSUER, RESOURCE, **extra))
    return authenticator.authenticate({"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize(
    "extra",
    [
        {"typ": "ID", "azp": "mcp-client", "nonce": "n"},  # Keycloak ID token
        {"typ": "Refresh"},
        {"typ": "Logout"},
        {"token_use": "id", "client_id": "app"},  # Cognito ID token
        {"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"},
        {"nonce": "n-0S6_WzA2Mj"},
        {"cnf": {"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}},
    ],
)
def test_non_bearer_access_tokens_get_401_invalid_token(
    authenticator: Authenticator, rs_key: SigningKey, extra: dict[str, Any]
) -> None:
    result = _authenticate(authenticator, rs_key, scope="mcp:read", **extra)
    assert isinstance(result, Challenge), result
    assert result.status == 401
    assert 'error="invalid_token"' in (result.www_authenticate or "")


def test_a_spaced_scp_item_grants_nothing_in_the_context(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    result = _authenticate(authenticator, rs_key, scp=["mcp:read mcp:admin", "openid"])
    assert isinstance(result, AuthContext), result
    assert result.scopes == ("openid",)
    assert not result.has_scope("mcp:read")
    assert not result.has_scope("mcp:admin")
    tool = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get-weather-alerts", "arguments": {}},
    }
    token = mint(rs_key, claims(ISSUER, RESOURCE, scp=["mcp:read mcp:admin"]))
    refused = authenticator.authenticate({"Authorization": f"Bearer {token}"}, tool)
    assert isinstance(refused, Challenge)
    assert refused.status == 403


@pytest.mark.parametrize(
    ("extra", "client_id"),
    [
        ({"cid": "0oa-okta-app"}, "0oa-okta-app"),
        ({"appid": "entra-v1-app"}, "entra-v1-app"),
        ({"azp": "kc-client", "cid": "x"}, "kc-client"),
        ({}, ""),
    ],
)
def test_client_id_comes_from_the_engine(
    authenticator: Authenticator, rs_key: SigningKey, extra: dict[str, Any], client_id: str
) -> None:
    result = _authenticate(authenticator, rs_key, **extra)
    assert isinstance(result, AuthContext), result
    assert result.client_id == client_id
