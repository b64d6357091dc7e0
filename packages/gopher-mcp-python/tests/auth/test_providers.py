"""Provider presets against realistic token shapes (header and claims as each IdP issues them,
per shared/research/idp-token-shapes.md and the IdPs' own documentation), signed with fresh
keys by `cryptography` and validated by the real native engine from a static JWK Set."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gopher_mcp_python.auth import (
    AuthContext,
    Authenticator,
    Challenge,
    ResourceServerConfig,
    ScopePolicy,
    protected_resource_metadata,
    providers,
)
from jose_mint import SigningKey, b64url, generate_key, jwks

SERVER = "https://mcp.example.com"
RESOURCE = SERVER + "/mcp"
TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
API_GUID = "6e74172b-be56-4843-9ff4-e66a39bb12e3"


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("RS256", "idp-key-1")


def raw_token(key: SigningKey, header_json: str, claims: dict[str, Any]) -> str:
    """A token whose header is exactly ``header_json`` (as some IdPs format it)."""
    signing_input = b64url(header_json.encode()) + "." + b64url(json.dumps(claims).encode())
    return signing_input + "." + b64url(key.sign(signing_input.encode("ascii")))


def std_header(key: SigningKey, **extra: str) -> str:
    return json.dumps({"alg": "RS256", "typ": "JWT", "kid": key.kid, **extra})


def policy(admin_scope: str, read_scope: str) -> ScopePolicy:
    return ScopePolicy(tools={"get-forecast": (read_scope,), "get-weather-alerts": (admin_scope,)})


def call(tool: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}}


class Server:
    """An Authenticator of a preset config, closed at the end of the test."""

    def __init__(self, config: ResourceServerConfig) -> None:
        self.auth = Authenticator(config)

    def ask(self, token: str, tool: str | None = None) -> AuthContext | Challenge:
        return self.auth.authenticate(
            {"Authorization": f"Bearer {token}"}, call(tool) if tool else None
        )

    def ok(self, token: str, tool: str | None = None) -> AuthContext:
        result = self.ask(token, tool)
        assert isinstance(result, AuthContext), result.body_bytes
        return result

    def refused(self, token: str, status: int, tool: str | None = None) -> None:
        result = self.ask(token, tool)
        assert isinstance(result, Challenge), result
        assert result.status == status, result.body_bytes


@pytest.fixture
def serve(key: SigningKey) -> Iterator[Any]:
    made: list[Server] = []

    def build(preset: Any, *args: Any, **kwargs: Any) -> Server:
        kwargs.setdefault("jwks", json.dumps(jwks(key)))
        made.append(Server(preset(*args, server_url=SERVER, **kwargs)))
        return made[-1]

    yield build
    for server in made:
        server.auth.close()


def now() -> int:
    return int(time.time())


# ----------------------------------------------------------------------------------- Entra ID


def entra_v2_user(**over: Any) -> dict[str, Any]:
    t = now()
    claims = {
        "aud": API_GUID,
        "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0",
        "iat": t,
        "nbf": t,
        "exp": t + 3600,
        "aio": "AWQAm/8TAAAA",
        "azp": "client-app-guid",
        "azpacr": "0",
        "name": "Abe Lincoln",
        "oid": "690222be-ff1a-4d56-abd1-7e4f7d38e474",
        "preferred_username": "abeli@microsoft.com",
        "rh": "I",
        "scp": "mcp.read mcp.write",
        "sub": "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
        "tid": TENANT,
        "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "2.0",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def test_entra_v1_v2_user_and_app_only_tokens(serve: Any, key: SigningKey) -> None:
    server = serve(
        providers.entra,
        TENANT,
        (API_GUID, "api://mcp-weather"),
        scope_policy=policy("mcp.admin", "mcp.read"),
    )
    header = std_header(key)
    v2 = server.ok(raw_token(key, header, entra_v2_user()), "get-forecast")
    assert (v2.client_id, v2.scopes) == ("client-app-guid", ("mcp.read", "mcp.write"))
    v1_claims = entra_v2_user(
        iss=f"https://sts.windows.net/{TENANT}/",
        aud="api://mcp-weather",
        azp=None,
        azpacr=None,
        appid="client-app-guid-v1",
        appidacr="0",
        ver="1.0",
        unique_name="abeli@microsoft.com",
    )
    v1 = server.ok(raw_token(key, std_header(key, x5t=key.kid), v1_claims), "get-forecast")
    assert v1.client_id == "client-app-guid-v1"
    app_only = entra_v2_user(scp=None, roles=["mcp.admin"], idtyp="app", sub="sp-object-id")
    assert server.ok(raw_token(key, header, app_only), "get-weather-alerts").scopes == (
        "mcp.admin",
    )
    server.refused(raw_token(key, header, entra_v2_user()), 403, "get-weather-alerts")
    other_tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    foreign = entra_v2_user(iss=f"https://login.microsoftonline.com/{other_tenant}/v2.0")
    server.refused(raw_token(key, header, foreign), 401)
    graph = entra_v2_user(aud="00000003-0000-0000-c000-000000000000")
    server.refused(raw_token(key, header, graph), 401)
    id_token = entra_v2_user(aud="client-app-guid", scp=None, nonce="123523")
    server.refused(raw_token(key, header, id_token), 401)


def test_entra_challenges_and_metadata_name_the_scopes_as_clients_request_them(
    serve: Any, key: SigningKey
) -> None:
    # Entra grants `scp: "mcp.read"` to a client that requested `api://mcp-weather/mcp.read`:
    # the policy checks the granted form, everything a client reads names the request form.
    server = serve(
        providers.entra,
        TENANT,
        (API_GUID, "api://mcp-weather"),
        scope_policy=ScopePolicy(
            default=("mcp.read",), tools={"get-weather-alerts": ("mcp.admin",)}
        ),
        scopes_supported=("openid", "mcp.read"),
    )
    config = server.auth.config
    assert config.scope_request_prefix == "api://mcp-weather/"
    assert protected_resource_metadata(config)["scopes_supported"] == [
        "openid",
        "api://mcp-weather/mcp.read",
    ]
    header = std_header(key)
    assert server.ok(raw_token(key, header, entra_v2_user(scp="mcp.read")), "get-forecast")
    step_up = server.ask(
        raw_token(key, header, entra_v2_user(scp="mcp.read")), "get-weather-alerts"
    )
    assert isinstance(step_up, Challenge)
    assert step_up.status == 403
    assert 'scope="api://mcp-weather/mcp.read api://mcp-weather/mcp.admin"' in (
        step_up.www_authenticate or ""
    )
    assert "api://mcp-weather/mcp.admin" in json.loads(step_up.body_bytes)["error_description"]
    missing = server.auth.authenticate({}, call("get-forecast"))
    assert isinstance(missing, Challenge)
    assert missing.status == 401
    assert 'scope="api://mcp-weather/mcp.read"' in (missing.www_authenticate or "")
    # A scope already in the request form is not prefixed twice; with "" nothing is.
    assert config.request_scopes(("api://mcp-weather/x", "offline_access")) == (
        "api://mcp-weather/x",
        "offline_access",
    )
    plain = providers.entra(TENANT, API_GUID, server_url=SERVER, jwks="{}")
    assert plain.scope_request_prefix == ""
    assert plain.request_scopes(("mcp.read",)) == ("mcp.read",)
    for bad in ("api://x y/", 'api://"x"/', "api://x\\", "\u00e9/"):
        with pytest.raises(ValueError, match="scope_request_prefix"):
            ResourceServerConfig(server_url=SERVER, issuer=SERVER, scope_request_prefix=bad)


def test_entra_preset_arguments() -> None:
    config = providers.entra(TENANT, API_GUID, server_url=SERVER, versions=(2,), jwks="{}")
    assert config.issuer == f"https://login.microsoftonline.com/{TENANT}/v2.0"
    assert len(config.issuers) == 1
    assert config.scope_claims == ("scp", "roles")
    for bad in ("common", "organizations", "a/b", ""):
        with pytest.raises(ValueError, match="tenant"):
            providers.entra(bad, API_GUID, server_url=SERVER)
    with pytest.raises(ValueError, match="versions"):
        providers.entra(TENANT, API_GUID, server_url=SERVER, versions=(3,))


# -------------------------------------------------------------------------------------- Auth0


def auth0_token(domain: str = "example.eu.auth0.com", **over: Any) -> dict[str, Any]:
    t = now()
    claims = {
        "iss": f"https://{domain}/",
        "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
        "aud": [RESOURCE, f"https://{domain}/userinfo"],
        "iat": t,
        "exp": t + 86400,
        "azp": "my-client-id",
        "scope": "openid profile mcp:read",
        "permissions": ["mcp:admin", "mcp:read"],
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def test_auth0_audience_array_permissions_and_custom_domain(serve: Any, key: SigningKey) -> None:
    header = std_header(key)
    plain = serve(
        providers.auth0,
        "example.eu.auth0.com",
        RESOURCE,
        scope_policy=policy("mcp:admin", "mcp:read"),
    )
    context = plain.ok(raw_token(key, header, auth0_token()), "get-forecast")
    assert context.client_id == "my-client-id"
    plain.refused(raw_token(key, header, auth0_token()), 403, "get-weather-alerts")
    rbac = serve(
        providers.auth0,
        "example.eu.auth0.com",
        RESOURCE,
        custom_domains=("login.example.com",),
        permissions=True,
        scope_policy=policy("mcp:admin", "mcp:read"),
    )
    rbac.ok(raw_token(key, header, auth0_token()), "get-weather-alerts")
    rfc9068 = auth0_token(
        "login.example.com", azp=None, client_id="m2m-client", gty="client-credentials"
    )
    assert rbac.ok(raw_token(key, header, rfc9068)).client_id == "m2m-client"
    no_slash = auth0_token(iss="https://example.eu.auth0.com")
    rbac.refused(raw_token(key, header, no_slash), 401)
    rbac.refused(raw_token(key, header, auth0_token(aud="https://other-api.example")), 401)
    id_token = auth0_token(aud="my-client-id", nonce="abc", scope=None)
    rbac.refused(raw_token(key, header, id_token), 401)
    with pytest.raises(ValueError, match="bare host"):
        providers.auth0("https://example.eu.auth0.com/", RESOURCE, server_url=SERVER)


# --------------------------------------------------------------------------------------- Okta


def okta_token(**over: Any) -> dict[str, Any]:
    t = now()
    claims = {
        "ver": 1,
        "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
        "iss": "https://example.okta.com/oauth2/default",
        "aud": "api://default",
        "sub": "alice@example.com",
        "iat": t,
        "exp": t + 3600,
        "cid": "0oabucvyc38HLL1ef0h7",
        "uid": "00ujmkLgagxeRrAg20g3",
        "scp": ["mcp:read", "openid"],
        "auth_time": t - 5,
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def test_okta_scp_array_and_cid(serve: Any, key: SigningKey) -> None:
    header = json.dumps({"kid": key.kid, "alg": "RS256"})  # Okta: no typ
    server = serve(
        providers.okta,
        "https://example.okta.com/oauth2/default",
        "api://default",
        scope_policy=policy("mcp:admin", "mcp:read"),
    )
    context = server.ok(raw_token(key, header, okta_token()), "get-forecast")
    assert (context.client_id, context.scopes) == ("0oabucvyc38HLL1ef0h7", ("mcp:read", "openid"))
    server.refused(raw_token(key, header, okta_token()), 403, "get-weather-alerts")
    org = okta_token(iss="https://example.okta.com", aud="https://example.okta.com")
    server.refused(raw_token(key, header, org), 401)
    spaced = okta_token(scp=["mcp:read mcp:admin"])
    server.refused(raw_token(key, header, spaced), 403, "get-weather-alerts")
    with pytest.raises(ValueError, match="custom authorization server"):
        providers.okta("https://example.okta.com", "api://default", server_url=SERVER)


# ----------------------------------------------------------------------------------- Keycloak

REALM = "https://kc.example.com/realms/mcp"


def keycloak_token(**over: Any) -> dict[str, Any]:
    t = now()
    claims = {
        "exp": t + 300,
        "iat": t,
        "auth_time": t - 10,
        "jti": f"onrtac:{uuid.uuid4()}",
        "iss": REALM,
        "aud": [RESOURCE, "account"],
        "sub": "f1b7c2a4-3f0e-4c52-9d0b-0c2b6a2f7d11",
        "typ": "Bearer",
        "azp": "mcp-client",
        "sid": "8b1f0b6e-2c1d-4f7a-a4a3-53e1b8b0c1d2",
        "allowed-origins": ["https://app.example.com"],
        "realm_access": {"roles": ["offline_access", "uma_authorization", "mcp:read"]},
        "resource_access": {
            "mcp-server": {"roles": ["mcp:admin"]},
            "account": {"roles": ["manage-account"]},
        },
        "scope": "openid email profile",
        "email_verified": True,
        "preferred_username": "alice",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def test_keycloak_spaced_header_roles_and_token_types(serve: Any, key: SigningKey) -> None:
    header = '{"alg":"RS256","typ" : "JWT","kid" : "' + key.kid + '"}'  # Keycloak's own bytes
    realm_only = serve(
        providers.keycloak, REALM, RESOURCE, scope_policy=policy("mcp:admin", "mcp:read")
    )
    context = realm_only.ok(raw_token(key, header, keycloak_token()), "get-forecast")
    assert context.client_id == "mcp-client"
    realm_only.refused(raw_token(key, header, keycloak_token()), 403, "get-weather-alerts")
    with_client = serve(
        providers.keycloak,
        REALM + "/",
        RESOURCE,
        client_roles="mcp-server",
        scope_policy=policy("mcp:admin", "mcp:read"),
    )
    with_client.ok(raw_token(key, header, keycloak_token()), "get-weather-alerts")
    # No Audience mapper: aud is only "account".
    with_client.refused(raw_token(key, header, keycloak_token(aud="account")), 401)
    id_token = keycloak_token(typ="ID", aud="mcp-client", nonce="n", at_hash="x")
    with_client.refused(raw_token(key, header, id_token), 401)
    refresh = keycloak_token(typ="Refresh", aud=REALM)
    with_client.refused(raw_token(key, header, refresh), 401)
    old_issuer = keycloak_token(iss="https://kc.example.com/auth/realms/mcp")
    with_client.refused(raw_token(key, header, old_issuer), 401)


# ------------------------------------------------------------------------------------ Cognito

POOL = "eu-west-1_AbCdEf123"
COGNITO_ISS = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"


def cognito_access(**over: Any) -> dict[str, Any]:
    t = now()
    claims = {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "cognito:groups": ["admin"],
        "iss": COGNITO_ISS,
        "version": 2,
        "client_id": "5r2ib8hs8oi1f0hcdt1s7kj4l0",
        "origin_jti": "bbbbbbbb-cccc-dddd-eeee-ffffffffffff",
        "event_id": "cccccccc-dddd-eeee-ffff-aaaaaaaaaaaa",
        "token_use": "access",
        "scope": "https://mcp.example.com/mcp.read openid",
        "auth_time": t - 5,
        "exp": t + 3600,
        "iat": t,
        "jti": "dddddddd-eeee-ffff-aaaa-bbbbbbbbbbbb",
        "username": "alice",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def test_cognito_client_id_audience_and_token_use(serve: Any, key: SigningKey) -> None:
    header = json.dumps({"kid": "abcd+/1234example=", "alg": "RS256"})
    cognito_key = SigningKey("RS256", "abcd+/1234example=", key.private)
    server = serve(
        providers.cognito,
        "eu-west-1",
        POOL,
        ["5r2ib8hs8oi1f0hcdt1s7kj4l0"],
        jwks=json.dumps(jwks(cognito_key)),
        scope_policy=policy(
            "https://mcp.example.com/mcp.admin", "https://mcp.example.com/mcp.read"
        ),
    )
    context = server.ok(raw_token(key, header, cognito_access()), "get-forecast")
    assert context.client_id == "5r2ib8hs8oi1f0hcdt1s7kj4l0"
    server.refused(raw_token(key, header, cognito_access()), 403, "get-weather-alerts")
    server.refused(raw_token(key, header, cognito_access(client_id="another-app")), 401)
    id_token = cognito_access(client_id=None, aud="5r2ib8hs8oi1f0hcdt1s7kj4l0", at_hash="x")
    id_token["token_use"] = "id"  # noqa: S105 - a claim value
    server.refused(raw_token(key, header, id_token), 401)
    other_pool = cognito_access(iss="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")
    server.refused(raw_token(key, header, other_pool), 401)
    for region, pool in (("eu-west", POOL), ("eu-west-1", "us-east-1_AbC"), ("eu-west-1", "x")):
        with pytest.raises(ValueError, match=r"region|user_pool_id"):
            providers.cognito(region, pool, "c", server_url=SERVER)


# -------------------------------------------------------------------------- WorkOS and OIDC


def test_workos_and_generic_oidc(serve: Any, key: SigningKey) -> None:
    t = now()
    workos_claims = {
        "iss": "https://acme.authkit.app",
        "aud": RESOURCE,
        "sub": "user_01HBEQKA6K4QJAS93VPE39W1JT",
        "client_id": "client_01HXYZ",
        "org_id": "org_01HRDMC6CM357W30QMHMQ96Q0S",
        "sid": "session_01HQSXZGF8FHF7A9ZZFCW4387R",
        "scope": "openid",
        "permissions": ["mcp:read"],
        "jti": "01HQSXZXPPFPKMDD32RKTFY6PV",
        "iat": t,
        "exp": t + 300,
    }
    server = serve(
        providers.workos, "acme.authkit.app", RESOURCE, scope_policy=policy("mcp:admin", "mcp:read")
    )
    header = std_header(key)
    assert (
        server.ok(raw_token(key, header, workos_claims), "get-forecast").client_id
        == "client_01HXYZ"
    )
    session = dict(workos_claims, iss="https://api.workos.com/user_management/client_01HXYZ")
    del session["aud"]
    server.refused(raw_token(key, header, session), 401)
    generic = serve(
        providers.oidc, "https://idp.example.org", RESOURCE, jwks_uri="https://idp.example.org/jwks"
    )
    at_jwt = json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": key.kid})
    oidc_claims = dict(workos_claims, iss="https://idp.example.org", scope="mcp:read")
    generic.ok(raw_token(key, at_jwt, oidc_claims))
    bound = dict(oidc_claims, cnf={"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})
    generic.refused(raw_token(key, at_jwt, bound), 401)
    discovered = providers.oidc("https://idp.example.org/", RESOURCE, server_url=SERVER)
    assert discovered.issuers[0].jwks_uri == ""  # found by discovery


def test_presets_refuse_what_they_set_themselves() -> None:
    with pytest.raises(ValueError, match="cannot be passed"):
        providers.okta(
            "https://example.okta.com/oauth2/default",
            "api://default",
            server_url=SERVER,
            jwks_uri="https://example.okta.com/other/keys",
        )
