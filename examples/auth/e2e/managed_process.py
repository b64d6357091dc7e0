"""Start helper servers (IdP, gunicorn, the conformance server) and always tear them down.

Each server runs in its own process group (session) with its stdin on a pipe and its output in a
log file. `stop()` signals the whole group (SIGTERM, then SIGKILL after a grace period), so worker
processes that gunicorn forks go too; every started process is also stopped at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 60


class ProcessStartError(RuntimeError):
    """A helper server did not come up; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ManagedProcess:
    """A started helper server."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of the process's combined stdout/stderr log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            return f"<log {self.log_path} unreadable: {err}>"
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        """Whether the group leader is still running."""
        return self.popen.poll() is None

    def stop(self) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after STOP_GRACE_S."""
        _LIVE.discard(self)
        if self.popen.stdin is not None:
            with contextlib.suppress(OSError):
                self.popen.stdin.close()
        _signal_group(self.popen.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_GRACE_S)
        # Workers of the group may outlive their leader: always sweep the group with SIGKILL.
        _signal_group(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=STOP_GRACE_S)
        if self.popen.stdout is not None:
            self.popen.stdout.close()
        self._log.close()

    def __hash__(self) -> int:
        return id(self)


_LIVE: set[ManagedProcess] = set()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@atexit.register
def _stop_all() -> None:
    for process in list(_LIVE):
        process.stop()


def _exit_on_sigterm() -> None:
    """Turn SIGTERM (a CI timeout, tox) into SystemExit so the atexit sweep above still runs."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def start(
    name: str,
    argv: Sequence[str],
    *,
    log_dir: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    capture_stdout: bool = False,
) -> ManagedProcess:
    """Start `argv` in a new process group, logging to `<log_dir>/<name>.log`.

    With `capture_stdout`, stdout stays a pipe (read it via `popen.stdout`) and only stderr goes
    to the log.
    """
    _exit_on_sigterm()
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    popen = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE if capture_stdout else log,
        stderr=log,
        start_new_session=True,
    )
    process = ManagedProcess(name=name, popen=popen, log_path=log_path, _log=log)
    _LIVE.add(process)
    return process


def wait_for_http(
    process: ManagedProcess, url: str, *, expect_status: int = 200, timeout_s: float = 60.0
) -> None:
    """Poll `url` until it answers `expect_status`; fail early if the process dies."""
    deadline = time.monotonic() + timeout_s
    last_error = "no attempt"
    while time.monotonic() < deadline:
        if not process.alive():
            raise ProcessStartError(
                f"{process.name} exited with {process.popen.returncode} before {url} answered;"
                f" log tail:\n{process.log_tail()}"
            )
        try:
            response = httpx.get(url, timeout=2.0)
            if response.status_code == expect_status:
                return
            last_error = f"HTTP {response.status_code}: {response.text[:200]}"
        except httpx.HTTPError as err:
            last_error = repr(err)
        time.sleep(0.1)
    process.stop()
    raise ProcessStartError(
        f"{process.name}: {url} did not answer {expect_status} within {timeout_s:.0f} s"
        f" (last: {last_error}); log tail:\n{process.log_tail()}"
    )


def pids_in_group(pgid: int) -> list[int]:
    """Live (non-zombie) processes of process group `pgid` (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


def stop_and_verify(process: ManagedProcess, *, settle_s: float = 5.0) -> None:
    """Stop `process` and assert that no process of its group is left."""
    process.stop()
    deadline = time.monotonic() + settle_s
    leftover = pids_in_group(process.popen.pid)
    while leftover and time.monotonic() < deadline:  # SIGKILLed workers may need a moment
        time.sleep(0.1)
        leftover = pids_in_group(process.popen.pid)
    assert not leftover, f"{process.name}: processes left after teardown: {leftover}"
