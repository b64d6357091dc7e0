"""The command line: ``python -m py_auth_mcp_server [CONFIG] [options]``.

Options: ``--host H``, ``--port P``, ``--no-auth``, ``--dev-idp`` (``--dev-idp-port``,
``--dev-idp-token-lifetime``), ``--conformance``.

Runs the server on Werkzeug's threaded server, for development and demos. In production run
it under gunicorn (see the README).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from gopher_mcp_python.ffi.auth import GopherAuthException
from werkzeug.serving import run_simple

from .app import cleanup_app, create_app
from .config import ConfigError, ServerConfig, load_config
from .dev_idp import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevIdentityProvider
from .dev_idp.server import TOKEN_LIFETIME

__all__ = ["main", "parse_args"]

DEFAULT_CONFIG = "server.config"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m py_auth_mcp_server",
        description="An OAuth-protected MCP server (gopher-mcp-python example).",
    )
    parser.add_argument(
        "config",
        nargs="?",
        default=None,
        help=f"path of a server.config file (default: ./{DEFAULT_CONFIG} if it exists)",
    )
    parser.add_argument("--host", help="interface to listen on (default from config: 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        help="port to listen on; also updates every advertised URL (default from config: 3001)",
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="turn authentication OFF (development only; loud warning)",
    )
    parser.add_argument(
        "--dev-idp",
        action="store_true",
        help="start a development-only IdP on loopback and trust it",
    )
    parser.add_argument(
        "--dev-idp-port",
        type=int,
        default=None,
        help="port of the development IdP (default: server port + 1)",
    )
    parser.add_argument(
        "--dev-idp-token-lifetime",
        type=int,
        default=None,
        metavar="SECONDS",
        help="lifetime of the development IdP's access tokens (default: 300)",
    )
    parser.add_argument(
        "--conformance",
        action="store_true",
        help="serve the MCP conformance fixtures, auth off, loopback only",
    )
    args = parser.parse_args(argv)
    if args.port is not None and not 1 <= args.port <= 65535:
        parser.error("--port must be 1..65535")
    if args.dev_idp_token_lifetime is not None and not 1 <= args.dev_idp_token_lifetime <= 86400:
        parser.error("--dev-idp-token-lifetime must be 1..86400 seconds")
    return args


def _usage_text(config: ServerConfig, idp: DevIdentityProvider) -> str:
    mcp = config.mcp_url
    headers = "-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'"

    def token(scope: str) -> str:
        return (
            f"TOKEN=$(curl -s -u {DEV_CLIENT_ID}:{DEV_CLIENT_SECRET} "
            f"-d grant_type=client_credentials -d 'scope={scope}' {idp.token_url} "
            "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
        )

    def call(tool: str, arguments: str) -> str:
        body = (
            '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'
            + tool
            + '","arguments":'
            + arguments
            + "}}"
        )
        return f"curl -s {mcp} {headers} -H \"Authorization: Bearer $TOKEN\" -d '{body}'"

    return "\n".join(
        [
            "=" * 72,
            "DEVELOPMENT IdP (development only, loopback, not for production)",
            f"  issuer: {idp.issuer}   token endpoint: {idp.token_url}",
            f"  demo client: {DEV_CLIENT_ID} / {DEV_CLIENT_SECRET}",
            "",
            "Connect an interactive MCP client: the MCP URL is all it needs.",
            f"  Claude Code:   claude mcp add --transport http weather {mcp}",
            f"  VS Code:       MCP: Add Server... > HTTP > {mcp}",
            f"  MCP Inspector: npx @modelcontextprotocol/inspector  (Streamable HTTP, {mcp})",
            "  The client registers itself and opens the consent page in your browser: Approve.",
            "  get-weather-alerts asks for mcp:admin: the client comes back for a second consent.",
            "",
            "Or by hand with curl and the demo client (client_credentials):",
            "1. A token with scope mcp:read:",
            "   " + token("mcp:read"),
            "2. get-weather (any valid token):",
            "   " + call("get-weather", '{"city":"Paris"}'),
            "3. get-forecast (needs mcp:read):",
            "   " + call("get-forecast", '{"city":"Paris","days":3}'),
            "4. get-weather-alerts without mcp:admin -> HTTP 403 insufficient_scope:",
            "   " + call("get-weather-alerts", '{"region":"Paris"}').replace("curl -s", "curl -si"),
            "5. With mcp:admin it succeeds:",
            "   " + token("mcp:read mcp:admin"),
            "   " + call("get-weather-alerts", '{"region":"Paris"}'),
            "=" * 72,
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server; returns the process exit code."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config_path = args.config
    if config_path is None and Path(DEFAULT_CONFIG).is_file():
        config_path = DEFAULT_CONFIG
    idp: DevIdentityProvider | None = None
    try:
        config = load_config(config_path, host=args.host, port=args.port, no_auth=args.no_auth)
        if args.dev_idp and not args.conformance:
            idp = DevIdentityProvider(
                config.host,
                args.dev_idp_port or config.port + 1,
                audience=config.audience,
                scopes=config.allowed_scopes,
                access_token_lifetime=args.dev_idp_token_lifetime or TOKEN_LIFETIME,
            )
            idp.start()
            config = config.with_identity_provider(
                issuer=idp.issuer,
                jwks_uri=idp.jwks_uri,
                token_url=idp.token_url,
                authorize_url=idp.authorize_url,
            )
        app = create_app(config=config, conformance=args.conformance)
    except (ConfigError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GopherAuthException as exc:
        print(f"error: the token validator could not start: {exc}", file=sys.stderr)
        return 3
    if idp is not None:
        print(_usage_text(config, idp), file=sys.stderr, flush=True)
    print(f"MCP endpoint: {config.mcp_url}", file=sys.stderr, flush=True)
    try:
        run_simple(config.host, config.port, app, threaded=True, use_reloader=False)
    except OSError as exc:
        print(f"error: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 2
    finally:
        cleanup_app(app)
        if idp is not None:
            idp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
