"""A real loopback HTTP server that serves a JWK Set, records its requests, and can stall."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class JwksServer:
    """State shared with the handler: what to serve and what happened."""

    document: dict[str, Any]
    delay_s: float = 0.0
    status: int = 200
    url: str = ""
    #: (arrival, answer) ``time.perf_counter()`` pairs, one per request, recorded just before
    #: the response is written.
    intervals: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def request_count(self) -> int:
        """Requests served so far."""
        with self.lock:
            return len(self.intervals)


def _handler(state: JwksServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            arrival = time.perf_counter()
            if state.delay_s:
                time.sleep(state.delay_s)
            # recorded before answering: once a client has its answer, its request is counted
            with state.lock:
                state.intervals.append((arrival, time.perf_counter()))
            body = json.dumps(state.document).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_jwks(
    document: dict[str, Any], *, delay_s: float = 0.0, tls: ssl.SSLContext | None = None
) -> Iterator[JwksServer]:
    """Serve ``document`` at ``http(s)://127.0.0.1:<port>/jwks`` for the ``with`` block."""
    state = JwksServer(document=document, delay_s=delay_s)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/jwks"
    thread = threading.Thread(target=server.serve_forever, name="jwks-server", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
