"""Regressions of the attacks on the running example (issue "Fail closed at every door").

Each test reproduces one finding against the app as it serves requests: the Host/Origin screen on
every endpoint, JSON on every error, bounded echoes and bodies, a tool's failure kept on the
server, and the IdP-metadata proxy that must not hold a worker while the IdP is silent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import ServerConfig, load_config
from py_auth_mcp_server.idp_metadata import IdpMetadata
from py_auth_mcp_server.mcp.protocol import MAX_ECHO

from .conftest import LoopbackIdp, Minter, auth_headers, rpc, tool_call, write_config

ENDPOINTS = [
    ("GET", "/health"),
    ("GET", "/.well-known/oauth-protected-resource"),
    ("GET", "/.well-known/oauth-protected-resource/mcp"),
    ("GET", "/.well-known/oauth-authorization-server"),
    ("GET", "/.well-known/openid-configuration"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/register"),
    ("POST", "/mcp"),
    ("GET", "/mcp"),
    ("GET", "/nowhere"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://[::1"},  # used to raise inside urlsplit: a 500 with a traceback
        {"Origin": "http://127.0.0.1:evil"},
        {"Origin": "null"},
        {"Host": "evil.example"},
        {"Host": "127.0.0.1:evil.com"},  # the port used to be ignored
        {"Host": "[::1"},
        {"Host": "evil@127.0.0.1"},
    ],
)
def test_every_endpoint_screens_host_and_origin(
    client: FlaskClient, idp: LoopbackIdp, method: str, path: str, headers: dict[str, str]
) -> None:
    response = client.open(path, method=method, headers=headers, json={"redirect_uris": []})
    assert response.status_code == 403, (path, headers, response.data[:200])
    assert response.mimetype == "application/json"
    body = response.get_json()
    text = body["error"]["message"] if path == "/mcp" else body["error_description"]
    assert text.startswith("Forbidden: ")
    assert idp.registrations == []  # nothing was forwarded


@pytest.mark.parametrize("origin", ["http://127.0.0.1:3001", "http://localhost:6274", None])
def test_good_origins_still_pass(client: FlaskClient, origin: str | None) -> None:
    headers = {"Origin": origin} if origin else {}
    assert (
        client.get("/.well-known/oauth-protected-resource/mcp", headers=headers).status_code == 200
    )


def test_registration_needs_a_json_body(client: FlaskClient, idp: LoopbackIdp) -> None:
    """A cross-site form post (text/plain, no pre-flight) used to be relayed to the IdP as JSON."""
    data = json.dumps({"redirect_uris": ["http://127.0.0.1/cb"]})
    response = client.post("/oauth/register", data=data, content_type="text/plain")
    assert response.status_code == 415
    assert response.get_json()["error"] == "invalid_client_metadata"
    assert idp.registrations == []
    response = client.post("/oauth/register", data=data, content_type="application/json")
    assert response.status_code == 201
    assert len(idp.registrations) == 1


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("PUT", "/mcp", 405), ("POST", "/health", 405)],
)
def test_errors_are_json_not_html(
    client: FlaskClient, mint: Minter, method: str, path: str, status: int
) -> None:
    response = client.open(path, method=method, headers=auth_headers(mint()))
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert b"<html" not in response.data.lower()


def test_an_unhandled_exception_is_a_json_500(app: Flask) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("internal detail that must not leak")

    app.testing = False  # answer like production instead of raising into the test
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert b"internal detail" not in response.data


def test_bearer_tab_is_a_malformed_credential(client: FlaskClient, mint: Minter) -> None:
    headers = {"Authorization": f"Bearer\t{mint()}", "Accept": "application/json"}
    response = client.post("/mcp", json=rpc("ping"), headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request"


def test_long_names_are_not_echoed_whole(client: FlaskClient, mint: Minter) -> None:
    token = mint("mcp:read mcp:admin")
    long_name = "m" * 900_000
    for message in (rpc(long_name), tool_call(long_name), rpc("prompts/get", {"name": long_name})):
        response = client.post("/mcp", json=message, headers=auth_headers(token))
        assert len(response.data) < 4 * MAX_ECHO + 500, response.data[:200]


def test_a_lone_surrogate_is_invalid_params(client: FlaskClient, mint: Minter) -> None:
    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-weather",'
    body += b'"arguments":{"city":"\\ud800"}}}'
    response = client.post(
        "/mcp",
        data=body,
        headers=auth_headers(mint(), **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 200
    error = response.get_json()["error"]
    assert error["code"] == -32602
    assert "lone surrogate" in error["message"]


def test_a_tool_failure_stays_on_the_server(
    app: Flask, client: FlaskClient, mint: Minter, caplog: pytest.LogCaptureFixture
) -> None:
    registry = app.extensions["py_auth_mcp_server"].registry
    tool = registry.tools["get-weather"]

    def failing(arguments: dict[str, Any], ctx: Any) -> Any:
        raise ValueError("secret internal path /srv/weather/db")

    registry.tools["get-weather"] = dataclasses.replace(tool, handler=failing)
    with caplog.at_level(logging.ERROR, logger="py_auth_mcp_server.mcp"):
        for _ in range(3):
            response = client.post(
                "/mcp",
                json=tool_call("get-weather", {"city": "Paris"}),
                headers=auth_headers(mint()),
            )
            result = response.get_json()["result"]
            assert result["isError"] is True
            assert "secret" not in json.dumps(result)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # once with the traceback, then one line per failure
    assert len(caplog.records) == 3


def test_health_details_are_opt_in(tmp_path: Path, idp: LoopbackIdp) -> None:
    for extra, keys in (
        ("", {"status", "timestamp"}),
        ("health_details = true\n", {"status", "timestamp", "version", "uptime", "auth"}),
    ):
        app = create_app(config=load_config(write_config(tmp_path, idp, extra)))
        try:
            assert set(app.test_client().get("/health").get_json()) == keys
        finally:
            cleanup_app(app)


class _SilentIdp:
    """A TCP server that accepts connections and never answers until closed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        # shutdown() wakes the accept() blocked in the server thread (close() alone does not),
        # so no connection is accepted after the held ones are closed
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self.sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def silent_idp() -> Iterator[_SilentIdp]:
    server = _SilentIdp()
    yield server
    server.close()


def test_metadata_of_a_silent_idp_does_not_hold_requests(silent_idp: _SilentIdp) -> None:
    """Requests are answered while the one fetch waits on the IdP (it used to be one per request,
    each holding its worker for request_timeout per discovery URL)."""
    config = ServerConfig(
        issuer=silent_idp.url,
        jwks_uri=silent_idp.url + "/jwks",
        request_timeout=60,
        server_url="http://127.0.0.1:3001",
    )
    metadata = IdpMetadata(config, first_wait=0.2)
    answers: list[object] = []
    threads = [threading.Thread(target=lambda: answers.append(metadata.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)  # liveness bound, far below the 60 s the fetch may take
    assert len(answers) == 8
    assert answers == [None] * 8  # no configured endpoints to fall back on
    assert silent_idp.accepted == 1  # single flight: one connection to the IdP
    assert metadata.get() is None  # asked again: answered at once, no new fetch
    assert silent_idp.accepted == 1
