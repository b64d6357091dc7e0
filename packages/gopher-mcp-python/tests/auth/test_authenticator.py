"""Authenticator against the real native engine, real tokens and a loopback JWKS server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from gopher_mcp_python.auth import (
    AuthContext,
    Authenticator,
    Challenge,
    McpBody,
    ResourceServerConfig,
)
from gopher_mcp_python.auth.body import _UNPARSED, SCOPE_HINT_BYTES
from gopher_mcp_python.auth.challenge import ChallengeFactory
from gopher_mcp_python.auth.scopes import MAX_BATCH_MESSAGES
from gopher_mcp_python.ffi.auth import GopherAuthContext, GopherValidationOptions
from jose_mint import SigningKey, generate_key, jwks, mint
from jwks_server import JwksServer, serve_jwks

from .conftest import ISSUER, RESOURCE, claims, make_config

METADATA = "http://127.0.0.1:3001/.well-known/oauth-protected-resource/mcp"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def call(tool: str) -> dict[str, object]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": {}},
    }


def as_challenge(result: object) -> Challenge:
    assert isinstance(result, Challenge), result
    return result


def as_context(result: object) -> AuthContext:
    assert isinstance(result, AuthContext), result
    return result


def test_no_token_is_401_with_metadata_and_no_scope_when_none_is_needed(
    authenticator: Authenticator,
) -> None:
    # Least privilege: the request needs no scope and the policy has no default, so the
    # challenge names none (not every supported scope).
    challenge = as_challenge(authenticator.authenticate({}))
    assert challenge.status == 401
    assert challenge.www_authenticate == f'Bearer resource_metadata="{METADATA}"'
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    for body in (initialize, call("get-weather")):
        assert as_challenge(authenticator.authenticate({}, body)).www_authenticate == (
            f'Bearer resource_metadata="{METADATA}"'
        )
    assert dict(challenge.headers)["Content-Type"] == "application/json"
    assert dict(challenge.headers)["Cache-Control"] == "no-store"
    assert json.loads(challenge.body_bytes)["error"] == "unauthorized"
    assert challenge.error == ""


def test_no_token_for_a_scoped_tool_names_that_tools_scope(authenticator: Authenticator) -> None:
    challenge = as_challenge(authenticator.authenticate({}, call("get-forecast")))
    assert challenge.www_authenticate == f'Bearer resource_metadata="{METADATA}", scope="mcp:read"'


def test_other_scheme_counts_as_no_token(authenticator: Authenticator) -> None:
    challenge = as_challenge(authenticator.authenticate({"Authorization": "Basic dXNlcjpwdw=="}))
    assert challenge.status == 401
    assert "error=" not in (challenge.www_authenticate or "")


@pytest.mark.parametrize("key_name", ["rs_key", "es_key"])
def test_valid_token_gives_a_context(
    authenticator: Authenticator, key_name: str, request: pytest.FixtureRequest
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    payload = claims(ISSUER, RESOURCE, scope="openid mcp:read", client_id="cli-7")
    context = as_context(authenticator.authenticate(bearer(mint(key, payload))))
    assert context.subject == "user-1"
    assert context.scopes == ("openid", "mcp:read")
    assert context.expires_at == payload["exp"]
    assert context.issuer == ISSUER
    assert context.audience == (RESOURCE,)
    assert context.client_id == "cli-7"
    assert context.claims["client_id"] == "cli-7"
    assert context.has_scope("mcp:read")
    assert not context.has_scope("mcp:admin")


def test_scheme_is_case_insensitive(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    as_context(authenticator.authenticate({"authorization": f"bearer {token}"}))


def test_each_request_gets_its_own_context(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    first = as_context(
        authenticator.authenticate(
            bearer(mint(rs_key, claims(ISSUER, RESOURCE, sub="alice", scope="mcp:admin")))
        )
    )
    second = as_context(
        authenticator.authenticate(bearer(mint(rs_key, claims(ISSUER, RESOURCE, sub="bob"))))
    )
    assert (first.subject, first.scopes) == ("alice", ("mcp:admin",))
    assert (second.subject, second.scopes) == ("bob", ())


def _invalid(authenticator: Authenticator, token: str, description: str) -> None:
    challenge = as_challenge(authenticator.authenticate(bearer(token)))
    assert challenge.status == 401
    assert challenge.www_authenticate == (
        f'Bearer resource_metadata="{METADATA}", '
        f'error="invalid_token", error_description="{description}"'
    )
    assert json.loads(challenge.body_bytes) == {
        "error": "invalid_token",
        "error_description": description,
    }


def test_expired_token(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, lifetime=-3600))
    _invalid(authenticator, token, "The access token has expired or is not valid yet.")


def test_foreign_issuer(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims("https://evil.test", RESOURCE))
    _invalid(
        authenticator, token, "The access token was not issued by the trusted authorization server."
    )


def test_wrong_audience(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, "http://127.0.0.1:9999/mcp"))
    _invalid(authenticator, token, "The access token was not issued for this resource.")


def test_token_without_audience_is_refused(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    payload = claims(ISSUER, RESOURCE)
    del payload["aud"]  # a required claim: the token is malformed, not merely misaddressed
    _invalid(authenticator, mint(rs_key, payload), "The access token is malformed or invalid.")


def test_forged_signature(authenticator: Authenticator) -> None:
    impostor = generate_key("RS256", "rs-1")  # same kid, different key
    _invalid(
        authenticator,
        mint(impostor, claims(ISSUER, RESOURCE)),
        "The access token's signature does not verify.",
    )


def test_garbage_token(authenticator: Authenticator) -> None:
    _invalid(authenticator, "not.a.jwt", "The access token is malformed or invalid.")


def test_alg_none_token(authenticator: Authenticator, rs_key: SigningKey) -> None:
    good = mint(rs_key, claims(ISSUER, RESOURCE))
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"  # {"alg":"none","typ":"JWT"}
    forged = header + "." + good.split(".")[1] + "."
    _invalid(authenticator, forged, "The access token is malformed or invalid.")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Bearer", "the Bearer credential is empty"),
        ("Bearer a b", "the Bearer credential must be a single token68 value"),
        ("Bearer a.b.c, Bearer d.e.f", "the Bearer credential must be a single token68 value"),
        ("Basic x, Bearer a.b.c", "more than one credential"),
        ("Bearer ===", "the Bearer credential must be a single token68 value"),
        ("Bearer a=b", "the Bearer credential must be a single token68 value"),
        ("Bearer a.b.c\u00e9", "the Bearer credential must be a single token68 value"),
        ("Bearer a.b;c", "the Bearer credential must be a single token68 value"),
        ("Bearer a.b.c,", "the Bearer credential must be a single token68 value"),
        ("Bearer\ta.b.c", "the Authorization header must be '<scheme> <credentials>'"),
        ("Bearer\x0ba.b.c", "the Authorization header must be '<scheme> <credentials>'"),
        ("B\u00e9arer a.b.c", "the Authorization header must be '<scheme> <credentials>'"),
        ("", "the Authorization header must be '<scheme> <credentials>'"),
    ],
)
def test_malformed_authorization_is_400(
    authenticator: Authenticator, value: str, reason: str
) -> None:
    challenge = as_challenge(authenticator.authenticate({"Authorization": value}))
    assert challenge.status == 400
    assert challenge.error == "invalid_request"
    assert (challenge.www_authenticate or "").startswith(
        f'Bearer resource_metadata="{METADATA}", error="invalid_request", '
        f'error_description="{reason}'
    )


@pytest.mark.parametrize("value", ["abc", "a.b.c==", "A-Z_a~z+0/9.", "x="])
def test_token68_credentials_reach_the_validator(authenticator: Authenticator, value: str) -> None:
    """Well-formed token68 values are not a malformed request: the validator refuses them (401)."""
    challenge = as_challenge(authenticator.authenticate({"Authorization": f"Bearer {value}"}))
    assert challenge.status == 401
    assert challenge.error == "invalid_token"


def test_two_authorization_headers_are_400(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    challenge = as_challenge(authenticator.authenticate(headers))
    assert challenge.status == 400
    assert json.loads(challenge.body_bytes) == {
        "error": "invalid_request",
        "error_description": "more than one Authorization header",
    }


def test_missing_tool_scope_is_403_step_up(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="openid mcp:read"))
    challenge = as_challenge(authenticator.authenticate(bearer(token), call("get-weather-alerts")))
    assert challenge.status == 403
    assert challenge.www_authenticate == (
        f'Bearer resource_metadata="{METADATA}", scope="openid mcp:read mcp:admin", '
        'error="insufficient_scope", error_description="This request needs the scope(s): mcp:admin"'
    )
    assert json.loads(challenge.body_bytes) == {
        "error": "insufficient_scope",
        "error_description": "This request needs the scope(s): mcp:admin",
        "scope": "openid mcp:read mcp:admin",
    }


def test_step_up_keeps_the_granted_relevant_scopes(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    # Granted mcp:read (relevant: the policy uses it) and "unrelated" (this resource neither
    # advertises nor requires it); the tool needs mcp:admin.
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="unrelated mcp:read openid"))
    challenge = as_challenge(authenticator.authenticate(bearer(token), call("get-weather-alerts")))
    assert challenge.status == 403
    assert challenge.www_authenticate == (
        f'Bearer resource_metadata="{METADATA}", scope="mcp:read openid mcp:admin", '
        'error="insufficient_scope", error_description="This request needs the scope(s): mcp:admin"'
    )
    assert json.loads(challenge.body_bytes)["scope"] == "mcp:read openid mcp:admin"


def test_step_up_names_only_what_is_missing_in_the_description(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
    batch = [call("get-forecast"), call("get-weather-alerts")]
    challenge = as_challenge(authenticator.authenticate(bearer(token), batch))
    assert json.loads(challenge.body_bytes) == {
        "error": "insufficient_scope",
        "error_description": "This request needs the scope(s): mcp:admin",
        "scope": "mcp:read mcp:admin",
    }


def test_policy_default_scopes_are_the_401_baseline(jwks_server: JwksServer) -> None:
    from gopher_mcp_python.auth import ScopePolicy

    policy = ScopePolicy(default="mcp:access", tools={"admin-tool": "mcp:admin"})
    with Authenticator(make_config(jwks_server.url, scope_policy=policy)) as auth:
        plain = as_challenge(auth.authenticate({}))
        assert plain.www_authenticate == (
            f'Bearer resource_metadata="{METADATA}", scope="mcp:access"'
        )
        tool = as_challenge(auth.authenticate({}, call("admin-tool")))
        assert tool.www_authenticate == (
            f'Bearer resource_metadata="{METADATA}", scope="mcp:access mcp:admin"'
        )


def test_tool_scope_granted(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:admin"))
    as_context(authenticator.authenticate(bearer(token), call("get-weather-alerts")))
    # a tool without a rule needs no scope
    as_context(authenticator.authenticate(bearer(token), call("get-weather")))


def test_scope_prefix_is_not_a_match(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:admin:extra mcp"))
    assert (
        as_challenge(authenticator.authenticate(bearer(token), call("get-weather-alerts"))).status
        == 403
    )


def test_batch_needs_the_union_of_scopes(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
    batch = [call("get-forecast"), call("get-weather-alerts")]
    challenge = as_challenge(authenticator.authenticate(bearer(token), batch))
    assert challenge.status == 403
    assert 'scope="mcp:read mcp:admin"' in (challenge.www_authenticate or "")


def test_method_scope_rule(authenticator: Authenticator, rs_key: SigningKey) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    read = {"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {"uri": "x://y"}}
    assert as_challenge(authenticator.authenticate(bearer(token), read)).status == 403


def test_scp_array_claim_grants_scopes(authenticator: Authenticator, es_key: SigningKey) -> None:
    token = mint(es_key, claims(ISSUER, RESOURCE, scp=["mcp:read"]))
    context = as_context(authenticator.authenticate(bearer(token), call("get-forecast")))
    assert context.scopes == ("mcp:read",)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_jwks_with_no_keys_is_503(rs_key: SigningKey) -> None:
    config = make_config(f"http://127.0.0.1:{_free_port()}/jwks.json")
    with Authenticator(config) as auth:
        challenge = as_challenge(auth.authenticate(bearer(mint(rs_key, claims(ISSUER, RESOURCE)))))
    assert challenge.status == 503
    assert challenge.www_authenticate is None
    assert dict(challenge.headers)["Retry-After"] == "30"
    assert json.loads(challenge.body_bytes)["error"] == "temporarily_unavailable"


def test_jwks_server_error_with_no_keys_is_503(jwks_server: JwksServer, rs_key: SigningKey) -> None:
    jwks_server.status = 500
    with Authenticator(make_config(jwks_server.url)) as auth:
        result = auth.authenticate(bearer(mint(rs_key, claims(ISSUER, RESOURCE))))
    assert as_challenge(result).status == 503


def test_keys_kept_when_idp_goes_down(rs_key: SigningKey, es_key: SigningKey) -> None:
    with serve_jwks(jwks(rs_key, es_key)) as server:
        auth = Authenticator(make_config(server.url))
        as_context(auth.authenticate(bearer(mint(rs_key, claims(ISSUER, RESOURCE)))))
    # the IdP is gone now; the keys fetched before still validate
    with auth:
        token = mint(rs_key, claims(ISSUER, RESOURCE, sub="again"))
        assert as_context(auth.authenticate(bearer(token))).subject == "again"


def test_static_jwks_needs_no_server(rs_key: SigningKey) -> None:
    config = make_config("", jwks=json.dumps(jwks(rs_key)))
    with Authenticator(config) as auth:
        as_context(auth.authenticate(bearer(mint(rs_key, claims(ISSUER, RESOURCE)))))


def test_configured_audience_replaces_the_resource(
    jwks_server: JwksServer, rs_key: SigningKey
) -> None:
    config = make_config(jwks_server.url, audience="api://weather")
    with Authenticator(config) as auth:
        as_context(auth.authenticate(bearer(mint(rs_key, claims(ISSUER, ["api://weather", "x"])))))
        assert (
            as_challenge(auth.authenticate(bearer(mint(rs_key, claims(ISSUER, RESOURCE))))).status
            == 401
        )


def test_bad_client_option_stops_startup(jwks_server: JwksServer) -> None:
    from gopher_mcp_python.ffi.auth import GopherInvalidConfigError

    with pytest.raises(GopherInvalidConfigError, match="request_timeout"):
        Authenticator(make_config(jwks_server.url, client_options={"request_timeout": "0"}))


def test_a_bad_token_is_401_even_when_a_scope_is_also_missing(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    for token in (
        mint(rs_key, claims(ISSUER, RESOURCE, lifetime=-3600)),
        mint(rs_key, claims("https://evil.test", RESOURCE)),
        mint(generate_key("RS256", "rs-1"), claims(ISSUER, RESOURCE)),
    ):
        challenge = as_challenge(
            authenticator.authenticate(bearer(token), call("get-weather-alerts"))
        )
        assert challenge.status == 401
        assert challenge.error == "invalid_token"
        assert 'scope="mcp:admin"' in (challenge.www_authenticate or "")


def test_concurrent_requests_never_see_each_others_context(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    tokens = {
        f"user-{i}": mint(
            rs_key,
            claims(ISSUER, RESOURCE, sub=f"user-{i}", scope="mcp:admin" if i % 2 else "mcp:read"),
        )
        for i in range(8)
    }

    def worker(subject: str) -> list[tuple[str, tuple[str, ...]]]:
        seen = []
        for _ in range(50):
            context = as_context(authenticator.authenticate(bearer(tokens[subject])))
            seen.append((context.subject, context.scopes))
        return seen

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = dict(zip(tokens, pool.map(worker, tokens), strict=True))
    for subject, seen in results.items():
        expected_scopes = ("mcp:admin",) if int(subject[5:]) % 2 else ("mcp:read",)
        assert seen == [(subject, expected_scopes)] * 50


@pytest.mark.parametrize("separator", ["\t", "\n", "\x1f", "\x85", "\u2028", "\u3000"])
def test_scopes_split_on_spaces_only_like_the_engine(
    authenticator: Authenticator, rs_key: SigningKey, separator: str
) -> None:
    # The engine splits `scope` on U+0020 only: "mcp:read<TAB>mcp:admin" is one item, not an
    # RFC 6749 scope-token, so it grants nothing at all. The Python views must agree, or code that
    # trusts AuthContext.has_scope / TokenPayload.has_scope (or the mcp SDK's required_scopes
    # check on AccessToken.scopes) would grant what the engine refused.
    odd_scope = f"mcp:read{separator}mcp:admin"
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope=f"openid {odd_scope}"))
    refused = authenticator.verify_token(token, ("mcp:admin",))
    assert isinstance(refused, Challenge)
    assert refused.status == 403
    context = authenticator.verify_token(token)
    assert isinstance(context, AuthContext)
    assert context.scopes == ("openid",)
    assert not context.has_scope("mcp:admin")
    assert not context.has_scope(odd_scope)
    with GopherValidationOptions() as options:
        result, payload = authenticator._client.validate_and_extract(
            token, options.set_audience(RESOURCE)
        )
    assert result.valid
    assert payload is not None
    assert payload.scope_list == ["openid"]
    assert not payload.has_scope("mcp:admin")
    assert not GopherAuthContext.from_payload(payload).has_scope("mcp:admin")


def test_a_quoted_realm_is_escaped_in_the_challenge() -> None:
    config = ResourceServerConfig(
        server_url="https://mcp.example", issuer="https://idp", jwks_uri="https://idp/j",
        realm='tenant "blue"',
    )  # fmt: skip
    value = ChallengeFactory(config).token_required(()).www_authenticate or ""
    assert value.startswith('Bearer realm="tenant \\"blue\\"", resource_metadata=')
    value.encode("latin-1")  # a header value every server can send


class _Exploding(list):  # type: ignore[type-arg]
    """A batch that fails the test if anything walks it."""

    def __iter__(self) -> Iterator[object]:
        raise AssertionError("the batch was walked")


def test_a_batch_over_the_cap_needs_every_scope_without_being_walked(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    batch = _Exploding([call("get-weather")] * (MAX_BATCH_MESSAGES + 1))
    assert authenticator.required_scopes(batch) == ("mcp:read", "mcp:admin")
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
    challenge = as_challenge(authenticator.authenticate(bearer(token), batch))
    assert (challenge.status, challenge.error) == (403, "insufficient_scope")
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read mcp:admin"))
    assert isinstance(authenticator.authenticate(bearer(token), batch), AuthContext)


def test_a_body_is_parsed_only_after_the_token_verified(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    """Unauthenticated requests cannot make the server parse (or walk) a large body."""
    pad = b"1," * 400_000 + b"1"
    large = McpBody(
        b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":[' + pad + b"]}}"
    )
    for headers in ({}, bearer("a.b.c"), bearer(mint(rs_key, claims(ISSUER, "https://other/")))):
        challenge = as_challenge(authenticator.authenticate(headers, large))
        assert challenge.status == 401
        assert large._value is _UNPARSED
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
    assert isinstance(authenticator.authenticate(bearer(token), large), AuthContext)
    assert large._value is not _UNPARSED


def test_a_small_body_still_names_its_scopes_in_the_401(authenticator: Authenticator) -> None:
    body = McpBody(json.dumps(call("get-weather-alerts")).encode())
    challenge = as_challenge(authenticator.authenticate({}, body))
    assert 'scope="mcp:admin"' in (challenge.www_authenticate or "")
    padded = McpBody(json.dumps(call("get-weather-alerts")).encode() + b" " * SCOPE_HINT_BYTES)
    challenge = as_challenge(authenticator.authenticate({}, padded))
    assert 'scope="mcp:admin"' not in (challenge.www_authenticate or "")
    assert padded._value is _UNPARSED


def test_scopes_of_a_body_are_checked_by_the_engine(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    body = McpBody(json.dumps(call("get-weather-alerts")).encode())
    token = mint(rs_key, claims(ISSUER, RESOURCE, scope="mcp:read"))
    challenge = as_challenge(authenticator.authenticate(bearer(token), body))
    assert (challenge.status, challenge.error) == (403, "insufficient_scope")
    assert 'scope="mcp:read mcp:admin"' in (challenge.www_authenticate or "")  # kept + missing
    token = mint(rs_key, claims(ISSUER, RESOURCE, scp=["mcp:admin"]))
    assert isinstance(authenticator.authenticate(bearer(token), body), AuthContext)
