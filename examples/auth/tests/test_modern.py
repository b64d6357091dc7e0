"""MCP 2026-07-28 on /mcp (auth on): stateless requests, routing headers, input-required results."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from py_auth_mcp_server.conformance import build_registry
from py_auth_mcp_server.mcp.dispatcher import Dispatcher

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
