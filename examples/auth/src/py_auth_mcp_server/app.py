"""The Flask application factory.

``create_app()`` with no arguments reads its settings from the environment, which is how
gunicorn runs it (``gunicorn -w 4 'py_auth_mcp_server.app:create_app()'``):

- ``PY_AUTH_MCP_CONFIG``: path of a ``server.config`` file
- ``PY_AUTH_MCP_HOST`` / ``PY_AUTH_MCP_PORT``: as ``--host`` / ``--port``
- ``PY_AUTH_MCP_NO_AUTH=1``: as ``--no-auth``; ``PY_AUTH_MCP_CONFORMANCE=1``: as ``--conformance``

Every worker builds the same app from the same settings and keeps no state another worker
would need: the token validator is per process, the auth context per request.
"""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from . import __version__
from .config import ConfigError, ServerConfig, load_config
from .dev_idp import require_loopback
from .idp_metadata import IdpMetadata
from .mcp.dispatcher import Dispatcher
from .mcp.registry import Registry
from .middleware.oauth_auth import OAuthGuard, warn_auth_disabled
from .routes.errors import install_error_handlers
from .routes.health import create_health_blueprint
from .routes.mcp_handler import create_mcp_blueprint
from .routes.oauth_endpoints import create_oauth_blueprint
from .routes.origin import OriginPolicy
from .routes.origin import install as install_origin_screen
from .tools.weather_tools import build_weather_registry

__all__ = ["EXTENSION_KEY", "ServerState", "cleanup_app", "create_app"]

EXTENSION_KEY = "py_auth_mcp_server"


@dataclass(frozen=True)
class ServerState:
    """What one app instance is built from (kept on ``app.extensions``)."""

    config: ServerConfig
    guard: OAuthGuard
    registry: Registry


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_port() -> int | None:
    value = os.environ.get("PY_AUTH_MCP_PORT")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"PY_AUTH_MCP_PORT must be a port number, got {value!r}") from None


def _conformance_registry() -> Registry:
    from .conformance import build_registry

    return build_registry()


def create_app(
    config_path: str | Path | None = None,
    *,
    config: ServerConfig | None = None,
    host: str | None = None,
    port: int | None = None,
    no_auth: bool | None = None,
    conformance: bool | None = None,
    registry: Registry | None = None,
) -> Flask:
    """Build the server.

    Args:
        config_path: a ``server.config`` file (default: ``$PY_AUTH_MCP_CONFIG``, else none).
        config: an already resolved configuration (then ``config_path``/overrides are unused).
        host: as ``--host`` (default: ``$PY_AUTH_MCP_HOST``, else the config).
        port: as ``--port`` (default: ``$PY_AUTH_MCP_PORT``, else the config).
        no_auth: as ``--no-auth`` (default: ``$PY_AUTH_MCP_NO_AUTH``).
        conformance: serve the MCP conformance fixtures, auth off, loopback only.
        registry: serve these tools/resources/prompts instead of the weather tools.

    Raises:
        ConfigError: bad settings, or auth on without an issuer/JWKS.
        gopher_mcp_python.ffi.auth.NativeLibraryError: the native library is missing — the
            server never starts without its validator.

    """
    if conformance is None:
        conformance = _env_flag("PY_AUTH_MCP_CONFORMANCE")
    if config is None:
        path = config_path or os.environ.get("PY_AUTH_MCP_CONFIG") or None
        config = load_config(
            path,
            host=host if host is not None else os.environ.get("PY_AUTH_MCP_HOST") or None,
            port=port if port is not None else _env_port(),
            no_auth=no_auth if no_auth is not None else _env_flag("PY_AUTH_MCP_NO_AUTH"),
        )
    if conformance:
        try:
            require_loopback(config.host)
        except ValueError as exc:
            raise ConfigError(f"--conformance serves loopback only: {exc}") from None
        config = dataclasses.replace(config, auth_disabled=True)
        registry = _conformance_registry()
    elif registry is None:
        registry = build_weather_registry(__version__)
    if config.auth_disabled:
        warn_auth_disabled("conformance mode" if conformance else "auth_disabled=true / --no-auth")
    guard = OAuthGuard(config, registry.tool_scopes())
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1_048_576
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION_KEY] = ServerState(config, guard, registry)
    install_origin_screen(app, OriginPolicy(config.server_url))
    install_error_handlers(app)
    app.register_blueprint(
        create_health_blueprint(guard, time.monotonic(), details=config.health_details)
    )
    app.register_blueprint(
        create_oauth_blueprint(guard, IdpMetadata(config), config.request_timeout)
    )
    app.register_blueprint(create_mcp_blueprint(Dispatcher(registry), guard))
    return app


def cleanup_app(app: Flask) -> None:
    """Release what ``create_app`` acquired (the native validator)."""
    state = app.extensions.pop(EXTENSION_KEY, None)
    if isinstance(state, ServerState):
        state.guard.close()
