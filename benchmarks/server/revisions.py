#!/usr/bin/env python3
"""The example's tools/call on MCP 2026-07-28 beside 2025-11-25, and an unauthenticated 1 MiB body.

    python benchmarks/server/revisions.py [--duration 5] [--rounds 3] [--connections 8]

One example server (gunicorn, sync workers, auth on: the documented command, as ``run.py``'s
``example`` target), one run, three loads in interleaved rounds (the median round is reported):

- ``tools/call 2025-11-25``: ``get-weather`` with ``MCP-Protocol-Version: 2025-11-25`` — the SDK
  parses the body to find the tool's scopes after the token verified;
- ``tools/call 2026-07-28``: the same call with ``Mcp-Method``/``Mcp-Name`` and ``_meta`` — the
  SDK decides the scopes from the headers, then checks the body against them;
- ``no token, 1 MiB body``: a 2026-07-28 ``tools/call`` header set with a 1,048,001-byte body
  ``[1,1,…]`` (the costliest JSON to walk) and no token: answered 401 without parsing the body.

Requests/s, p50/p99 and the server's CPU time per request (all of gunicorn's processes). Uses
``run.py``'s wrk driver; numbers are for this machine and run only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (
    HERE,
    ISSUER,  # noqa: F401 - re-exported for symmetry with run.py's targets
    SigningKey,
    TokenKit,
    _cpu_seconds,
    _headers,
    _targets,
    _wrk,
    serve_jwks,
    start,
    stop_and_verify,
)

MODERN = "2026-07-28"
CALL = {"name": "get-weather", "arguments": {"city": "Paris"}}
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}
MODERN_HEADERS = {
    "MCP-Protocol-Version": MODERN,
    "Mcp-Method": "tools/call",
    "Mcp-Name": "get-weather",
}
ONE_MIB_ONES = [1] * 524_000  # "[1,1,…]": 1,048,001 bytes, under the 1 MiB body limit
#: name -> (body, extra headers, authenticated, expected status)
LOADS: dict[str, tuple[object, dict[str, str], bool, int]] = {
    "tools/call 2025-11-25": (
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": CALL},
        {"MCP-Protocol-Version": "2025-11-25"},
        True,
        200,
    ),
    "tools/call 2026-07-28": (
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {**CALL, "_meta": META}},
        MODERN_HEADERS,
        True,
        200,
    ),
    "no token, 1 MiB body": (ONE_MIB_ONES, MODERN_HEADERS, False, 401),
}


def _check(url: str, token: str) -> None:
    """Every load gets its expected answer before anything is measured."""
    for name, (body, extra, authenticated, status) in LOADS.items():
        headers = _headers(token if authenticated else None, extra)
        data = json.dumps(body, separators=(",", ":")).encode()
        for _ in range(100):
            try:
                answer = httpx.post(url, content=data, headers=headers, timeout=10)
                break
            except httpx.HTTPError:
                import time

                time.sleep(0.2)
        else:
            raise RuntimeError(f"{name}: the server never answered")
        if answer.status_code != status:
            raise RuntimeError(
                f"{name}: {answer.status_code}, expected {status}: {answer.text[:200]}"
            )
        if status == 200 and "Paris" not in answer.text:
            raise RuntimeError(f"{name}: unexpected result {answer.text[:200]}")


def main() -> int:
    """Measure and print one markdown table (median round per load)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("revisions.py: wrk not found (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    args.workers, args.threads = 1, 8
    args.example_python = args.fastmcp_python = args.sdk_python = sys.executable
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in LOADS}
    key = SigningKey.generate("bench-rev")
    with (
        tempfile.TemporaryDirectory(prefix="bench-rev-") as work_dir,
        serve_jwks([key.public_jwk()]) as jwks,
    ):
        args.work_dir = work_dir
        target = next(t for t in _targets(args, jwks.url) if t.name == "example")
        process = start(target.name, target.argv, log_dir=Path(work_dir), cwd=HERE, env=target.env)
        try:
            url = f"http://127.0.0.1:{target.port}/mcp"
            token = TokenKit(audience=url).mint(key, scope="mcp:read")
            _check(url, token)
            for _ in range(args.rounds):
                for name, (body, extra, authenticated, status) in LOADS.items():
                    before = _cpu_seconds(process)
                    numbers = _wrk(url, body, token if authenticated else None, args, extra)
                    cpu = _cpu_seconds(process) - before
                    requests = int(numbers["requests"])  # type: ignore[call-overload]
                    bad = (
                        requests - int(numbers["non_2xx"]) if status != 200 else numbers["non_2xx"]
                    )  # type: ignore[call-overload]
                    if bad or numbers["socket_errors"]:
                        raise RuntimeError(f"{name}: unexpected answers {numbers}")
                    row = {
                        "rps": float(numbers["requests_per_s"]),  # type: ignore[arg-type]
                        "p50": float(numbers["p50_ms"]),  # type: ignore[arg-type]
                        "p99": float(numbers["p99_ms"]),  # type: ignore[arg-type]
                        "cpu_us": cpu * 1e6 / max(1, requests),
                    }
                    print(json.dumps({"load": name, **row}), flush=True)
                    rows[name].append(row)
        finally:
            stop_and_verify(process)
    print("\n| load | req/s | p50 ms | p99 ms | server CPU µs/req |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, runs in rows.items():
        median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        print(
            f"| {name} | {median['rps']:,.0f} | {median['p50']:.2f} | {median['p99']:.2f} "
            f"| {median['cpu_us']:,.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
