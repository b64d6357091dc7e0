#!/usr/bin/env python3
"""CPU per ``verify_token`` call, in process: our verifiers beside the ones they replace.

    python benchmarks/server/verifier_cpu.py [--calls 3000] [--rounds 5]

Run in the FastMCP peer's environment (requirements-fastmcp.txt + PyJWT, and this checkout's
packages through scripts/install_local.py). One loopback JWKS, one RS256 token, keys fetched
before timing; each verifier verifies the same token ``--calls`` times in a row per round (an MCP
client sends the same token with every request), rounds interleaved, median reported:

- fastmcp's ``JWTVerifier`` vs our ``GopherJWTVerifier`` (a ``fastmcp`` ``TokenVerifier``);
- the PyJWT ``TokenVerifier`` a user of the official SDK writes (``mcp_sdk_server.py``) vs our
  ``GopherTokenVerifier``, with and without its worker-thread hop (``offload``).

CPU is the process's CPU time (``time.process_time``: every thread) over the calls, so a worker
thread's cost counts. Numbers are for this machine and run; compare the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO / "examples/auth/robustness")]

from jwks_control import serve_jwks  # noqa: E402
from tokens import ISSUER, SigningKey, TokenKit  # noqa: E402

SERVER_URL = "http://127.0.0.1:9"
AUDIENCE = SERVER_URL + "/mcp"

Verify = Callable[[str], Awaitable[object]]


def _verifiers(jwks_uri: str) -> dict[str, Verify]:
    from fastmcp.server.auth.providers.jwt import JWTVerifier
    from pyjwt_verifier import PyJwtVerifier

    from gopher_mcp_python.auth import Authenticator, ResourceServerConfig
    from gopher_mcp_python.auth.fastmcp import GopherJWTVerifier
    from gopher_mcp_python.auth.mcp_sdk import GopherTokenVerifier

    settings = {
        "jwks_uri": jwks_uri,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "base_url": SERVER_URL,
    }
    config = ResourceServerConfig(server_url=SERVER_URL, issuer=ISSUER, jwks_uri=jwks_uri)
    authenticator = Authenticator(config)
    return {
        "fastmcp JWTVerifier": JWTVerifier(**settings, algorithm="RS256").verify_token,
        "GopherJWTVerifier": GopherJWTVerifier(**settings).verify_token,
        "mcp SDK + PyJWT verifier": PyJwtVerifier(
            jwks_uri, issuer=ISSUER, audience=AUDIENCE
        ).verify_token,
        "GopherTokenVerifier (offload)": GopherTokenVerifier(authenticator).verify_token,
        "GopherTokenVerifier (inline)": GopherTokenVerifier(
            authenticator, offload=False
        ).verify_token,
    }


async def _cpu_per_call(verify: Verify, token: str, calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        if await verify(token) is None:
            raise SystemExit("a verifier refused the benchmark token")
    return (time.process_time() - start) / calls * 1e6


async def _run(calls: int, rounds: int) -> dict[str, float]:
    key = SigningKey.generate("bench-1")
    with serve_jwks([key.public_jwk()]) as jwks:
        token = TokenKit(AUDIENCE).mint(key)
        verifiers = _verifiers(jwks.url)
        for verify in verifiers.values():  # fetch the keys, warm every cache
            await _cpu_per_call(verify, token, 50)
        samples: dict[str, list[float]] = {name: [] for name in verifiers}
        for _ in range(rounds):
            for name, verify in verifiers.items():
                samples[name].append(await _cpu_per_call(verify, token, calls))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    """Time every verifier and print the table and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = asyncio.run(_run(args.calls, args.rounds))
    print(f"{'verifier':<32} {'CPU µs/call':>12}")
    for name, value in results.items():
        print(f"{name:<32} {value:12.1f}")
    pairs = [
        ("GopherJWTVerifier", "fastmcp JWTVerifier"),
        ("GopherTokenVerifier (offload)", "mcp SDK + PyJWT verifier"),
        ("GopherTokenVerifier (inline)", "mcp SDK + PyJWT verifier"),
    ]
    for ours, theirs in pairs:
        print(f"{ours} / {theirs}: {results[ours] / results[theirs]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
