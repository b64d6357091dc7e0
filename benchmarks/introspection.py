#!/usr/bin/env python3
"""Opaque tokens through the Python API: what RFC 7662 introspection costs (issue 13, Speed).

1. Cache hit: one opaque token validated again and again (answer cached) against one JWT
   validated again and again (verified-token cache), same client, same options; round-robin
   batches, CPU-time medians (:mod:`jwtbench.timing`). Target: opaque ≤ 2× the JWT.
2. Cache off (``introspection_cache_ttl=0``) against a loopback introspection endpoint
   (``http.server``, HTTP/1.1): validations per second with kept-alive connections against a
   new connection per validation, wall clock, interleaved rounds, medians. Target: reuse wins.

Run from the repository root with the SDK importable (see README.md)::

    python benchmarks/introspection.py          # about 30 s
    python benchmarks/introspection.py --quick
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gopher_mcp_python.ffi.auth import GopherAuthClient
from jwtbench.fixture import Fixture, make_fixture
from jwtbench.policy import AUDIENCE, ISSUER, REQUIRED_SCOPES
from jwtbench.sdk import make_client, make_options, verdict_validator
from jwtbench.timing import Case, paired_speedup, run_round_robin

OPAQUE = "bench-opaque-3f9c1a7e5b2d4c8e"


def answer() -> bytes:
    """An active introspection answer for the bench token (valid for an hour)."""
    return json.dumps(
        {
            "active": True,
            "sub": "user-4711",
            "client_id": "mcp-bench-client",
            "scope": " ".join(REQUIRED_SCOPES),
            "aud": AUDIENCE,
            "iss": ISSUER,
            "exp": int(time.time()) + 3600,
            "token_type": "Bearer",
        }
    ).encode()


class Handler(BaseHTTPRequestHandler):
    """The introspection endpoint: reads the form, answers active."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body are separate writes: no 40 ms stalls

    def do_POST(self) -> None:
        """Answer one introspection request."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = answer()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ANN401
        """Quiet."""


def introspecting(url: str, fixture: Fixture, *, cache: bool, keep_alive: bool) -> GopherAuthClient:
    """A client introspecting at ``url`` (the fixture's keys too, for the JWT)."""
    client = make_client(fixture, token_cache=True)
    client.set_introspection(url, "bench-rs", "bench-secret")
    client.set_option("introspection_rate_limit", "0")
    client.set_option("introspection_keep_alive", "true" if keep_alive else "false")
    if not cache:
        client.set_option("introspection_cache_ttl", "0")
    return client


def ops_per_s(client: GopherAuthClient, count: int) -> float:
    """Wall-clock validations per second of ``count`` uncached introspections."""
    validate = verdict_validator(client, make_options())
    start = time.perf_counter()
    for _ in range(count):
        validate(OPAQUE)
    return count / (time.perf_counter() - start)


def main() -> int:
    """Run both measurements and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, batch_s, count = (5, 0.005, 100) if args.quick else (31, 0.02, 1500)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/introspect"

    fixture = make_fixture()
    client = introspecting(url, fixture, cache=True, keep_alive=True)
    validate = verdict_validator(client, make_options())
    jwt = fixture.tokens["EdDSA"].good
    cases = [
        Case("JWT (EdDSA), cache hit", "EdDSA", validate, jwt),
        Case("opaque, cache hit", "opaque", validate, OPAQUE),
    ]
    run_round_robin(cases, rounds, batch_s, 0.2)
    ratio = paired_speedup(cases[1], cases[0])

    reuse = introspecting(url, fixture, cache=False, keep_alive=True)
    fresh = introspecting(url, fixture, cache=False, keep_alive=False)
    reuse_runs: list[float] = []
    fresh_runs: list[float] = []
    for _ in range(3 if args.quick else 7):
        reuse_runs.append(ops_per_s(reuse, count))
        fresh_runs.append(ops_per_s(fresh, count))
    server.shutdown()

    print(f"python {sys.version.split()[0]}, {rounds} rounds")
    for case in cases:
        print(f"  {case.library:<28} {case.median_us:8.2f} µs/validation (CPU time, median)")
    verdict = "met" if ratio <= 2.0 else "MISSED"
    print(f"  opaque / JWT, cache hit:     {ratio:8.2f}×  (target ≤ 2×: {verdict})")
    r, f = statistics.median(reuse_runs), statistics.median(fresh_runs)
    print(f"  cache off, kept-alive:       {r:8.0f} validations/s (wall clock, median)")
    print(f"  cache off, new connection:   {f:8.0f} validations/s")
    won = "met" if r > f else "MISSED"
    print(f"  reuse / new connection:      {r / f:8.2f}×  (target > 1: {won})")
    return 0 if ratio <= 2.0 and r > f else 1


if __name__ == "__main__":
    sys.exit(main())
