"""MCP 2026-07-28 on /mcp (auth on): stateless requests, routing headers, input-required results."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import ServerConfig
from py_auth_mcp_server.conformance import build_registry
from py_auth_mcp_server.mcp.dispatcher import Dispatcher
from py_auth_mcp_server.mcp.registry import Registry

from .conftest import Minter, auth_headers, rpc

MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


def request(method: str, params: dict[str, Any] | None = None, id_: Any = 7) -> dict[str, Any]:
    return rpc(method, {**(params or {}), "_meta": dict(META)}, id_)


def headers(method: str, name: str | None = None) -> dict[str, str]:
    out = {"MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name is not None:
        out["Mcp-Name"] = name
    return out


@pytest.fixture
def send(client: FlaskClient, mint: Minter) -> Any:
    def post(body: Any, scope: str = "mcp:read", **extra: str) -> TestResponse:
        return client.post("/mcp", json=body, headers=auth_headers(mint(scope), **extra))

    return post


def test_discover_lists_every_revision(send: Any) -> None:
    response = send(request("server/discover"), **headers("server/discover"))
    assert response.status_code == 200
    result = response.get_json()["result"]
    assert result["supportedVersions"][0] == MODERN
    assert "2025-11-25" in result["supportedVersions"]
    assert result["resultType"] == "complete"
    assert result["cacheScope"] == "private"  # auth on: answers may depend on the principal


def test_tools_call_completes_with_result_type(send: Any) -> None:
    body = request("tools/call", {"name": "get-weather", "arguments": {"city": "Oslo"}})
    response = send(body, **headers("tools/call", "get-weather"))
    assert response.status_code == 200
    assert response.get_json()["result"]["resultType"] == "complete"


def test_step_up_is_decided_from_the_headers(send: Any) -> None:
    body = request("tools/call", {"name": "get-weather-alerts", "arguments": {"region": "x"}})
    response = send(body, **headers("tools/call", "get-weather-alerts"))
    assert response.status_code == 403
    assert "mcp:admin" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "extra",
    [
        headers("tools/call", "get-weather"),  # a cheaper tool named in the header
        headers("tools/call"),  # no Mcp-Name
        {"MCP-Protocol-Version": MODERN},  # no Mcp-Method
        headers("tools/call", "=?base64?" + base64.b64encode(b"get-weather").decode() + "?="),
    ],
    ids=["other-name", "no-name", "no-method", "base64-other-name"],
)
def test_header_mismatch_is_refused_before_the_tool_runs(send: Any, extra: dict[str, str]) -> None:
    body = request("tools/call", {"name": "get-weather-alerts", "arguments": {"region": "x"}})
    response = send(body, "mcp:read mcp:admin", **extra)
    assert response.status_code == 400
    assert response.get_json()["id"] == 7
    assert response.get_json()["error"]["code"] == -32020


def test_missing_meta_is_invalid_params(send: Any) -> None:
    response = send(rpc("tools/list", {}, 3), **headers("tools/list"))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == -32602
    assert response.get_json()["id"] == 3


@pytest.mark.parametrize("method", ["initialize", "ping", "logging/setLevel"])
def test_removed_methods_are_not_found(send: Any, method: str) -> None:
    response = send(request(method), **headers(method))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == -32601


def test_unsupported_version_names_the_supported_ones(send: Any) -> None:
    extra = {"MCP-Protocol-Version": "1900-01-01"}
    response = send(rpc("tools/list", {}, 5), **extra)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == -32022
    assert error["data"]["requested"] == "1900-01-01"
    assert MODERN in error["data"]["supported"]
    assert response.get_json()["id"] == 5


def test_older_revision_still_works(send: Any) -> None:
    body = rpc("tools/call", {"name": "get-weather", "arguments": {"city": "Oslo"}})
    response = send(body, **{"MCP-Protocol-Version": "2025-11-25"})
    assert response.status_code == 200
    assert "resultType" not in response.get_json()["result"]


# ---------------------------------------------------------------- input-required results


def _call(dispatcher: Dispatcher, params: dict[str, Any]) -> dict[str, Any]:
    message = request("tools/call", params)
    return dispatcher.handle_request(message, auth=None, protocol_version=MODERN)


def test_request_state_round_trip_and_tampering() -> None:
    dispatcher = Dispatcher(build_registry())
    name = "test_input_required_result_request_state"
    first = _call(dispatcher, {"name": name, "arguments": {}})["result"]
    assert first["resultType"] == "input_required"
    answer = {"confirm": {"action": "accept", "content": {"ok": True}}}
    done = _call(
        dispatcher,
        {
            "name": name,
            "arguments": {},
            "inputResponses": answer,
            "requestState": first["requestState"],
        },
    )
    assert "state-ok" in done["result"]["content"][0]["text"]
    tampered = first["requestState"][:-2] + (
        "AA" if not first["requestState"].endswith("AA") else "BB"
    )
    refused = _call(
        dispatcher,
        {"name": name, "arguments": {}, "inputResponses": answer, "requestState": tampered},
    )
    assert refused["error"]["code"] == -32602
    # a state issued for one tool does not open for another
    other = _call(
        dispatcher,
        {
            "name": "test_input_required_result_tampered_state",
            "arguments": {},
            "inputResponses": answer,
            "requestState": first["requestState"],
        },
    )
    assert other["error"]["code"] == -32602


def test_input_required_needs_the_modern_revision() -> None:
    dispatcher = Dispatcher(build_registry())
    message = rpc("tools/call", {"name": "test_input_required_result_elicitation", "arguments": {}})
    response = dispatcher.handle_request(message, auth=None, protocol_version="2025-11-25")
    assert response["error"]["code"] == -32602
    assert response["error"]["message"].endswith("use MCP 2026-07-28")


# ---------------------------------------------------------------- Mcp-Param-* custom headers

PARAM_TOOL = "test_mcp_param_headers"  # declares x-mcp-header "Region" on its "region" argument


def b64(value: str) -> str:
    return "=?base64?" + base64.b64encode(value.encode()).decode() + "?="


@pytest.fixture
def call_param_tool(config: ServerConfig, mint: Minter) -> Iterator[Any]:
    """POST a 2026-07-28 call of the annotated conformance tool, auth on, with extra headers."""
    application = create_app(config=config, registry=build_registry())
    client = application.test_client()
    token = mint("mcp:read")

    def post(
        arguments: dict[str, Any], extra: list[tuple[str, str]], version: str = MODERN
    ) -> TestResponse:
        body = request("tools/call", {"name": PARAM_TOOL, "arguments": arguments})
        routing = {**headers("tools/call", PARAM_TOOL), "MCP-Protocol-Version": version}
        return client.post(
            "/mcp", json=body, headers=[*auth_headers(token, **routing).items(), *extra]
        )

    yield post
    cleanup_app(application)


@pytest.mark.parametrize(
    ("region", "extra"),
    [
        ("us-west1", [("Mcp-Param-Region", "us-west1")]),
        ("us-west1", [("mcp-param-region", "us-west1")]),  # header names are case-insensitive
        ("us-west1", [("Mcp-Param-Region", "  us-west1\t")]),  # OWS is not part of the value
        ("Zürich", [("Mcp-Param-Region", b64("Zürich"))]),  # non-ASCII travels Base64-encoded
        (" edge ", [("Mcp-Param-Region", b64(" edge "))]),  # so does edge whitespace
        ("SGVsbG8=", [("Mcp-Param-Region", "SGVsbG8=")]),  # no sentinel: literal
        ("=?base64?SGVsbG8=", [("Mcp-Param-Region", "=?base64?SGVsbG8=")]),  # half a sentinel
        ("eu", [("Mcp-Param-Region", "eu"), ("Mcp-Param-Note", "anything")]),  # undeclared: ignored
    ],
    ids=[
        "plain",
        "lowercase-name",
        "ows",
        "base64-utf8",
        "base64-edge-space",
        "literal",
        "half-sentinel",
        "undeclared-ignored",
    ],
)
def test_agreeing_param_headers_run_the_tool(
    call_param_tool: Any, region: str, extra: list[tuple[str, str]]
) -> None:
    response = call_param_tool({"region": region}, extra)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["content"][0]["text"] == f"Region: {region}"


@pytest.mark.parametrize(
    ("arguments", "extra", "says"),
    [
        ({"region": "us-west1"}, [], "a missing Mcp-Param-Region header"),
        ({"region": "us-west1"}, [("Mcp-Param-Region", "eu-west1")], "does not match"),
        ({"region": "us-west1"}, [("Mcp-Param-Region", "US-WEST1")], "does not match"),
        # a WSGI server joins a repeated header with commas: the joined value matches nothing
        (
            {"region": "us-west1"},
            [("Mcp-Param-Region", "us-west1"), ("Mcp-Param-Region", "us-west1")],
            "does not match",
        ),
        ({"region": "Zürich"}, [("Mcp-Param-Region", "Zürich")], "malformed"),  # raw non-ASCII
        ({"region": "Hello"}, [("Mcp-Param-Region", "=?base64?SGVsbG8?=")], "malformed"),
        ({"region": "Hello"}, [("Mcp-Param-Region", "=?base64?SGVs!!!bG8=?=")], "malformed"),
        ({"region": "x"}, [("Mcp-Param-Region", b64("y"))], "does not match"),
        ({"region": " edge "}, [("Mcp-Param-Region", " edge ")], "does not match"),
        ({"note": "n"}, [("Mcp-Param-Region", "us-west1")], "which the body does not carry"),
        ({"region": 5.5}, [("Mcp-Param-Region", "5.5")], "not a string, integer or boolean"),
    ],
    ids=[
        "missing",
        "other-value",
        "case",
        "repeated",
        "raw-non-ascii",
        "bad-padding",
        "bad-alphabet",
        "base64-other-value",
        "edge-space-unencoded",
        "header-without-argument",
        "wrong-type",
    ],
)
def test_disagreeing_param_headers_are_refused_before_the_tool_runs(
    call_param_tool: Any, arguments: dict[str, Any], extra: list[tuple[str, str]], says: str
) -> None:
    response = call_param_tool(arguments, extra)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["id"] == 7
    assert payload["error"]["code"] == -32020
    assert says in payload["error"]["message"]
    assert "result" not in payload


def test_param_headers_on_an_older_revision_are_ignored(call_param_tool: Any) -> None:
    # nothing validates Mcp-Param-* before 2026-07-28 (and the 2025-11-25 call has no _meta rule)
    response = call_param_tool({"region": "us-west1"}, [("Mcp-Param-Region", "x")], "2025-11-25")
    assert response.status_code == 200
    assert response.get_json()["result"]["content"][0]["text"] == "Region: us-west1"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string", "x-mcp-header": ""},
        {"type": "string", "x-mcp-header": "My Region"},
        {"type": "string", "x-mcp-header": "Region:Primary"},
        {"type": "string", "x-mcp-header": "Région"},
        {"type": "string", "x-mcp-header": "Region\t1"},
        {"type": "number", "x-mcp-header": "Score"},
        {"type": "object", "x-mcp-header": "Data"},
    ],
    ids=["empty", "space", "colon", "non-ascii", "control", "number", "object"],
)
def test_tools_with_invalid_header_annotations_are_not_registered(schema: dict[str, Any]) -> None:
    registry = Registry(name="t", version="1")
    with pytest.raises(ValueError, match="x-mcp-header"):
        registry.tool(
            "bad",
            description="invalid annotation",
            input_schema={"type": "object", "properties": {"value": schema}},
        )(lambda arguments, ctx: "")


def test_a_header_name_declared_twice_is_not_registered() -> None:
    registry = Registry(name="t", version="1")
    properties = {
        "a": {"type": "string", "x-mcp-header": "MyField"},
        "b": {"type": "string", "x-mcp-header": "myfield"},
    }
    with pytest.raises(ValueError, match="declared twice"):
        registry.tool(
            "bad",
            description="duplicate",
            input_schema={"type": "object", "properties": properties},
        )(lambda arguments, ctx: "")
