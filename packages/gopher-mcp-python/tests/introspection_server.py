"""A real loopback RFC 7662 introspection endpoint (HTTP/1.1, keep-alive) for the tests.

Each request's form and ``Authorization`` header are recorded; the answer comes from
``state.answer(form)`` (a JSON object, or an int for a bare status), which a test may change.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Answer = dict[str, Any] | int


@dataclass
class IntrospectionServer:
    """State shared with the handler."""

    answer: Callable[[dict[str, str]], Answer]
    url: str = ""
    requests: list[tuple[dict[str, str], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def request_count(self) -> int:
        with self.lock:
            return len(self.requests)


def _handler(state: IntrospectionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # head and body are separate writes

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            with state.lock:
                state.requests.append((form, self.headers.get("Authorization") or ""))
            answer = state.answer(form)
            status, body = (
                (answer, b'{"error":"server_error"}')
                if isinstance(answer, int)
                else (200, json.dumps(answer).encode())
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_introspection(
    answer: Callable[[dict[str, str]], Answer],
) -> Iterator[IntrospectionServer]:
    """Serve at ``http://127.0.0.1:<port>/introspect`` for the ``with`` block."""
    state = IntrospectionServer(answer=answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/introspect"
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="introspection",
        daemon=True,
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
