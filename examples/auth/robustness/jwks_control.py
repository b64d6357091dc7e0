"""A loopback JWKS endpoint whose behaviour a test switches while traffic runs.

Modes (:class:`Mode`): serve the current key set, or misbehave the way identity providers do —
answer slower than the client's ``request_timeout``, answer 500, answer garbage, answer a
10 MB body, reset the connection, or be down altogether (the port refuses connections). Every
request is counted per mode, so a test can prove that the failure it injected was actually
met by the server under test.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["HUGE_BODY_BYTES", "SLOW_SECONDS", "ControllableJwks", "Mode", "serve_jwks"]

#: How long the "slow" mode stalls before answering (the example runs with request_timeout=1).
SLOW_SECONDS = 3.0
#: Size of the "huge" mode's body.
HUGE_BODY_BYTES = 10 * 1024 * 1024


class Mode(str, Enum):
    """What the endpoint does with the next request."""

    OK = "ok"  # 200 with the current key set
    SLOW = "slow"  # the key set, but only after SLOW_SECONDS
    ERROR_500 = "error_500"  # 500 with a JSON error body
    GARBAGE = "garbage"  # 200, application/json, bytes that are not JSON
    NO_KEYS = "no_keys"  # 200 with a well-formed but empty JWK Set
    HUGE = "huge"  # 200 with a 10 MB body
    RESET = "reset"  # the connection is reset (TCP RST) after the request is read
    DOWN = "down"  # nothing listens: connections are refused

    @classmethod
    def failures(cls) -> tuple[Mode, ...]:
        """Every mode in which no usable key set is served."""
        return tuple(mode for mode in cls if mode is not cls.OK)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class ControllableJwks:
    """The endpoint: ``url`` stays the same for its whole life, whatever the mode."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self._lock = threading.Lock()
        self._keys = list(keys)
        self._mode = Mode.OK
        self.hits: Counter[Mode] = Counter()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._listen()

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        """The JWKS URI to configure."""
        return f"http://127.0.0.1:{self.port}/jwks"

    @property
    def mode(self) -> Mode:
        """The current behaviour."""
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        """Switch behaviour; ``DOWN`` closes the listening socket, leaving it reopens it."""
        with self._lock:
            previous, self._mode = self._mode, mode
        if mode is Mode.DOWN and previous is not Mode.DOWN:
            self._close()
        elif mode is not Mode.DOWN and previous is Mode.DOWN:
            self._listen()

    def set_keys(self, keys: list[dict[str, Any]]) -> None:
        """Publish another key set (a rotation)."""
        with self._lock:
            self._keys = list(keys)

    def hits_in(self, mode: Mode) -> int:
        """Requests received while in ``mode`` (``DOWN`` counts none: nothing listens)."""
        with self._lock:
            return self.hits[mode]

    def close(self) -> None:
        """Stop serving."""
        self._close()

    # ------------------------------------------------------------------ serving

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            mode = self._mode
            keys = list(self._keys)
            self.hits[mode] += 1
        if mode is Mode.RESET:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
            handler.connection.close()
            return
        if mode is Mode.SLOW:
            time.sleep(SLOW_SECONDS)
        status, body = 200, b""
        if mode in (Mode.OK, Mode.SLOW):
            body = json.dumps({"keys": keys}).encode()
        elif mode is Mode.ERROR_500:
            status, body = 500, b'{"error": "internal_error"}'
        elif mode is Mode.GARBAGE:
            body = b'{"keys": [' + os.urandom(512).replace(b"]", b"?")
        elif mode is Mode.NO_KEYS:
            body = b'{"keys": []}'
        elif mode is Mode.HUGE:
            body = b'{"keys": [], "padding": "' + b"A" * HUGE_BODY_BYTES + b'"}'
        with contextlib.suppress(OSError):  # the client may give up (timeout, size cap) first
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.send_header("Cache-Control", "no-store")
            handler.end_headers()
            handler.wfile.write(body)

    def _listen(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/jwks":
                    self.send_error(404)
                    return
                owner._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests count requests instead."""

        server = _Server(("127.0.0.1", self.port), Handler)
        self.port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, name="jwks-control", daemon=True)
        thread.start()
        self._server, self._thread = server, thread

    def _close(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)


@contextlib.contextmanager
def serve_jwks(keys: list[dict[str, Any]]) -> Iterator[ControllableJwks]:
    """A :class:`ControllableJwks` for the duration of a ``with`` block."""
    jwks = ControllableJwks(keys)
    try:
        yield jwks
    finally:
        jwks.close()
