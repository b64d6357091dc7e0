"""Shared fixtures: a loopback test IdP (JWKS + discovery + registration), real signed tokens,
and the example app with authentication ON."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import ServerConfig, load_config
from py_auth_mcp_server.dev_idp import JwtSigner

SECRET = "s3cr3t-client-secret-value-9f8e7d"
SERVER_URL = "http://127.0.0.1:3001"
MCP_URL = SERVER_URL + "/mcp"
METADATA_URL = "http://127.0.0.1:3001/.well-known/oauth-protected-resource/mcp"
ALL_SCOPES = "openid profile email mcp:read mcp:admin"
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LoopbackIdp:
    """A loopback authorization server for tests: JWKS, discovery, optional registration."""

    signers: list[JwtSigner]
    registration: bool = True
    jwks_status: int = 200
    registration_status: int = 201
    registrations: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path == "/jwks":
                    self._send(idp.jwks_status, {"keys": [s.public_jwk() for s in idp.signers]})
                elif self.path == "/.well-known/openid-configuration":
                    self._send(200, idp.metadata())
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == "/register" and idp.registration:
                    idp.registrations.append(body)
                    self._send(
                        idp.registration_status,
                        {
                            "client_id": "registered-1",
                            "redirect_uris": body.get("redirect_uris", []),
                        },
                    )
                else:
                    self._send(404, {"error": "not_found"})

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def jwks_uri(self) -> str:
        return self.issuer + "/jwks"

    def metadata(self) -> dict[str, Any]:
        document = {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.jwks_uri,
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        }
        if self.registration:
            document["registration_endpoint"] = self.issuer + "/register"
        return document

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def rs_signer() -> JwtSigner:
    return JwtSigner("RS256", kid="rs-test")


@pytest.fixture(scope="session")
def es_signer() -> JwtSigner:
    return JwtSigner("ES256", kid="es-test")


@pytest.fixture
def idp(rs_signer: JwtSigner, es_signer: JwtSigner) -> Iterator[LoopbackIdp]:
    server = LoopbackIdp([rs_signer, es_signer])
    yield server
    server.close()


def write_config(tmp_path: Path, idp: LoopbackIdp, extra: str = "") -> Path:
    path = tmp_path / "server.config"
    path.write_text(
        "# test configuration\n"
        "host = 127.0.0.1\nport = 3001\n"
        f"issuer = {idp.issuer}\njwks_uri = {idp.jwks_uri}\n"
        f"oauth_authorize_url = {idp.issuer}/authorize\n"
        f"client_id = weather-server\nclient_secret = {SECRET}\n"
        f"allowed_scopes = {ALL_SCOPES}\nrequest_timeout = 2\n" + extra,
        encoding="utf-8",
    )
    return path


@pytest.fixture
def config(tmp_path: Path, idp: LoopbackIdp) -> ServerConfig:
    return load_config(write_config(tmp_path, idp))


@pytest.fixture
def app(config: ServerConfig) -> Iterator[Flask]:
    application = create_app(config=config)
    yield application
    cleanup_app(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Minter:
    """Mints access tokens for the test IdP."""

    idp: LoopbackIdp
    signer: JwtSigner

    def __call__(
        self,
        scope: str = "",
        *,
        aud: Any = MCP_URL,
        iss: str | None = None,
        lifetime: int = 300,
        signer: JwtSigner | None = None,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": iss or self.idp.issuer,
            "sub": "user-42",
            "aud": aud,
            "iat": now,
            "exp": now + lifetime,
            "client_id": "test-client",
        }
        if scope:
            claims["scope"] = scope
        claims.update(extra)
        return (signer or self.signer).sign(claims)


@pytest.fixture
def mint(idp: LoopbackIdp, rs_signer: JwtSigner) -> Minter:
    return Minter(idp, rs_signer)


def rpc(method: str, params: dict[str, Any] | None = None, id_: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": id_, "method": method}
    if params is not None:
        message["params"] = params
    return message


def tool_call(name: str, arguments: dict[str, Any] | None = None, id_: Any = 1) -> dict[str, Any]:
    return rpc("tools/call", {"name": name, "arguments": arguments or {}}, id_)


def auth_headers(token: str, **extra: str) -> dict[str, str]:
    return {**MCP_HEADERS, "Authorization": f"Bearer {token}", **extra}
