"""MCP 2026-07-28 routing headers: scopes from ``Mcp-Method``/``Mcp-Name``, body checked after.

What was authorized is what runs: the scopes are decided from the headers (no body parse), and a
body that disagrees with them is refused with ``400`` / ``-32020`` before anything runs. Hostile
cases: a mismatched name, a missing header, repeated headers, headers on an older revision,
non-ASCII names (raw and Base64-encoded). A property covers generated header/body pairs through
the WSGI middleware, ``FlaskAuth`` and the ASGI middleware.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from gopher_mcp_python.auth import AuthContext, Authenticator, Challenge, McpBody
from gopher_mcp_python.auth.routing import (
    HEADER_MISMATCH,
    header_params,
    param_disagreement,
    routing_headers,
)
from jose_mint import SigningKey, generate_key, jwks, mint

from .conftest import ISSUER, RESOURCE, SERVER_URL, claims, make_config
from .servers import adapter_apps

MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN}
TOOLS = ["get-weather", "get-forecast", "get-weather-alerts", "wetter-☀", "=?base64?x?="]


def call(name: object, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": {}, "_meta": dict(META), **extra}
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}


def encoded(name: str) -> str:
    """``name`` as a client puts it in ``Mcp-Name`` (Base64 sentinel when not plain ASCII)."""
    plain = name.isascii() and name.isprintable() and not name.startswith("=?base64?")
    if plain:
        return name
    return "=?base64?" + base64.b64encode(name.encode()).decode() + "?="


def modern(method: str = "tools/call", name: str | None = None) -> list[tuple[str, str]]:
    headers = [("MCP-Protocol-Version", MODERN), ("Mcp-Method", method)]
    if name is not None:
        headers.append(("Mcp-Name", encoded(name)))
    return headers


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("RS256", "route-1")


@pytest.fixture(scope="module")
def authenticator(key: SigningKey) -> Iterator[Authenticator]:
    config = make_config("", jwks=json.dumps(jwks(key)))
    with Authenticator(config) as auth:
        yield auth


def bearer(key: SigningKey, scope: str = "") -> tuple[str, str]:
    return ("Authorization", "Bearer " + mint(key, claims(ISSUER, RESOURCE, scope=scope)))


def check(
    auth: Authenticator, key: SigningKey, scope: str, headers: list[tuple[str, str]], body: object
) -> AuthContext | Challenge:
    data = json.dumps(body).encode()
    return auth.authenticate([bearer(key, scope), *headers], McpBody(data))


def mismatch(result: AuthContext | Challenge) -> bool:
    return (
        isinstance(result, Challenge)
        and result.status == 400
        and result.body["error"]["code"] == HEADER_MISMATCH
    )


# ------------------------------------------------------------------------ the header reader


def test_headers_of_older_revisions_are_not_read() -> None:
    for version in ("2025-11-25", "2025-06-18", "2099-01-01", "2026-07-28,2026-07-28"):
        assert routing_headers([("MCP-Protocol-Version", version), ("Mcp-Method", "x")]) is None
    assert routing_headers([("Mcp-Method", "tools/call"), ("Mcp-Name", "get-weather")]) is None


def test_base64_names_are_decoded_and_bad_ones_refused() -> None:
    ok = routing_headers(modern("tools/call", "wetter-☀"))
    assert ok is not None
    assert ok.name == "wetter-☀"
    assert not ok.problem
    for bad in ("=?base64?***?=", "=?base64?//79?=", "wetter-\u00e2\u0098\u0080", ""):
        headers = [*modern(), ("Mcp-Name", bad)]
        found = routing_headers(headers)
        assert found is not None, bad
        assert found.problem, bad


# ------------------------------------------------------------------------ the authenticator


def test_agreeing_headers_decide_the_scopes(authenticator: Authenticator, key: SigningKey) -> None:
    headers = modern("tools/call", "get-weather-alerts")
    refused = check(authenticator, key, "mcp:read", headers, call("get-weather-alerts"))
    assert isinstance(refused, Challenge)
    assert refused.status == 403
    allowed = check(authenticator, key, "mcp:admin", headers, call("get-weather-alerts"))
    assert isinstance(allowed, AuthContext)


def test_a_cheap_name_in_the_header_cannot_run_an_expensive_tool(
    authenticator: Authenticator, key: SigningKey
) -> None:
    result = check(
        authenticator,
        key,
        "mcp:read",
        modern("tools/call", "get-weather"),
        call("get-weather-alerts"),
    )
    assert mismatch(result)
    assert isinstance(result, Challenge)
    assert result.body["id"] == 7
    assert "get-weather" not in result.body["error"]["message"]  # never echoes a value


def test_header_method_must_match(authenticator: Authenticator, key: SigningKey) -> None:
    body = call("get-weather-alerts")
    assert mismatch(check(authenticator, key, "", modern("tools/list"), body))


@pytest.mark.parametrize(
    "headers",
    [
        [("MCP-Protocol-Version", MODERN)],  # no Mcp-Method
        modern("tools/call"),  # no Mcp-Name for a tools/call
        [*modern("tools/call", "get-weather"), ("Mcp-Method", "tools/call")],
        [*modern("tools/call", "get-weather"), ("Mcp-Name", "get-weather")],
        [*modern("tools/call"), ("Mcp-Name", "wetter-\u00e2\u0098\u0080")],  # raw UTF-8 bytes
    ],
    ids=["no-method", "no-name", "two-methods", "two-names", "raw-non-ascii"],
)
def test_missing_repeated_or_malformed_headers_are_refused(
    authenticator: Authenticator, key: SigningKey, headers: list[tuple[str, str]]
) -> None:
    assert mismatch(check(authenticator, key, "mcp:admin", headers, call("get-weather")))


def test_non_ascii_name_in_base64(authenticator: Authenticator, key: SigningKey) -> None:
    headers = modern("tools/call", "wetter-☀")
    assert isinstance(check(authenticator, key, "", headers, call("wetter-☀")), AuthContext)
    assert mismatch(check(authenticator, key, "", headers, call("wetter-x")))


def test_body_revision_must_match_the_header(authenticator: Authenticator, key: SigningKey) -> None:
    body = call("get-weather", _meta={"io.modelcontextprotocol/protocolVersion": "2025-11-25"})
    assert mismatch(check(authenticator, key, "", modern("tools/call", "get-weather"), body))


def test_a_batch_is_not_one_request(authenticator: Authenticator, key: SigningKey) -> None:
    body = [call("get-weather"), call("get-weather-alerts")]
    assert mismatch(check(authenticator, key, "", modern("tools/call", "get-weather"), body))


def test_headers_on_an_older_revision_are_ignored(
    authenticator: Authenticator, key: SigningKey
) -> None:
    headers = [
        ("MCP-Protocol-Version", "2025-11-25"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", "get-weather"),
    ]
    refused = check(authenticator, key, "mcp:read", headers, call("get-weather-alerts"))
    assert isinstance(refused, Challenge)
    assert refused.status == 403


def test_unauthenticated_modern_request_is_not_parsed(authenticator: Authenticator) -> None:
    class Unparsable(McpBody):
        def parsed(self) -> object:
            raise AssertionError("the body was parsed before the token verified")

    body = Unparsable(b"[" * (1 << 20))
    result = authenticator.authenticate(modern("tools/call", "get-weather-alerts"), body)
    assert isinstance(result, Challenge)
    assert result.status == 401
    assert 'scope="mcp:admin"' in (result.www_authenticate or "")


# ------------------------------------------------------------------------ the property

NAMES = st.sampled_from(["get-weather", "get-weather-alerts", "wetter-☀"])
HEADER_NAME = st.one_of(
    st.none(),
    NAMES.map(encoded),
    NAMES.map(encoded),
    NAMES,  # raw, possibly non-ASCII
    st.lists(NAMES.map(encoded), min_size=2, max_size=2).map(", ".join),
)
VERSIONS = st.sampled_from([MODERN, MODERN, "2025-11-25", None])
# weighted towards what an attacker tries: a tools/call, by a token without mcp:admin
SCOPES = st.sampled_from(["", "mcp:read", "mcp:read", "mcp:admin", "mcp:read mcp:admin"])
BODY_METHODS = st.sampled_from(["tools/call", "tools/call", "tools/list", "resources/read"])
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI failures reproduce
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@st.composite
def requests(draw: st.DrawFn) -> tuple[dict[str, str], object]:
    method = draw(BODY_METHODS)
    body: object = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {"_meta": META}}
    if method == "tools/call":
        body = call(draw(NAMES))
    if draw(st.integers(0, 3)) == 0:
        body = [body, call(draw(NAMES))]
    headers: dict[str, str] = {"Content-Type": "application/json"}
    version = draw(VERSIONS)
    if version is not None:
        headers["MCP-Protocol-Version"] = version
    header_method = draw(st.one_of(st.just(method), st.none(), BODY_METHODS))
    if header_method is not None:
        headers["Mcp-Method"] = header_method
    header_name = draw(HEADER_NAME)
    if header_name is not None:
        headers["Mcp-Name"] = header_name
    return headers, body


def _raw(headers: dict[str, str]) -> dict[str, str]:
    """Header values as a server hands raw UTF-8 bytes over (one latin-1 char per byte)."""
    return {k: v.encode("utf-8").decode("latin-1") for k, v in headers.items()}


def _authorized(body: object, scope: str) -> bool:
    needed = adapter_apps.POLICY.required_scopes(body)
    return set(needed) <= set(scope.split())


def _ran(data: bytes) -> bool:
    try:
        answer = json.loads(data)
    except ValueError:
        return False
    return isinstance(answer, dict) and bool(answer.get("ran"))


@pytest.fixture(scope="module")
def env(key: SigningKey) -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setenv("GOPHER_TEST_JWKS", json.dumps(jwks(key)))
    patch.setenv("GOPHER_TEST_ISSUER", ISSUER)
    patch.setenv("GOPHER_TEST_SERVER_URL", SERVER_URL)
    yield
    patch.undo()


@pytest.fixture(scope="module")
def wsgi_client(env: None) -> Client:
    return Client(adapter_apps.flask_app())


@pytest.fixture(scope="module")
def flask_auth_client(env: None) -> Client:
    return Client(adapter_apps.flask_auth_app())


@pytest.fixture(scope="module")
def asgi_app(env: None) -> object:
    return adapter_apps.starlette_app()


@PROPERTY
@given(request=requests(), scope=SCOPES)
def test_wsgi_runs_only_what_was_authorized(
    wsgi_client: Client,
    flask_auth_client: Client,
    key: SigningKey,
    request: tuple[dict[str, str], object],
    scope: str,
) -> None:
    headers, body = request
    headers = {**headers, "Authorization": dict([bearer(key, scope)])["Authorization"]}
    for client in (wsgi_client, flask_auth_client):
        response = client.post("/mcp", data=json.dumps(body), headers=_raw(headers))
        ran = _ran(response.data)
        event(f"ran={ran}")
        if ran:
            assert _authorized(body, scope), (headers, body, scope)


@PROPERTY
@given(request=requests(), scope=SCOPES)
def test_asgi_runs_only_what_was_authorized(
    asgi_app: object, key: SigningKey, request: tuple[dict[str, str], object], scope: str
) -> None:
    headers, body = request
    headers = {**headers, "Authorization": dict([bearer(key, scope)])["Authorization"]}

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=asgi_app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=SERVER_URL) as client:
            return await client.post(
                "/mcp/",
                content=json.dumps(body),
                headers=[(k, v.encode("latin-1")) for k, v in _raw(headers).items()],
            )

    response = anyio.run(send)
    ran = _ran(response.content)
    event(f"ran={ran}")
    if ran:
        assert _authorized(body, scope), (headers, body, scope)


def test_adapters_run_agreeing_requests_and_refuse_the_others(
    wsgi_client: Client, flask_auth_client: Client, asgi_app: object, key: SigningKey
) -> None:
    token = dict([bearer(key, "mcp:read")])
    agreeing = {**token, **dict(modern("tools/call", "get-forecast"))}
    lying = {**token, **dict(modern("tools/call", "get-forecast"))}
    body, admin_body = json.dumps(call("get-forecast")), json.dumps(call("get-weather-alerts"))

    async def post(headers: dict[str, str], content: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=asgi_app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=SERVER_URL) as client:
            return await client.post("/mcp/", content=content, headers=headers)

    for client in (wsgi_client, flask_auth_client):
        assert _ran(client.post("/mcp", data=body, headers=agreeing).data)
        refused = client.post("/mcp", data=admin_body, headers=lying)
        assert refused.status_code == 400
        assert refused.json is not None
        assert refused.json["error"]["code"] == HEADER_MISMATCH
    assert _ran(anyio.run(post, agreeing, body).content)
    refused_asgi = anyio.run(post, lying, admin_body)
    assert refused_asgi.status_code == 400
    assert refused_asgi.json()["error"]["code"] == HEADER_MISMATCH


# ---------------------------------------------------------------- Mcp-Param-* custom headers

PARAMS_SCHEMA = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "count": {"type": "integer", "x-mcp-header": "Count"},
        "dry": {"type": "boolean", "x-mcp-header": "Dry-Run"},
        "query": {"type": "string"},
    },
}


def test_header_params_reads_the_annotations() -> None:
    assert header_params(PARAMS_SCHEMA) == {"region": "Region", "count": "Count", "dry": "Dry-Run"}
    assert header_params({"type": "object"}) == {}
    assert header_params(None) == {}


def test_integers_and_booleans_are_compared_as_their_header_text() -> None:
    declared = header_params(PARAMS_SCHEMA)
    arguments = {"region": "eu", "count": 3, "dry": True, "query": "q"}
    agreeing = [("Mcp-Param-Region", "eu"), ("mcp-param-count", "3"), ("MCP-PARAM-DRY-RUN", "true")]
    assert param_disagreement(agreeing, arguments, declared) == ""
    assert param_disagreement(dict(agreeing), arguments, declared) == ""
    wrong_bool = [*agreeing[:2], ("Mcp-Param-Dry-Run", "True")]
    assert "does not match arguments.dry" in param_disagreement(wrong_bool, arguments, declared)
    wrong_int = [("Mcp-Param-Count", "03"), agreeing[0], agreeing[2]]
    assert "does not match arguments.count" in param_disagreement(wrong_int, arguments, declared)


def test_null_or_absent_arguments_have_no_header() -> None:
    declared = header_params(PARAMS_SCHEMA)
    assert param_disagreement([], {"region": None}, declared) == ""
    problem = param_disagreement([("Mcp-Param-Count", "1")], {"region": None}, declared)
    assert "which the body does not carry" in problem


def test_a_repeated_param_header_is_refused() -> None:
    declared = {"region": "Region"}
    repeated = [("Mcp-Param-Region", "eu"), ("mcp-param-region", "eu")]
    assert param_disagreement(repeated, {"region": "eu"}, declared) == (
        "more than one Mcp-Param-Region header"
    )


def test_param_problems_never_echo_a_value() -> None:
    secret = "s3cr3t-value"  # noqa: S105 - a header value that must not be echoed
    problem = param_disagreement([("Mcp-Param-Region", secret)], {"region": "eu"}, {"region": "R"})
    assert secret not in problem
    problem = param_disagreement(
        [("Mcp-Param-Region", secret)], {"region": "eu"}, {"region": "Region"}
    )
    assert problem == "the Mcp-Param-Region header does not match arguments.region"
    assert secret not in problem
