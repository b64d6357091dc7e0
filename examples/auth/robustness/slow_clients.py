"""Idle and slow-body TCP clients held against a server while legitimate requests are sent.

The load of issue 10 (F2): ``idle`` connections that never send a byte and ``slow`` connections
that send a complete ``POST /mcp`` head with a ``Content-Length`` and then one body byte per
second, all held for ``seconds``; meanwhile one client sends legitimate authenticated requests,
one after the other, each bounded by a liveness timeout. Loopback only, bounded in count and
time, every socket closed at the end.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from traffic import Outcome

__all__ = ["LoadReport", "hold_idle_and_slow_clients"]

#: Announced body size of a slow client: far more than it sends in the load's time.
SLOW_BODY_BYTES = 4096
#: Pause between two legitimate requests (they are a client's, not a flood).
LEGIT_PAUSE_S = 0.2


@dataclass
class LoadReport:
    """What the legitimate client saw while the idle and slow clients were held."""

    outcomes: list[Outcome] = field(default_factory=list)
    idle_closed_by_server: int = 0
    slow_closed_by_server: int = 0

    @property
    def sent(self) -> int:
        """Legitimate requests sent during the load."""
        return len(self.outcomes)

    @property
    def answered_ok(self) -> int:
        """Legitimate requests answered correctly (a JSON-RPC result) within the bound."""
        return sum(1 for o in self.outcomes if o.status == 200 and o.problem is None)

    def failures(self) -> list[Outcome]:
        """Legitimate requests not answered correctly within the bound."""
        return [o for o in self.outcomes if o.status != 200 or o.problem is not None]

    def summary(self) -> str:
        """One line for the test report."""
        slowest = max((o.seconds for o in self.outcomes), default=0.0)
        return (
            f"{self.answered_ok}/{self.sent} legitimate requests answered (slowest "
            f"{slowest:.2f} s); closed by the server: {self.idle_closed_by_server} idle, "
            f"{self.slow_closed_by_server} slow-body connections"
        )


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether the server closed (or answered and closed) this connection."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # b"": closed; bytes: an answer (408, 400) before closing
    except BlockingIOError:
        return False  # still open, nothing said
    except OSError:
        return True  # reset
    return True


def hold_idle_and_slow_clients(
    port: int,
    legit_request: Callable[[], Outcome],
    *,
    idle: int = 50,
    slow: int = 20,
    seconds: float = 10.0,
) -> LoadReport:
    """Hold ``idle`` + ``slow`` connections to 127.0.0.1:``port`` for ``seconds``.

    ``legit_request`` sends one legitimate request (with its own timeout) and reports it; it is
    called repeatedly from the moment every connection is open until ``seconds`` have passed.
    """
    report = LoadReport()
    idle_socks: list[socket.socket] = []
    slow_socks: list[socket.socket] = []
    stop = threading.Event()
    head = (
        "POST /mcp HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json\r\n"
        f"Content-Length: {SLOW_BODY_BYTES}\r\n\r\n"
    ).encode()

    def drip() -> None:
        # One body byte per second on every slow connection, for at most `seconds`.
        for _ in range(int(seconds) + 1):
            if stop.wait(1.0):
                return
            for sock in slow_socks:
                with contextlib.suppress(OSError):  # closed by the server: counted at the end
                    sock.send(b" ")

    dripper = threading.Thread(target=drip, name="slow-body-drip", daemon=True)
    try:
        idle_socks.extend(_connect(port) for _ in range(idle))
        for _ in range(slow):
            sock = _connect(port)
            sock.sendall(head)
            slow_socks.append(sock)
        dripper.start()
        time.sleep(0.5)  # let the server take up the connections it will take
        deadline = time.monotonic() + seconds - 0.5
        while time.monotonic() < deadline:
            report.outcomes.append(legit_request())
            time.sleep(LEGIT_PAUSE_S)
        report.idle_closed_by_server = sum(map(_closed_by_peer, idle_socks))
        report.slow_closed_by_server = sum(map(_closed_by_peer, slow_socks))
    finally:
        stop.set()
        if dripper.is_alive():
            dripper.join(timeout=5)
        for sock in idle_socks + slow_socks:
            sock.close()
    return report
