"""nginx in front of the example, run from the repository's own config (``deploy/``).

The site config is ``examples/auth/deploy/py-auth-mcp.nginx.conf.template`` — the file the
README tells operators to render with ``envsubst`` — rendered here with a loopback listen
address and the test's gunicorn as upstream. Around it, a minimal main config that only a test
needs: foreground (``daemon off``), pid, logs and temporary files under a scratch directory.
Process handling is the e2e harness's (``managed_process``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ensure_nginx import find_nginx
from managed_process import ManagedProcess, start, stop_and_verify, wait_for_http

__all__ = ["DEPLOY_DIR", "GUNICORN_CONF", "NginxProxy", "render_site", "start_nginx"]

DEPLOY_DIR = Path(__file__).resolve().parents[1] / "deploy"
SITE_TEMPLATE = DEPLOY_DIR / "py-auth-mcp.nginx.conf.template"
GUNICORN_CONF = DEPLOY_DIR / "gunicorn.conf.py"
#: The variables the README's envsubst command names; nothing else is substituted.
SITE_VARIABLES = ("MCP_LISTEN", "MCP_SERVER_NAME", "MCP_UPSTREAM")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

_MAIN_CONFIG = """\
# written by examples/auth/robustness: the test's nginx, around the repository's site config
daemon off;
worker_processes 1;
pid {scratch}/nginx.pid;
error_log {scratch}/error.log info;
events {{
    worker_connections 1024;
}}
http {{
    access_log {scratch}/access.log;
    client_body_temp_path {scratch}/client_body;
    proxy_temp_path {scratch}/proxy;
    fastcgi_temp_path {scratch}/fastcgi;
    uwsgi_temp_path {scratch}/uwsgi;
    scgi_temp_path {scratch}/scgi;
    include {site};
}}
"""


def render_site(template: str, values: dict[str, str]) -> str:
    """``template`` with ``${NAME}`` replaced for the SITE_VARIABLES, as envsubst would."""
    missing = set(SITE_VARIABLES) - set(values)
    if missing:
        raise ValueError(f"no value for {sorted(missing)}")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in SITE_VARIABLES else match.group(0)

    rendered = _PLACEHOLDER.sub(substitute, template)
    left = _PLACEHOLDER.findall(rendered)
    if left:
        raise ValueError(f"the template uses variables the README does not name: {left}")
    return rendered


@dataclass
class NginxProxy:
    """A running nginx; ``base_url`` is the public URL the example is configured with."""

    process: ManagedProcess
    port: int
    scratch: Path

    @property
    def base_url(self) -> str:
        """The proxy's URL (what clients use, and the example's server_url)."""
        return f"http://127.0.0.1:{self.port}"

    def error_log(self) -> str:
        """The error log of nginx (timeouts it enforced, upstream errors)."""
        path = self.scratch / "error.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop nginx, check that no process of it is left, remove the scratch directory."""
        try:
            stop_and_verify(self.process)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)


def start_nginx(*, port: int, upstream: str, log_dir: Path) -> NginxProxy:
    """Start nginx on 127.0.0.1:``port`` in front of ``upstream`` (``host:port``).

    Returns once ``/health`` answers through the proxy (so the upstream is up too).
    """
    nginx = find_nginx()
    if nginx is None:
        raise RuntimeError(
            "nginx is not installed: run `python examples/auth/robustness/ensure_nginx.py` "
            "(the robustness tox environment does)"
        )
    # Outside pytest's 0700 tmp_path: when the test runs as root, nginx's workers run as an
    # unprivileged user and must reach their temporary directories.
    scratch = Path(tempfile.mkdtemp(prefix="py-auth-mcp-nginx-"))
    scratch.chmod(0o755)
    site = scratch / "site.conf"
    site.write_text(
        render_site(
            SITE_TEMPLATE.read_text(encoding="utf-8"),
            {
                "MCP_LISTEN": f"127.0.0.1:{port}",
                "MCP_SERVER_NAME": "127.0.0.1",
                "MCP_UPSTREAM": upstream,
            },
        ),
        encoding="utf-8",
    )
    main = scratch / "nginx.conf"
    main.write_text(_MAIN_CONFIG.format(scratch=scratch, site=site), encoding="utf-8")
    os.chmod(main, 0o644)
    process = start(
        "nginx", [nginx, "-p", str(scratch), "-c", str(main), "-e", "stderr"], log_dir=log_dir
    )
    proxy = NginxProxy(process, port, scratch)
    try:
        wait_for_http(process, f"{proxy.base_url}/health", timeout_s=30)
    except BaseException:
        process.stop()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return proxy
