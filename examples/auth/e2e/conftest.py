"""Fixtures of the end-to-end tests: a real IdP, the example under gunicorn, real tokens.

Session-scoped and started once: `idp.mjs` (oidc-provider) on a free loopback port, then the
example (`py_auth_mcp_server`, installed from this checkout) under gunicorn with several workers,
configured with the IdP's issuer and JWKS and the MCP URL as audience. Both are torn down at the
end of the session and a finalizer asserts that no process of theirs is left.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helper modules live next to the tests; make them importable under any --import-mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from authorization_server import (
    AuthorizationServer,
    Tokens,
    start_authorization_server,
)
from example_server import ExampleServer, start_example_server
from managed_process import free_port, stop_and_verify
from node_toolchain import NodeToolchain, ensure_node_toolchain


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-logs")


@pytest.fixture(scope="session")
def node_toolchain() -> NodeToolchain:
    return ensure_node_toolchain()


@pytest.fixture(scope="session")
def example_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def mcp_url(example_port: int) -> str:
    return f"http://127.0.0.1:{example_port}/mcp"


@pytest.fixture(scope="session")
def idp(
    node_toolchain: NodeToolchain, mcp_url: str, log_dir: Path
) -> Iterator[AuthorizationServer]:
    server = start_authorization_server(node_toolchain, default_resource=mcp_url, log_dir=log_dir)
    yield server
    stop_and_verify(server.process)


@pytest.fixture(scope="session")
def example_server(
    idp: AuthorizationServer, example_port: int, log_dir: Path
) -> Iterator[ExampleServer]:
    server = start_example_server(idp, port=example_port, log_dir=log_dir)
    yield server
    stop_and_verify(server.process)


@pytest.fixture(scope="session")
def tokens(idp: AuthorizationServer, mcp_url: str) -> Tokens:
    other_resource = f"http://127.0.0.1:{free_port()}/mcp"
    return Tokens(
        no_scope=idp.token(resource=mcp_url),
        read=idp.token("mcp:read", resource=mcp_url),
        read_admin=idp.token("mcp:read mcp:admin", resource=mcp_url),
        wrong_audience=idp.token("mcp:read mcp:admin", resource=other_resource),
    )
