"""The example under gunicorn, configured against a JWKS endpoint the test controls.

Process handling (start in its own process group, wait for /health, stop the whole group)
comes from the e2e harness's ``managed_process``; this module adds what robustness tests need:
the server.config they run with, the worker PIDs (a crashed or timed-out worker is replaced
by gunicorn under a new PID), their resident memory, and the log lines that betray trouble.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from example_server import start_gunicorn
from managed_process import ManagedProcess, ProcessStartError, free_port, pids_in_group

__all__ = ["GunicornExample", "start_example"]

#: gunicorn log lines that mean a worker crashed, hung or was replaced.
TROUBLE_MARKERS = ("WORKER TIMEOUT", "Worker exited", "was sent SIGKILL", "Traceback")


@dataclass(frozen=True)
class GunicornExample:
    """A running example server."""

    process: ManagedProcess
    base_url: str
    workers: int

    @property
    def mcp_url(self) -> str:
        """The protected MCP endpoint (also the audience tokens must carry)."""
        return f"{self.base_url}/mcp"

    def worker_pids(self) -> frozenset[int]:
        """The live worker processes (the group minus the gunicorn arbiter)."""
        return frozenset(pids_in_group(self.process.popen.pid)) - {self.process.popen.pid}

    def worker_rss_kib(self) -> dict[int, int]:
        """Resident set size (KiB) of each worker, from /proc."""
        sizes: dict[int, int] = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1])
        return sizes

    def trouble_in_log(self) -> list[str]:
        """Log lines reporting a crashed, hung or replaced worker."""
        text = self.process.log_path.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if any(m in line for m in TROUBLE_MARKERS)]

    def booted_workers(self) -> int:
        """How many times gunicorn booted a worker (more than ``workers`` = replacements)."""
        text = self.process.log_path.read_text(encoding="utf-8", errors="replace")
        return text.count("Booting worker")


def write_config(
    path: Path,
    *,
    port: int,
    jwks_uri: str,
    issuer: str,
    cache_duration: int,
    server_url: str | None = None,
) -> None:
    """The server.config of a robustness run: request_timeout=1, a short JWKS cache.

    ``server_url`` is the public URL (a proxy's); by default gunicorn's own address.
    """
    lines = [
        "# written by examples/auth/robustness for one test",
        "host=127.0.0.1",
        f"port={port}",
        f"server_url={server_url or f'http://127.0.0.1:{port}'}",
        f"issuer={issuer}",
        f"jwks_uri={jwks_uri}",
        "allowed_scopes=mcp:read mcp:admin",
        f"jwks_cache_duration={cache_duration}",
        "jwks_auto_refresh=true",
        "request_timeout=1",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_example(
    *,
    jwks_uri: str,
    issuer: str,
    log_dir: Path,
    workers: int = 3,
    cache_duration: int = 3600,
    worker_timeout: int = 20,
    public_url: str | None = None,
    gunicorn_args: Sequence[str] = (),
) -> GunicornExample:
    """Start ``workers`` sync workers on a free loopback port; return once /health answers.

    ``worker_timeout`` is gunicorn's ``--timeout``: a worker silent for longer is killed and
    replaced, which the tests detect as a hung worker. ``public_url`` is the example's
    ``server_url`` when a proxy faces the clients; ``gunicorn_args`` go before the app (e.g.
    ``-c deploy/gunicorn.conf.py``; the command line's ``--bind``/``--workers`` still win).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_dir.mkdir(parents=True, exist_ok=True)
    config_path = log_dir / "server.config"
    write_config(
        config_path,
        port=port,
        jwks_uri=jwks_uri,
        issuer=issuer,
        cache_duration=cache_duration,
        server_url=public_url,
    )
    process = start_gunicorn(
        config_path,
        port=port,
        log_dir=log_dir,
        workers=workers,
        extra_args=(*gunicorn_args, "--timeout", str(worker_timeout)),
    )
    example = GunicornExample(process, base_url, workers)
    deadline = time.monotonic() + 30
    while len(example.worker_pids()) < workers:  # /health answered by the first worker up
        if time.monotonic() > deadline:
            raise ProcessStartError(
                f"gunicorn booted fewer than {workers} workers:\n{process.log_tail()}"
            )
        time.sleep(0.1)
    return example
