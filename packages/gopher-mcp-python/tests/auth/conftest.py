"""Fixtures of the resource-server layer tests: real keys, a real loopback JWKS server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gopher_mcp_python.auth import Authenticator, ResourceServerConfig, ScopePolicy

from .jose import SigningKey, ec_key, jwks_of, rsa_key

ISSUER = "https://idp.test/realms/mcp"
SERVER_URL = "http://127.0.0.1:3001"
RESOURCE = SERVER_URL + "/mcp"


class JwksServer:
    """A loopback HTTP server publishing a JWK Set (swappable; can be made to fail)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.status = 200
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                body = json.dumps(outer.jwks).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def rs_key() -> SigningKey:
    return rsa_key("rs-1")


@pytest.fixture(scope="session")
def es_key() -> SigningKey:
    return ec_key("es-1")


@pytest.fixture
def jwks_server(rs_key: SigningKey, es_key: SigningKey) -> Iterator[JwksServer]:
    server = JwksServer(jwks_of(rs_key, es_key))
    yield server
    server.close()


POLICY = ScopePolicy(
    tools={"get-forecast": ("mcp:read",), "get-weather-alerts": ("mcp:admin",)},
    methods={"resources/read": ("mcp:read",)},
)


def make_config(jwks_uri: str, **overrides: Any) -> ResourceServerConfig:
    settings: dict[str, Any] = {
        "server_url": SERVER_URL,
        "issuer": ISSUER,
        "jwks_uri": jwks_uri,
        "scopes_supported": ("openid", "mcp:read", "mcp:admin"),
        "scope_policy": POLICY,
        "client_options": {"request_timeout": "2"},
    }
    settings.update(overrides)
    return ResourceServerConfig(**settings)


@pytest.fixture
def config(jwks_server: JwksServer) -> ResourceServerConfig:
    return make_config(jwks_server.url)


@pytest.fixture
def authenticator(config: ResourceServerConfig) -> Iterator[Authenticator]:
    auth = Authenticator(config)
    yield auth
    auth.close()
