"""Property tests of the example: its config parser and its JSON-RPC handler under random input.

The handler is driven through Flask's test client with authentication ON (a real token minted
with PyJWT, keys from a loopback JWKS endpoint), so random bodies and headers also pass the
SDK's auth layer (which parses the body to find the tool's scopes). Properties:

- config: any text parses or raises ``ConfigError`` naming a real line; parsed values have the
  documented types and ranges; a config file of random bytes never escapes as another error;
- ``POST /mcp``: never a 5xx, only the statuses the transport documents, and every JSON answer
  is a JSON-RPC 2.0 envelope (the request's id, exactly one of result/error, a standard code);
- ``Authorization``: any header value is a 401 or 400 with a ``Bearer`` challenge, never a 5xx.

``GOPHER_PROPERTY_EXAMPLES`` (default 60) sets the examples per test.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import ConfigError, ServerConfig, load_config, parse_config_text

from jwks_control import ControllableJwks, serve_jwks
from tokens import ISSUER, SigningKey, TokenKit

EXAMPLES = int(os.environ.get("GOPHER_PROPERTY_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),  # a hang guard, not a speed check
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SERVER_URL = "http://127.0.0.1:3001"
MCP_URL = SERVER_URL + "/mcp"
TRANSPORT_STATUSES = {200, 202, 400, 403, 404, 406, 413, 415}
# JSON-RPC's own codes, MCP's resource-not-found (-32002), the transport refusal (-32000) and
# the 2026-07-28 ones: routing headers disagree with the body (-32020), a capability the
# request needs was not declared (-32021), unsupported protocol version (-32022).
JSONRPC_CODES = {-32700, -32600, -32601, -32602, -32603, -32002, -32000, -32020, -32021, -32022}

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "name", "city", "uri", "level"]), inner, max_size=3)
    ),
    max_leaves=8,
)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60)


# -------------------------------------------------------------------------- config parser

KNOWN_KEYS = (
    "host",
    "port",
    "server_url",
    "auth_server_url",
    "jwks_uri",
    "issuer",
    "audience",
    "client_id",
    "client_secret",
    "token_endpoint",
    "oauth_authorize_url",
    "oauth_token_url",
    "allowed_scopes",
    "jwks_cache_duration",
    "jwks_auto_refresh",
    "request_timeout",
    "auth_disabled",
)
config_values = (
    st.sampled_from(["1", "0", "65536", "true", "off", "https://idp.example/x", "http://", ""])
    | st.integers(-10, 700_000).map(str)
    | st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=30)
)
config_lines = st.one_of(
    st.tuples(st.sampled_from(KNOWN_KEYS), config_values).map(lambda kv: f"{kv[0]} = {kv[1]}"),
    st.sampled_from(["", "# comment", "   ", "=", "novalue", "port=", "unknown_key = 1"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=40),
)


def _line_named(error: ConfigError, lines: list[str]) -> int:
    match = re.search(r"line (\d+)", str(error))
    assert match, f"the error names no line: {error}"
    number = int(match.group(1))
    assert 1 <= number <= len(lines), (number, lines)
    return number


@FUZZ
@given(lines=st.lists(config_lines, max_size=12))
def test_config_text_parses_or_names_the_bad_line(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        values = parse_config_text(text)
    except ConfigError as exc:
        error: ConfigError | None = exc
    else:
        error = None
    if error is not None:
        bad = text.splitlines()[_line_named(error, text.splitlines()) - 1].strip()
        assert bad, error
        assert not bad.startswith("#"), error
        return
    for key, (value, number) in values.items():
        assert key in KNOWN_KEYS
        assert text.splitlines()[number - 1].strip().startswith(key)
        if key in ("port", "jwks_cache_duration", "request_timeout"):
            assert isinstance(value, int)
            low, high = {"port": (1, 65535), "jwks_cache_duration": (1, 604_800)}.get(key, (1, 300))
            assert low <= value <= high
        elif key in ("jwks_auto_refresh", "auth_disabled"):
            assert isinstance(value, bool)
        elif key == "allowed_scopes":
            assert all(s and '"' not in s and "\\" not in s for s in value)
        elif key.endswith(("_url", "_uri", "_endpoint")):
            assert value.startswith(("http://", "https://"))


@FUZZ
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_config_file_of_random_bytes_loads_or_raises_config_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    path = tmp_path_factory.mktemp("config") / "server.config"
    path.write_bytes(data)
    try:
        config: ServerConfig | str = load_config(path)
    except ConfigError as error:
        config = str(error)
    if isinstance(config, str):
        assert str(path) in config
        return
    assert config.audience  # always derived: the audience is never unchecked


# ------------------------------------------------------------------------ JSON-RPC handler


@pytest.fixture(scope="module")
def signing_key() -> SigningKey:
    return SigningKey.generate("properties-1")


@pytest.fixture(scope="module")
def jwks(signing_key: SigningKey) -> Iterator[ControllableJwks]:
    with serve_jwks([signing_key.public_jwk()]) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def app(jwks: ControllableJwks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    config = tmp_path_factory.mktemp("app") / "server.config"
    config.write_text(
        f"server_url={SERVER_URL}\nissuer={ISSUER}\njwks_uri={jwks.url}\nrequest_timeout=1\n"
    )
    created = create_app(config)
    yield created
    cleanup_app(created)


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def token(signing_key: SigningKey) -> str:
    return TokenKit(audience=MCP_URL).mint(signing_key, scope="mcp:read mcp:admin")


def _post(
    client: FlaskClient, body: bytes, token: str | None, headers: dict[str, str] | None = None
) -> Any:
    sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    return client.post("/mcp", data=body, headers=sent)


def _check_envelope(answer: Any, request_id: Any = None) -> None:
    """A JSON-RPC 2.0 response (or batch of them) of the documented shape."""
    for message in answer if isinstance(answer, list) else [answer]:
        assert isinstance(message, dict), message
        assert message.get("jsonrpc") == "2.0", message
        assert ("result" in message) != ("error" in message), message
        if "error" in message:
            assert message["error"]["code"] in JSONRPC_CODES, message
            assert isinstance(message["error"]["message"], str)
        # Transport refusals (-32000) and parse errors come before the id is read: id null.
        refused_early = "error" in message and message["error"]["code"] in (-32000, -32700)
        if request_id is not None and not isinstance(answer, list):
            assert message.get("id") == (None if refused_early else request_id), message


def _check_answer(response: Any, request_id: Any = None) -> None:
    assert response.status_code in TRANSPORT_STATUSES, (response.status_code, response.data[:300])
    if response.status_code == 202:
        assert response.data == b""
    elif response.mimetype == "application/json":
        _check_envelope(json.loads(response.data), request_id)
    else:
        assert response.mimetype == "text/event-stream", response.mimetype


def test_a_valid_call_succeeds(client: FlaskClient, token: str) -> None:
    """The baseline the properties rely on: the token and app really work."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
    body["params"] = {"name": "get-weather", "arguments": {"city": "Paris"}}
    response = _post(client, json.dumps(body).encode(), token)
    assert response.status_code == 200, response.data
    assert "result" in response.get_json()


@FUZZ
@given(body=st.binary(max_size=300))
def test_random_bytes_bodies(client: FlaskClient, token: str, body: bytes) -> None:
    _check_answer(_post(client, body, token))


@FUZZ
@given(payload=json_values)
def test_random_json_bodies(client: FlaskClient, token: str, payload: Any) -> None:
    _check_answer(_post(client, json.dumps(payload).encode(), token))


METHODS = (
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/read",
    "prompts/list",
    "prompts/get",
    "logging/setLevel",
    "completion/complete",
    "notifications/initialized",
    "server/discover",
)


@st.composite
def jsonrpc_messages(draw: st.DrawFn) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": draw(st.sampled_from(["2.0", "2.0", "1.0", 2]))}
    message["method"] = draw(st.sampled_from(METHODS) | st.text(max_size=20))
    if draw(st.integers(0, 4)):
        message["id"] = draw(st.integers() | st.text(max_size=10) | json_scalars)
    if draw(st.booleans()):
        tool = st.sampled_from(["get-weather", "get-forecast", "get-weather-alerts", "nope"])
        message["params"] = draw(
            st.fixed_dictionaries(
                {"name": tool | st.text(max_size=10)},
                optional={"arguments": json_values, "_meta": json_values},
            )
            | json_values
        )
    return message


@FUZZ
@given(
    message=jsonrpc_messages(),
    version=st.sampled_from(
        ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "1999", ""]
    ),
)
def test_random_jsonrpc_messages(
    client: FlaskClient, token: str, message: dict[str, Any], version: str
) -> None:
    body = json.dumps(message).encode()
    response = _post(client, body, token, {"MCP-Protocol-Version": version})
    request_id = message.get("id")
    valid_id = isinstance(request_id, str) or type(request_id) is int
    _check_answer(response, request_id if valid_id and message.get("jsonrpc") == "2.0" else None)


@FUZZ
@given(batch=st.lists(jsonrpc_messages(), max_size=4))
def test_random_batches(client: FlaskClient, token: str, batch: list[dict[str, Any]]) -> None:
    response = _post(
        client, json.dumps(batch).encode(), token, {"MCP-Protocol-Version": "2024-11-05"}
    )
    _check_answer(response)


@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from(
            ["Accept", "Content-Type", "MCP-Protocol-Version", "Mcp-Session-Id", "Origin", "Host"]
        ),
        header_text,
        max_size=4,
    )
)
def test_random_transport_headers(client: FlaskClient, token: str, headers: dict[str, str]) -> None:
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/list"}
    _check_answer(_post(client, json.dumps(body).encode(), token, headers), 7)


@FUZZ
@given(authorization=header_text | st.sampled_from(["Bearer", "Bearer ", "bearer x", "Basic x"]))
def test_random_authorization_headers(client: FlaskClient, authorization: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    response = _post(client, body, None, {"Authorization": authorization})
    assert response.status_code in (400, 401), (authorization, response.status_code)
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), response.headers
