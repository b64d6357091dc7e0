"""Run the example (`py_auth_mcp_server`, installed from this checkout) under gunicorn."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from authorization_server import AuthorizationServer
from managed_process import ManagedProcess, start, wait_for_http

GUNICORN_WORKERS = 3


@dataclass(frozen=True)
class ExampleServer:
    """The example server under gunicorn."""

    process: ManagedProcess
    base_url: str
    mcp_url: str
    config_path: Path

    @property
    def resource_metadata_url(self) -> str:
        """The RFC 9728 metadata URL of the MCP endpoint (path-suffixed form)."""
        return f"{self.base_url}/.well-known/oauth-protected-resource/mcp"


def write_server_config(
    path: Path,
    *,
    port: int,
    base_url: str,
    idp: AuthorizationServer,
    extra: Sequence[str] = (),
) -> None:
    """A `server.config` pointing the example at the IdP; the audience defaults to `<url>/mcp`.

    `extra`: more `key=value` lines (e.g. the introspection keys).
    """
    lines = [
        "# written by examples/auth/e2e for one test run",
        "host=127.0.0.1",
        f"port={port}",
        f"server_url={base_url}",
        f"auth_server_url={idp.issuer}",
        f"issuer={idp.issuer}",
        f"jwks_uri={idp.jwks_uri}",
        f"token_endpoint={idp.token_endpoint}",
        f"oauth_token_url={idp.token_endpoint}",
        f"oauth_authorize_url={idp.issuer}/auth",  # oidc-provider's path (not Keycloak's)
        "allowed_scopes=mcp:read mcp:admin",
        "request_timeout=10",
        *extra,
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_gunicorn(
    config_path: Path,
    *,
    port: int,
    log_dir: Path,
    workers: int = GUNICORN_WORKERS,
    extra_args: Sequence[str] = (),
) -> ManagedProcess:
    """Run the example under gunicorn on 127.0.0.1:`port` with `config_path`; wait for /health.

    The one way every harness here (e2e, robustness, benchmarks) starts the production server:
    the documented command, several workers, the configuration through PY_AUTH_MCP_CONFIG.
    """
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
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
            # gunicorn >= 24 opens ~/.gunicorn/gunicorn.ctl by default: one path shared by every
            # gunicorn of this user on the machine (parallel jobs); the tests need no control.
            "--no-control-socket",
            *extra_args,
            "py_auth_mcp_server.app:create_app()",
        ],
        log_dir=log_dir,
        env=env,
    )
    wait_for_http(process, f"http://127.0.0.1:{port}/health")
    return process


def start_example_server(
    idp: AuthorizationServer,
    *,
    port: int,
    log_dir: Path,
    workers: int = GUNICORN_WORKERS,
    extra_config: Sequence[str] = (),
    config_name: str = "server.config",
) -> ExampleServer:
    """Start gunicorn with `workers` workers on 127.0.0.1:`port`; return once /health is 200."""
    base_url = f"http://127.0.0.1:{port}"
    config_path = log_dir / config_name
    write_server_config(config_path, port=port, base_url=base_url, idp=idp, extra=extra_config)
    process = start_gunicorn(config_path, port=port, log_dir=log_dir, workers=workers)
    return ExampleServer(process, base_url, f"{base_url}/mcp", config_path)
