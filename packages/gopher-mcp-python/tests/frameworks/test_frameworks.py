"""Each framework, protected the documented one-line way, under uvicorn, against real clients.

Which framework is under test comes from ``GOPHER_FRAMEWORK`` (``mcp1``, ``mcp2``, ``fastmcp``,
``starlette``, ``fastapi``): each runs in its own tox environment with its own pinned packages
(``tox -e fw-<name>``). The official ``mcp`` client of that environment lists and calls tools;
raw HTTP checks each refusal, the session binding and what a tool sees as its caller.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from auth.servers.process import free_port, run
from jose_mint import SigningKey, generate_key, jwks, mint
from jwks_server import serve_jwks

FRAMEWORK = os.environ.get("GOPHER_FRAMEWORK", "")
TESTS = Path(__file__).resolve().parents[1]
ISSUER = "https://idp.frameworks.test"  # path-less, no slash: 1.x AuthSettings would add one
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
PROTOCOL = "2025-06-18"
REST = FRAMEWORK in ("starlette", "fastapi")


@dataclass
class Server:
    url: str
    marker: Path
    key: SigningKey

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"

    def token(self, scope: str = "mcp:read", *, sub: str = "alice", **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "sub": sub,
            "aud": self.mcp,
            "iat": now,
            "exp": now + 300,
            "scope": scope,
            "client_id": "frameworks-client",
        }
        payload.update(claims)
        return mint(self.key, payload)


def _start(key: SigningKey, jwks_uri: str, tmp: Path) -> Iterator[Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    marker = tmp / f"admin-ran-{port}"
    env = {
        "GOPHER_TEST_JWKS_URI": jwks_uri,
        "GOPHER_TEST_ISSUER": ISSUER,
        "GOPHER_TEST_SERVER_URL": url,
        "GOPHER_TEST_MARKER": str(marker),
    }
    command = [
        *(sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(TESTS)),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        f"frameworks.apps:{FRAMEWORK}",
    ]
    with run(command, env, port):
        yield Server(url, marker, key)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("RS256", "fw-1")


@pytest.fixture(scope="module")
def server(key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    assert FRAMEWORK, "set GOPHER_FRAMEWORK (tox -e fw-<framework> does)"
    with serve_jwks(jwks(key)) as keys:
        yield from _start(key, keys.url, tmp_path_factory.mktemp("fw"))


@pytest.fixture(scope="module")
def outage_server(key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The same app whose JWKS URI answers nothing (no keys were ever loaded)."""
    yield from _start(key, f"http://127.0.0.1:{free_port()}/jwks", tmp_path_factory.mktemp("out"))


# ---------------------------------------------------------------- raw HTTP helpers


def _rpc(method: str, params: dict[str, Any] | None = None, id_: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": method, "params": params or {}}


def _initialize() -> dict[str, Any]:
    return _rpc(
        "initialize",
        {
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    )


def _post(
    url: str, body: object, token: str | None = None, session: str | None = None
) -> httpx.Response:
    headers = dict(ACCEPT)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if session is not None:
        headers["Mcp-Session-Id"] = session
        headers["Mcp-Protocol-Version"] = PROTOCOL
    return httpx.post(url, json=body, headers=headers, timeout=15)


def _result(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC message of a JSON or SSE response."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        messages = [json.loads(d) for d in data if d]
        return next(m for m in messages if "result" in m or "error" in m)
    return dict(response.json())


def _open_session(server: Server, token: str) -> str:
    response = _post(server.mcp, _initialize(), token)
    assert response.status_code == 200, response.text
    session = response.headers["mcp-session-id"]
    notified = _post(
        server.mcp, {"jsonrpc": "2.0", "method": "notifications/initialized"}, token, session
    )
    assert notified.status_code == 202, notified.text
    return session


def _whoami(server: Server, token: str, session: str) -> httpx.Response:
    return _post(
        server.mcp, _rpc("tools/call", {"name": "whoami", "arguments": {}}, 7), token, session
    )


def _seen(response: httpx.Response) -> dict[str, Any]:
    message = _result(response)
    return dict(json.loads(message["result"]["content"][0]["text"]))


def _challenge(response: httpx.Response) -> str:
    return response.headers.get("www-authenticate", "")


def _challenge_scopes(response: httpx.Response) -> set[str]:
    match = re.search(r'scope="([^"]*)"', _challenge(response))
    return set(match.group(1).split()) if match else set()


# ---------------------------------------------------------------- the official client


async def _with_client(server: Server, token: str) -> tuple[set[str], str, Any]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    try:  # mcp 2.x clients take an httpx2 client; 1.x an httpx one
        import httpx2 as http
    except ImportError:
        http = httpx
    client = http.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15)
    async with (
        client,
        streamable_http_client(server.mcp, http_client=client) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        tools = {tool.name for tool in (await session.list_tools()).tools}
        echoed = await session.call_tool("echo", {"text": "hi"})
        admin = await session.call_tool("admin-op", {})
        text = echoed.content[0].text  # type: ignore[union-attr]
        return tools, text, admin


def test_the_official_client_lists_and_calls_tools(server: Server) -> None:
    import anyio

    tools, text, admin = anyio.run(_with_client, server, server.token("mcp:read mcp:admin"))
    assert {"echo", "whoami", "admin-op"} <= tools
    assert text == "hi"
    assert admin is not None
    failed = admin.is_error if hasattr(admin, "is_error") else admin.isError  # 2.x, 1.x names
    assert not failed
    assert server.marker.exists()


# ---------------------------------------------------------------- refusals


def test_no_token_is_401_with_metadata_and_scope_but_no_error(server: Server) -> None:
    response = _post(server.mcp, _initialize())
    assert response.status_code == 401
    challenge = _challenge(response)
    assert challenge.startswith("Bearer ")
    assert f'resource_metadata="{server.url}/.well-known/oauth-protected-resource/mcp"' in challenge
    assert "scope=" in challenge
    assert "error=" not in challenge


def test_the_metadata_names_the_issuer_exactly(server: Server) -> None:
    response = httpx.get(server.url + "/.well-known/oauth-protected-resource/mcp", timeout=10)
    assert response.status_code == 200
    document = response.json()
    assert document["resource"] == server.mcp
    assert document["authorization_servers"] == [ISSUER]


@pytest.mark.parametrize("case", ["expired", "forged", "foreign-issuer", "wrong-audience"])
def test_bad_tokens_are_401_invalid_token(server: Server, case: str) -> None:
    other = generate_key("RS256", "fw-1")  # same kid, another key: a forgery
    token = {
        "expired": server.token(exp=int(time.time()) - 3600),
        "forged": mint(
            other, {"iss": ISSUER, "sub": "x", "aud": server.mcp, "exp": int(time.time()) + 60}
        ),
        "foreign-issuer": server.token(iss="https://elsewhere.test/"),
        "wrong-audience": server.token(aud="https://other.test/mcp"),
    }[case]
    response = _post(server.mcp, _initialize(), token)
    assert response.status_code == 401, response.text
    assert 'error="invalid_token"' in _challenge(response)


def test_a_missing_tool_scope_is_403_before_the_tool_runs(server: Server) -> None:
    token = server.token("mcp:read", sub="reader")
    session = _open_session(server, token)
    before = server.marker.read_text() if server.marker.exists() else ""
    call = _rpc("tools/call", {"name": "admin-op", "arguments": {}}, 3)
    response = _post(server.mcp, call, token, session)
    assert response.status_code == 403, response.text
    assert 'error="insufficient_scope"' in _challenge(response)
    assert "mcp:admin" in _challenge_scopes(response)
    after = server.marker.read_text() if server.marker.exists() else ""
    assert after == before  # the tool did not run


def test_a_token_inside_the_clock_skew_is_accepted(server: Server) -> None:
    token = server.token(exp=int(time.time()) - 30)  # 30 s past exp; the skew is 60 s
    session = _open_session(server, token)
    assert _whoami(server, token, session).status_code == 200


def test_no_keys_at_all_is_503_with_retry_after(outage_server: Server) -> None:
    response = _post(outage_server.mcp, _initialize(), outage_server.token())
    assert response.status_code == 503, response.text
    assert response.headers.get("retry-after")
    assert "www-authenticate" not in response.headers


# ---------------------------------------------------------------- sessions and identity


def test_another_principals_token_cannot_use_a_session(server: Server) -> None:
    session = _open_session(server, server.token(sub="alice"))
    response = _whoami(server, server.token(sub="mallory"), session)
    assert response.status_code in (403, 404), response.text


def test_a_refreshed_token_of_the_same_principal_keeps_the_session(server: Server) -> None:
    first = server.token(sub="alice", jti="one")
    session = _open_session(server, first)
    refreshed = server.token("mcp:read mcp:admin", sub="alice", jti="two")
    response = _whoami(server, refreshed, session)
    assert response.status_code == 200, response.text


def test_a_tool_sees_the_current_requests_token(server: Server) -> None:
    opener = server.token("mcp:read mcp:admin", sub="alice", jti="opener")
    session = _open_session(server, opener)
    current = server.token("mcp:read", sub="alice", jti="current")
    seen = _seen(_whoami(server, current, session))
    assert seen["ours"] == {"sub": "alice", "scopes": ["mcp:read"]}
    digest = hashlib.sha256(current.encode()).hexdigest()[:16]
    if FRAMEWORK == "mcp1":
        # mcp 1.x runs a session's tools in the task of its first request: the SDK's
        # get_access_token() reports the opener (python-sdk#2208); ours reads the request state
        assert seen["sdk"] is not None
    elif FRAMEWORK in ("mcp2", "fastmcp"):
        assert seen["sdk"] == {"sub": "alice", "token": digest}


# ---------------------------------------------------------------- REST routes (Starlette, FastAPI)


@pytest.mark.skipif(not REST, reason="REST routes exist only in the Starlette and FastAPI apps")
def test_rest_routes_get_the_identity_and_their_scopes(server: Server) -> None:
    def get(path: str, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(server.url + path, headers=headers, timeout=10)

    reader = server.token("mcp:read", sub="bob")
    nobody = server.token("profile", sub="carol")
    assert get("/api/me", None).status_code == 401
    assert get("/api/me", reader).json() == {"sub": "bob", "scopes": ["mcp:read"]}
    # a path rule of the ScopePolicy: the middleware's own 403 challenge
    denied = get("/api/admin", reader)
    assert denied.status_code == 403
    assert 'error="insufficient_scope"' in _challenge(denied)
    assert "mcp:admin" in _challenge_scopes(denied)
    for spelling in ("//api/admin", "/api/x/../admin", "/api/admin/"):
        assert get(spelling, reader).status_code in (403, 404), spelling
    assert get("/api/admin", server.token("mcp:read mcp:admin", sub="root")).json() == {
        "admin": "root"
    }
    # the framework's own scope check: Starlette's @requires, FastAPI's Security(scopes=…)
    assert get("/api/reader", reader).json() == {"reader": "bob"}
    refused = get("/api/reader", nobody)
    assert refused.status_code == 403
    if FRAMEWORK == "fastapi":
        assert 'error="insufficient_scope"' in _challenge(refused)
        assert "mcp:read" in _challenge_scopes(refused)


# ---------------------------------------------------------------- MCP 2026-07-28

MODERN = "2026-07-28"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


def _post_modern(server: Server, token: str, tool: str, header_name: str) -> httpx.Response:
    """A stateless 2026-07-28 ``tools/call`` of ``tool`` whose ``Mcp-Name`` says ``header_name``."""
    body = _rpc("tools/call", {"name": tool, "arguments": {}, "_meta": MODERN_META}, 9)
    headers = {
        **ACCEPT,
        "Authorization": f"Bearer {token}",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": header_name,
    }
    return httpx.post(server.mcp, json=body, headers=headers, timeout=15)


def test_2026_07_28_scopes_come_from_the_headers(server: Server) -> None:
    """On 2026-07-28 the adapter decides from Mcp-Name: 403 for admin-op without mcp:admin."""
    before = server.marker.read_text() if server.marker.exists() else ""
    response = _post_modern(server, server.token("mcp:read"), "admin-op", "admin-op")
    assert response.status_code == 403, response.text
    assert "mcp:admin" in _challenge_scopes(response)
    after = server.marker.read_text() if server.marker.exists() else ""
    assert after == before  # the tool did not run


def test_2026_07_28_a_header_body_mismatch_never_runs_the_tool(server: Server) -> None:
    """``Mcp-Name: echo`` with a body calling admin-op: 400 / -32020 before anything runs."""
    before = server.marker.read_text() if server.marker.exists() else ""
    response = _post_modern(server, server.token("mcp:read"), "admin-op", "echo")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == -32020
    assert response.json()["id"] == 9
    after = server.marker.read_text() if server.marker.exists() else ""
    assert after == before


@pytest.mark.skipif(
    FRAMEWORK not in ("mcp2", "fastmcp"), reason="only the mcp 2.x client speaks 2026-07-28"
)
def test_2026_07_28_the_mcp2_client_negotiates_it_behind_the_adapter(server: Server) -> None:
    """The official 2.x client negotiates 2026-07-28 through the adapter and calls a tool."""
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def main() -> tuple[str, Any]:
        token = server.token("mcp:read mcp:admin")
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15)
        async with http, Client(streamable_http_client(server.mcp, http_client=http)) as client:
            return client.protocol_version, await client.call_tool("admin-op", {})

    version, result = anyio.run(main)
    assert version == MODERN
    assert not result.is_error
