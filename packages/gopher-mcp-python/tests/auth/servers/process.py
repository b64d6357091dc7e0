"""Start a real HTTP server in a child process on a free loopback port, and stop it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(
    port: int, process: subprocess.Popen[bytes], log: IO[bytes], deadline_s: float
) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on port {port} within {deadline_s} s")


@contextmanager
def serve(kind: str, env: dict[str, str]) -> Iterator[int]:
    """Run ``adapter_apps`` under a real server: ``gunicorn``, ``uvicorn`` or ``werkzeug``.

    Yields the port. The child sees ``env`` on top of this process's environment.
    """
    port = free_port()
    with run(_command(kind, port), env, port):
        yield port


@contextmanager
def run(command: list[str], env: dict[str, str], port: int) -> Iterator[None]:
    """Run ``command`` (a server that will listen on ``port``) until the block ends."""
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a chatty server never blocks
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(port, process, log, 30.0)
            yield
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _command(kind: str, port: int) -> list[str]:
    python = sys.executable
    commands = {
        "gunicorn": [
            python,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--chdir",
            str(HERE),
            "adapter_apps:flask_app()",
        ],
        "uvicorn": [
            python,
            "-m",
            "uvicorn",
            "--factory",
            "--app-dir",
            str(HERE),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "adapter_apps:starlette_app",
        ],
        "werkzeug": [
            python,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); import adapter_apps; "
            "from werkzeug.serving import run_simple; "
            "run_simple('127.0.0.1', int(sys.argv[2]), adapter_apps.flask_app())",
            str(HERE),
            str(port),
        ],
    }
    return commands[kind]
