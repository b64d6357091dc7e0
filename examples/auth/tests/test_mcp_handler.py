"""MCP Streamable HTTP on /mcp, with auth ON and a valid token on every request."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import ServerConfig
from py_auth_mcp_server.mcp.dispatcher import Dispatcher
from py_auth_mcp_server.mcp.protocol import SUPPORTED_VERSIONS
from py_auth_mcp_server.mcp.registry import CallContext, PromptArgument, Registry
from py_auth_mcp_server.routes import mcp_handler

from .conftest import Minter, auth_headers, rpc, tool_call


@pytest.fixture
def post(client: FlaskClient, mint: Minter) -> Any:
    token = mint("mcp:read mcp:admin")

    def send(body: Any, **headers: str) -> TestResponse:
        return client.post("/mcp", json=body, headers=auth_headers(token, **headers))

    return send


def initialize(version: str) -> dict[str, Any]:
    return rpc(
        "initialize",
        {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    )


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_initialize_echoes_a_supported_version(post: Any, version: str) -> None:
    response = post(initialize(version))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "protocolVersion": version,
            "capabilities": {"logging": {}, "tools": {"listChanged": False}},
            "serverInfo": {
                "name": "py-auth-mcp-server",
                "version": "0.2.0",
                "title": "Weather (OAuth-protected)",
            },
            "instructions": "Weather demo data. get-forecast needs mcp:read; get-weather-alerts "
            "needs mcp:admin.",
        },
    }


def test_initialize_hands_out_a_session_id(post: Any) -> None:
    first = post(initialize("2025-11-25")).headers["Mcp-Session-Id"]
    second = post(initialize("2025-11-25")).headers["Mcp-Session-Id"]
    assert first != second
    assert len(first) == 32
    assert all(0x21 <= ord(c) <= 0x7E for c in first)
    assert "Mcp-Session-Id" not in post(rpc("ping")).headers
    assert post(rpc("ping"), **{"Mcp-Session-Id": first}).status_code == 200


def test_malformed_session_id_is_400(post: Any) -> None:
    response = post(rpc("ping"), **{"Mcp-Session-Id": "has space"})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "Bad Request: malformed Mcp-Session-Id header"


def test_initialize_unknown_version_gets_the_newest(post: Any) -> None:
    result = post(initialize("2099-01-01")).get_json()["result"]
    assert result["protocolVersion"] == "2025-11-25"


def test_initialize_without_version_is_invalid_params(post: Any) -> None:
    body = post(rpc("initialize", {"capabilities": {}})).get_json()
    assert body == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32602, "message": "Invalid params: protocolVersion must be a string"},
    }


def test_notification_is_202_without_body(post: Any) -> None:
    response = post({"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert response.status_code == 202
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers


def test_client_response_is_202(post: Any) -> None:
    response = post({"jsonrpc": "2.0", "id": "srv-unknown", "result": {}})
    assert response.status_code == 202
    assert response.get_data() == b""


def test_ping(post: Any) -> None:
    assert post(rpc("ping", id_="p")).get_json() == {"jsonrpc": "2.0", "id": "p", "result": {}}


def test_unknown_method(post: Any) -> None:
    response = post(rpc("resources/list", id_=7))
    assert response.status_code == 200
    assert response.get_json() == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {"code": -32601, "message": "Method not found: resources/list"},
    }


def test_server_discover_probe_is_a_clean_error(post: Any) -> None:
    body = post(rpc("server/discover", {})).get_json()
    assert body["error"]["code"] == -32601


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (rpc("tools/call", {"arguments": {}}), "Invalid params: name must be a string"),
        (
            rpc("tools/call", {"name": "get-weather", "arguments": [1]}),
            "Invalid params: arguments must be an object",
        ),
        (rpc("tools/call", {"name": "nope"}), "Unknown tool: nope"),
        ({**rpc("tools/list"), "params": [1, 2]}, "Invalid params: params must be an object"),
        (rpc("logging/setLevel", {"level": "loud"}), "Invalid params: unknown log level loud"),
        (
            tool_call("get-forecast", {"city": "x", "days": 30}),
            "Invalid params: 'days' must be an integer 1..7",
        ),
    ],
)
def test_bad_params(post: Any, message: dict[str, Any], error: str) -> None:
    response = post(message)
    assert response.status_code == 200
    assert response.get_json() == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32602, "message": error},
    }


def test_bad_tool_arguments_are_a_tool_error_from_2025_11_25(post: Any) -> None:
    headers = {"MCP-Protocol-Version": "2025-11-25"}
    result = post(tool_call("get-weather", {}), **headers).get_json()["result"]
    assert result == {
        "content": [
            {"type": "text", "text": "Invalid arguments for tool get-weather: missing city"}
        ],
        "isError": True,
    }
    result = post(tool_call("get-forecast", {"city": "x", "days": 0}), **headers).get_json()
    assert result["result"] == {
        "content": [{"type": "text", "text": "Invalid params: 'days' must be an integer 1..7"}],
        "isError": True,
    }
    unknown = post(rpc("tools/call", {"name": "nope"}), **headers).get_json()
    assert unknown["error"] == {"code": -32602, "message": "Unknown tool: nope"}


@pytest.mark.parametrize("version", ["2025-06-18", "2025-03-26", "2024-11-05"])
def test_bad_tool_arguments_are_invalid_params_before_2025_11_25(post: Any, version: str) -> None:
    body = post(tool_call("get-weather", {}), **{"MCP-Protocol-Version": version}).get_json()
    assert body["error"] == {
        "code": -32602,
        "message": "Invalid arguments for tool get-weather: missing city",
    }


def test_parse_error(client: FlaskClient, mint: Minter) -> None:
    response = client.post(
        "/mcp",
        data="{not json",
        headers={**auth_headers(mint()), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": "Parse error: the body is not valid JSON"},
    }


@pytest.mark.parametrize(
    "message",
    [
        {"jsonrpc": "1.0", "id": 1, "method": "ping"},
        {"id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1, "method": 5},
        {"jsonrpc": "2.0", "id": None, "method": "ping"},
        {"jsonrpc": "2.0", "id": True, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1},
        "ping",
        42,
    ],
)
def test_invalid_request(post: Any, message: Any) -> None:
    response = post(message)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == -32600
    valid_id = isinstance(message, dict) and type(message.get("id")) is int
    assert body["id"] == (message["id"] if valid_id else None)


@pytest.mark.parametrize("version", ["2025-03-26", "2024-11-05"])
def test_batches_for_old_versions(post: Any, version: str) -> None:
    batch = [
        rpc("ping", id_=1),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        rpc("nope", id_=2),
        {"jsonrpc": "1"},
    ]
    response = post(batch, **{"MCP-Protocol-Version": version})
    assert response.status_code == 200
    assert response.get_json() == [
        {"jsonrpc": "2.0", "id": 1, "result": {}},
        {"jsonrpc": "2.0", "id": 2, "error": {"code": -32601, "message": "Method not found: nope"}},
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": "Invalid Request: expected a JSON-RPC 2.0 object"},
        },
    ]


def test_batch_of_notifications_is_202(post: Any) -> None:
    response = post(
        [{"jsonrpc": "2.0", "method": "notifications/initialized"}],
        **{"MCP-Protocol-Version": "2025-03-26"},
    )
    assert response.status_code == 202


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25"])
def test_batches_rejected_for_new_versions(post: Any, version: str) -> None:
    response = post([rpc("ping")], **{"MCP-Protocol-Version": version})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": -32600,
        "message": f"Invalid Request: JSON-RPC batches are not supported in protocol {version}",
    }


def test_initialize_cannot_be_batched(post: Any) -> None:
    body = post([initialize("2025-03-26")], **{"MCP-Protocol-Version": "2025-03-26"}).get_json()
    assert body[0]["error"]["code"] == -32600


def test_empty_batch(post: Any) -> None:
    assert post([], **{"MCP-Protocol-Version": "2025-03-26"}).status_code == 400


def test_oversized_batch_is_refused_whole(post: Any) -> None:
    # 101 pings fit easily in the body limit; without a count limit every one would be answered.
    response = post(
        [rpc("ping", id_=n) for n in range(101)], **{"MCP-Protocol-Version": "2025-03-26"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": -32600,
        "message": "Invalid Request: a batch holds at most 100 messages",
    }
    full = post([rpc("ping", id_=n) for n in range(100)], **{"MCP-Protocol-Version": "2025-03-26"})
    assert full.status_code == 200
    assert len(full.get_json()) == 100


def test_unsupported_protocol_version_header(post: Any) -> None:
    response = post(rpc("ping"), **{"MCP-Protocol-Version": "2023-01-01"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["id"] == 1  # the request's id (2026-07-28 refuses a null one)
    assert body["error"]["code"] == -32022  # UnsupportedProtocolVersionError
    assert body["error"]["message"].startswith("Unsupported protocol version '2023-01-01'; use")


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_supported_protocol_version_headers(post: Any, version: str) -> None:
    assert post(rpc("ping"), **{"MCP-Protocol-Version": version}).status_code == 200


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_delete_are_405(client: FlaskClient, mint: Minter, method: str) -> None:
    response = client.open("/mcp", method=method, headers=auth_headers(mint()))
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.get_json()["error"]["code"] == -32000


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1.evil.io"])
def test_foreign_origin_is_403(post: Any, origin: str) -> None:
    response = post(rpc("ping"), Origin=origin)
    assert response.status_code == 403
    assert response.get_json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32000, "message": "Forbidden: Origin not allowed"},
    }


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:3001", "http://localhost:6274", "http://[::1]:8080"]
)
def test_loopback_origins_are_allowed(post: Any, origin: str) -> None:
    assert post(rpc("ping"), Origin=origin).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example.com", "evil.example.com@localhost", "evil@127.0.0.1"]
)
def test_foreign_host_is_403(post: Any, host: str) -> None:
    response = post(rpc("ping"), Host=host)
    assert response.status_code == 403
    assert "DNS rebinding" in response.get_json()["error"]["message"]


def test_origin_is_checked_before_auth(client: FlaskClient) -> None:
    response = client.post("/mcp", json=rpc("ping"), headers={"Origin": "http://evil.example"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("text/html", 406),
        ("application/json", 200),
        ("*/*", 200),
        ("application/json, text/event-stream", 200),
    ],
)
def test_accept_header(post: Any, accept: str, status: int) -> None:
    assert post(rpc("ping"), Accept=accept).status_code == status


def test_only_event_stream_accepted_gets_sse(post: Any) -> None:
    response = post(rpc("ping"), Accept="text/event-stream")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.get_data(as_text=True) == (
        'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n'
    )


def test_content_type_must_be_json(client: FlaskClient, mint: Minter) -> None:
    response = client.post(
        "/mcp", data="{}", headers={**auth_headers(mint()), "Content-Type": "text/plain"}
    )
    assert response.status_code == 415


def test_body_too_large(client: FlaskClient, mint: Minter) -> None:
    response = client.post(
        "/mcp",
        data=b"[" + b"1," * 600_000 + b"1]",
        headers={**auth_headers(mint()), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


# ----------------------------------------------------------------------- registry-driven parts


def build_registry() -> Registry:
    registry = Registry(name="fixture", version="1.0")

    @registry.tool("stream", description="streams", streaming=True)
    def stream(arguments: dict[str, Any], ctx: CallContext) -> str:
        ctx.log("info", {"step": 1}, logger="fixture")
        ctx.progress(1, 2, "half")
        answer = ctx.request("sampling/createMessage", {"messages": [], "maxTokens": 5}, timeout=10)
        return f"answer={answer['content']['text']}"

    @registry.tool("boom", description="raises")
    def boom(arguments: dict[str, Any], ctx: CallContext) -> str:
        raise RuntimeError("kaput")

    @registry.resource("test://r", name="r", mime_type="text/plain")
    def read_r(uri: str, ctx: CallContext) -> str:
        return "hello"

    @registry.resource("test://b", name="b", mime_type="application/octet-stream")
    def read_b(uri: str, ctx: CallContext) -> bytes:
        return b"\x00\x01"

    @registry.resource_template("test://t/{id}/data", name="t", mime_type="application/json")
    def read_t(uri: str, params: dict[str, str], ctx: CallContext) -> str:
        return '{"id":"' + params["id"] + '"}'

    @registry.prompt(
        "p", description="a prompt", arguments=[PromptArgument("who", "name", required=True)]
    )
    def prompt(arguments: dict[str, str], ctx: CallContext) -> list[dict[str, Any]]:
        return [{"role": "user", "content": {"type": "text", "text": "hi " + arguments["who"]}}]

    @registry.completion("ref/prompt", "p")
    def complete(name: str, value: str, context: dict[str, str]) -> list[str]:
        return [v for v in ("paris", "park", "rome") if v.startswith(value)]

    return registry


def test_dispatcher_with_another_registry() -> None:
    dispatcher = Dispatcher(build_registry())

    def call(method: str, params: dict[str, Any]) -> Any:
        return dispatcher.handle_request(
            rpc(method, params), auth=None, protocol_version="2025-11-25"
        )

    caps = call("initialize", {"protocolVersion": "2025-06-18"})["result"]["capabilities"]
    assert caps == {
        "logging": {},
        "completions": {},
        "prompts": {"listChanged": False},
        "resources": {"subscribe": True, "listChanged": False},
        "tools": {"listChanged": False},
    }
    assert call("resources/read", {"uri": "test://r"})["result"] == {
        "contents": [{"uri": "test://r", "mimeType": "text/plain", "text": "hello"}]
    }
    assert call("resources/read", {"uri": "test://b"})["result"]["contents"][0]["blob"] == "AAE="
    assert call("resources/read", {"uri": "test://t/42/data"})["result"]["contents"] == [
        {"uri": "test://t/42/data", "mimeType": "application/json", "text": '{"id":"42"}'}
    ]
    assert call("resources/read", {"uri": "test://none"})["error"] == {
        "code": -32002,
        "message": "Resource not found",
        "data": {"uri": "test://none"},
    }
    assert call("resources/templates/list", {})["result"] == {
        "resourceTemplates": [
            {"uriTemplate": "test://t/{id}/data", "name": "t", "mimeType": "application/json"}
        ]
    }
    assert call("resources/subscribe", {"uri": "test://r"})["result"] == {}
    assert call("prompts/get", {"name": "p", "arguments": {"who": "bo"}})["result"] == {
        "messages": [{"role": "user", "content": {"type": "text", "text": "hi bo"}}],
        "description": "a prompt",
    }
    assert call("prompts/get", {"name": "p"})["error"]["code"] == -32602
    assert call(
        "completion/complete",
        {"ref": {"type": "ref/prompt", "name": "p"}, "argument": {"name": "who", "value": "pa"}},
    )["result"] == {"completion": {"values": ["paris", "park"], "total": 2, "hasMore": False}}
    assert call("tools/call", {"name": "boom"})["result"] == {
        "content": [{"type": "text", "text": "Tool boom failed."}],
        "isError": True,
    }
    assert call("tools/call", {"name": "stream"})["error"]["message"] == (
        "sampling/createMessage needs a streamed (text/event-stream) response"
    )


def test_streams_are_bounded(
    config: ServerConfig, mint: Minter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_STREAMS running streams, a streamed call is refused with 503, not queued."""
    monkeypatch.setattr(mcp_handler, "MAX_STREAMS", 1)
    started, release = threading.Event(), threading.Event()
    registry = Registry(name="bounded", version="1.0")

    @registry.tool("wait", description="waits for the test", streaming=True)
    def wait(arguments: dict[str, Any], ctx: CallContext) -> str:
        started.set()
        release.wait(10)
        return "done"

    app = create_app(config=config, registry=registry)
    headers = auth_headers(mint("mcp:read"), Accept="text/event-stream")
    answers: list[TestResponse] = []
    holder = threading.Thread(  # the test client reads the whole stream: hold it elsewhere
        target=lambda: answers.append(
            app.test_client().post("/mcp", json=tool_call("wait"), headers=headers)
        )
    )
    try:
        holder.start()
        assert started.wait(10)
        client = app.test_client()
        refused = client.post("/mcp", json=tool_call("wait", id_=2), headers=headers)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        assert refused.get_json()["error"]["message"] == (
            "Service Unavailable: the limit of 1 concurrent streamed responses is reached; "
            "retry shortly"
        )
        release.set()
        holder.join(10)
        assert '"text":"done"' in answers[0].get_data(as_text=True)
        deadline = time.monotonic() + 10  # the slot frees when the tool's thread ends
        while True:
            again = client.post("/mcp", json=tool_call("wait", id_=3), headers=headers)
            if again.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert again.status_code == 200
        assert '"text":"done"' in again.get_data(as_text=True)
    finally:
        release.set()
        holder.join(10)
        cleanup_app(app)


def test_a_stream_whose_thread_cannot_start_frees_its_slot(
    config: ServerConfig, mint: Minter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mcp_handler, "MAX_STREAMS", 1)
    registry = Registry(name="bounded", version="1.0")

    @registry.tool("quick", description="answers at once", streaming=True)
    def quick(arguments: dict[str, Any], ctx: CallContext) -> str:
        return "done"

    def no_thread(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    app = create_app(config=config, registry=registry)
    try:
        client = app.test_client()
        headers = auth_headers(mint("mcp:read"), Accept="text/event-stream")
        # First a stream that works: the JWKS is fetched then (the test IdP serves each
        # connection on a thread, which the patch below would refuse).
        assert client.post("/mcp", json=tool_call("quick"), headers=headers).status_code == 200
        with monkeypatch.context() as patch:
            patch.setattr(threading.Thread, "start", no_thread)
            refused = client.post("/mcp", json=tool_call("quick"), headers=headers)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        assert refused.get_json()["error"]["message"] == "Service Unavailable: retry shortly"
        answered = client.post("/mcp", json=tool_call("quick"), headers=headers)  # slot is free
        assert answered.status_code == 200
        assert '"text":"done"' in answered.get_data(as_text=True)
    finally:
        cleanup_app(app)


def test_a_tool_raising_baseexception_still_ends_its_stream(
    config: ServerConfig, mint: Minter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slot is freed and the client's stream closes even when the tool thread dies."""
    monkeypatch.setattr(mcp_handler, "MAX_STREAMS", 1)
    # The tool thread's death is expected: keep it out of pytest's unhandled-exception report.
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    registry = Registry(name="bounded", version="1.0")

    @registry.tool("exit", description="dies", streaming=True)
    def exit_tool(arguments: dict[str, Any], ctx: CallContext) -> str:
        raise SystemExit(3)

    @registry.tool("quick", description="answers at once", streaming=True)
    def quick(arguments: dict[str, Any], ctx: CallContext) -> str:
        return "done"

    app = create_app(config=config, registry=registry)
    try:
        client = app.test_client()
        headers = auth_headers(mint("mcp:read"), Accept="text/event-stream")
        died = client.post("/mcp", json=tool_call("exit"), headers=headers)  # returns: stream ended
        assert died.status_code == 200
        assert died.get_data(as_text=True) == ""
        answered = client.post("/mcp", json=tool_call("quick"), headers=headers)
        assert answered.status_code == 200
        assert '"text":"done"' in answered.get_data(as_text=True)
    finally:
        cleanup_app(app)
