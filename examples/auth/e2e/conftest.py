"""Fixtures of the end-to-end tests: a real IdP, the example under gunicorn, real tokens.

Session-scoped and started once: `idp.mjs` (oidc-provider) on a free loopback port, then the
example (`py_auth_mcp_server`, installed from this checkout) under gunicorn with several workers,
configured with the IdP's issuer and JWKS and the MCP URL as audience. Everything is torn down at
the end of the session (process groups; a finalizer asserts that no process is left).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from authorization_server import AuthorizationServer, start_authorization_server
from managed_process import ManagedProcess, free_port, start, wait_for_http
from node_toolchain import NodeToolchain, ensure_node_toolchain

GUNICORN_WORKERS = 3


@dataclass(frozen=True)
class ExampleServer:
    """The example server under gunicorn."""

    process: ManagedProcess
    base_url: str
    mcp_url: str
    config_path: Path


@dataclass(frozen=True)
class Tokens:
    """Access tokens issued by the real IdP for this run."""

    no_scope: str
    read: str
    read_admin: str
    wrong_audience: str


def _pids_in_group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields: state ppid pgrp ...; zombies (state Z) are already dead.
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def _stop_and_check(process: ManagedProcess) -> None:
    process.stop()
    deadline = time.monotonic() + 5.0
    leftover = _pids_in_group(process.popen.pid)
    while leftover and time.monotonic() < deadline:  # SIGKILLed workers may need a moment
        time.sleep(0.1)
        leftover = _pids_in_group(process.popen.pid)
    assert not leftover, f"{process.name}: processes left after teardown: {leftover}"


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
def example_base_url(example_port: int) -> str:
    return f"http://127.0.0.1:{example_port}"


@pytest.fixture(scope="session")
def mcp_url(example_base_url: str) -> str:
    return f"{example_base_url}/mcp"


@pytest.fixture(scope="session")
def idp(
    node_toolchain: NodeToolchain, mcp_url: str, log_dir: Path
) -> Iterator[AuthorizationServer]:
    server = start_authorization_server(node_toolchain, default_resource=mcp_url, log_dir=log_dir)
    yield server
    _stop_and_check(server.process)


def _write_server_config(path: Path, *, port: int, base_url: str, idp: AuthorizationServer) -> None:
    path.write_text(
        "\n".join(
            [
                "# written by examples/auth/e2e/conftest.py for one test run",
                "host=127.0.0.1",
                f"port={port}",
                f"server_url={base_url}",
                f"auth_server_url={idp.issuer}",
                f"issuer={idp.issuer}",
                f"jwks_uri={idp.jwks_uri}",
                f"token_endpoint={idp.token_endpoint}",
                f"oauth_token_url={idp.token_endpoint}",
                "allowed_scopes=mcp:read mcp:admin",
                "request_timeout=10",
                "",
            ]
        ),
        encoding="utf-8",
    )


@pytest.fixture(scope="session")
def example_server(
    idp: AuthorizationServer, example_port: int, example_base_url: str, mcp_url: str, log_dir: Path
) -> Iterator[ExampleServer]:
    config_path = log_dir / "server.config"
    _write_server_config(config_path, port=example_port, base_url=example_base_url, idp=idp)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PY_AUTH_MCP_")  # never inherit a developer's overrides
    }
    env["PY_AUTH_MCP_CONFIG"] = str(config_path)
    process = start(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(GUNICORN_WORKERS),
            "--bind",
            f"127.0.0.1:{example_port}",
            "--graceful-timeout",
            "5",
            "py_auth_mcp_server.app:create_app()",
        ],
        log_dir=log_dir,
        env=env,
    )
    wait_for_http(process, f"{example_base_url}/health")
    yield ExampleServer(process, example_base_url, mcp_url, config_path)
    _stop_and_check(process)


@pytest.fixture(scope="session")
def tokens(idp: AuthorizationServer, mcp_url: str) -> Tokens:
    other_resource = f"http://127.0.0.1:{free_port()}/mcp"
    return Tokens(
        no_scope=idp.token(resource=mcp_url),
        read=idp.token("mcp:read", resource=mcp_url),
        read_admin=idp.token("mcp:read mcp:admin", resource=mcp_url),
        wrong_audience=idp.token("mcp:read mcp:admin", resource=other_resource),
    )
