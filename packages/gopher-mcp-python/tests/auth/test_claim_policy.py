"""The claim policy (audiences, audience claim, scope sources, required claims) configured in
ResourceServerConfig and enforced by the real native engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from gopher_mcp_python import GopherInvalidParameterError, GopherValidationOptions
from gopher_mcp_python.auth import AuthContext, Authenticator, Challenge, ResourceServerConfig
from jose_mint import SigningKey, jwks, mint

from .conftest import ISSUER, POLICY, RESOURCE, SERVER_URL, claims


def _make(rs_key: SigningKey, **overrides: Any) -> Authenticator:
    settings: dict[str, Any] = {
        "server_url": SERVER_URL,
        "issuer": ISSUER,
        "jwks": json.dumps(jwks(rs_key)),
        "scope_policy": POLICY,
    }
    settings.update(overrides)
    return Authenticator(ResourceServerConfig(**settings))


@pytest.fixture
def make(rs_key: SigningKey) -> Iterator[Any]:
    made: list[Authenticator] = []

    def build(**overrides: Any) -> Authenticator:
        made.append(_make(rs_key, **overrides))
        return made[-1]

    yield build
    for auth in made:
        auth.close()


def _call(auth: Authenticator, token: str, tool: str | None = None) -> object:
    request = None
    if tool:
        request = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": tool, "arguments": {}},
        }
    return auth.authenticate({"Authorization": f"Bearer {token}"}, request)


def test_audience_list_accepts_any_listed_audience(make: Any, rs_key: SigningKey) -> None:
    auth = make(audiences=("api://mcp", "6e74172b-be56-4843-9ff4-e66a39bb12e3"))
    assert auth.config.audiences == ("api://mcp", "6e74172b-be56-4843-9ff4-e66a39bb12e3")
    for aud in ("api://mcp", "6e74172b-be56-4843-9ff4-e66a39bb12e3", ["x", "api://mcp"]):
        assert isinstance(_call(auth, mint(rs_key, claims(ISSUER, aud))), AuthContext), aud
    refused = _call(auth, mint(rs_key, claims(ISSUER, RESOURCE)))
    assert isinstance(refused, Challenge)
    assert refused.status == 401


def test_audience_defaults_to_the_resource_and_is_never_off(make: Any) -> None:
    auth = make()
    assert auth.config.audiences == (RESOURCE,)
    both = make(audience="a", audiences=("b", "a"))
    assert both.config.audiences == ("a", "b")
    assert both.config.audience == "a"


def test_cognito_shape_audience_in_client_id_and_token_use_required(
    make: Any, rs_key: SigningKey
) -> None:
    auth = make(
        audiences=("5r2ib8hs8oi1f0hcdt1s7kj4l0",),
        audience_claim="client_id",
        required_claims={"token_use": "access"},
    )
    access = claims(ISSUER, "ignored", client_id="5r2ib8hs8oi1f0hcdt1s7kj4l0")
    access["token_use"] = "access"  # noqa: S105 - a claim, not a password
    del access["aud"]
    context = _call(auth, mint(rs_key, access))
    assert isinstance(context, AuthContext), context
    assert context.client_id == "5r2ib8hs8oi1f0hcdt1s7kj4l0"
    other_app = dict(access, client_id="another-app")
    refused = _call(auth, mint(rs_key, other_app))
    assert isinstance(refused, Challenge)
    assert refused.status == 401
    missing = dict(access)
    del missing["token_use"]
    refused = _call(auth, mint(rs_key, missing))
    assert isinstance(refused, Challenge)
    assert refused.status == 401


def test_keycloak_shape_roles_grant_scopes(make: Any, rs_key: SigningKey) -> None:
    auth = make(scope_claims=("scope", "realm_access.roles", "resource_access.mcp-server.roles"))
    payload = claims(
        ISSUER,
        [RESOURCE, "account"],
        scope="openid profile",
        realm_access={"roles": ["offline_access", "mcp:read"]},
        resource_access={"mcp-server": {"roles": ["mcp:admin"]}, "account": {"roles": ["x"]}},
    )
    context = _call(auth, mint(rs_key, payload), "get-weather-alerts")
    assert isinstance(context, AuthContext), context
    assert context.scopes == ("openid", "profile", "offline_access", "mcp:read", "mcp:admin")
    plain = make()  # the default sources do not read roles
    refused = _call(plain, mint(rs_key, payload), "get-weather-alerts")
    assert isinstance(refused, Challenge)
    assert refused.status == 403


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"audiences": "api://mcp"}, "audiences must be a tuple"),
        ({"audiences": ("",)}, "non-empty"),
        ({"audience_claim": ""}, "audience_claim"),
        ({"audience_claim": "a b"}, "audience_claim"),
        ({"scope_claims": ("roles", "a,b")}, "scope_claims"),
        ({"scope_claims": ()}, "scope_claims"),
        ({"required_claims": {"token_use": 1}}, "required_claims"),
        ({"client_options": {"scope_claims": "roles"}}, "client_options"),
    ],
)
def test_bad_policy_settings_are_refused(
    rs_key: SigningKey, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _make(rs_key, **overrides)


def test_validation_options_audience_list(native_library: Any) -> None:
    with GopherValidationOptions() as options:
        options.set_audiences(["a", "b"])
        with pytest.raises(GopherInvalidParameterError, match="cannot be turned off"):
            options.set_audiences([])
        with pytest.raises(TypeError):
            options.set_audiences("a")
        with pytest.raises(GopherInvalidParameterError, match="non-empty"):
            options.set_audiences(["a", ""])


def test_clients_with_other_scope_sources_never_share_granted_scopes(
    make: Any, rs_key: SigningKey
) -> None:
    # The same token bytes through two servers: the process-wide payload memo must not hand
    # one client's granted scopes to the other (roles grant scopes only where configured).
    with_roles = make(scope_claims=("scope", "roles"))
    plain = make()
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="openid", roles=["mcp:admin"]))
    for first, second in ((with_roles, plain), (plain, with_roles), (with_roles, plain)):
        for auth in (first, second):
            context = _call(auth, token)
            assert isinstance(context, AuthContext), context
            expected = ("openid", "mcp:admin") if auth is with_roles else ("openid",)
            assert context.scopes == expected
