#!/usr/bin/env python3
"""Server throughput: the example vs FastMCP vs the official ``mcp`` SDK, one run, side by side.

    python benchmarks/server/run.py [--duration 10] [--connections 8] [--workers 1]
                                    [--fastmcp-python PATH] [--sdk-python PATH] [--json OUT]

Every target serves the same ``get-weather`` tool (the example's own function) on loopback,
checks the same RS256 token against the same JWKS (a loopback endpoint, keys cached after the
first fetch) and runs with the same worker count, one target at a time:

- ``example``: py_auth_mcp_server under gunicorn (sync workers, the documented command);
- ``example-noauth``: the same with ``PY_AUTH_MCP_NO_AUTH=1`` (what auth costs);
- ``example-gthread`` / ``example-gthread-noauth``: the same two with gunicorn's ``gthread``
  worker (``--threads``, default 8): still one process per worker, but HTTP keep-alive and a
  thread pool, like the peers' one uvicorn process serving many connections;
- ``fastmcp``: FastMCP with its ``JWTVerifier`` under uvicorn (``fastmcp_server.py``);
  ``fastmcp-gopher``: the same server with our ``GopherJWTVerifier`` in its place;
- ``mcp-sdk``: ``mcp.server.fastmcp.FastMCP`` with a PyJWT ``TokenVerifier`` + ``AuthSettings``
  under uvicorn (``mcp_sdk_server.py``); ``mcp-sdk-gopher``: the same server with our
  ``GopherTokenVerifier`` and ``AuthSettings`` in their place (the verifier swap alone, so the
  two rows compare verifiers);
- ``example-opaque``: the example in introspection mode (``introspection_*`` keys, cache on,
  60 s) with an opaque token, against a loopback RFC 7662 endpoint (``http.server``);
  ``fastmcp-introspection``: FastMCP with its ``IntrospectionTokenVerifier`` (cache on, 60 s)
  against the same endpoint;
- ``flask-pyjwt`` / ``flask-bare``: the issue's reference point, a bare Flask app (not an MCP
  server: no transport checks) under gunicorn sync workers, checking the token with PyJWT or
  not at all (``flask_reference.py``) — the floor of a Flask server on this machine.

The uvicorn peers start through ``uvicorn_nodelay.py``: plain ``uvicorn --workers N`` (N > 1)
leaves Nagle's algorithm on for its connections (uvicorn issue #3149), which costs every
keep-alive response ~40 ms; one worker is unaffected. With several workers, wrk's keep-alive
connections split between the uvicorn workers at random (8/0 … 4/4): use ``--rounds`` ≥ 3.

The SDK servers run stateless with JSON responses, so ``tools/call`` needs no session — the same
single POST the example answers. Before measuring, each target must answer the exact request
with 200 and a tool result, and (auth targets) a request without a token with 401. Load: wrk
(``apt-get install wrk``) with a Lua script for the POST, ``--latency`` for p50/p99; any
non-2xx answer during a run is reported and fails the run. Numbers are for this machine and
run only; compare the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# Reused helpers: the JWKS endpoint and PyJWT token minting of the robustness tests, and the
# process management of the e2e harness.
sys.path[:0] = [str(REPO / "examples/auth/robustness"), str(REPO / "examples/auth/e2e")]

from jwks_control import serve_jwks  # noqa: E402
from managed_process import (  # noqa: E402
    ManagedProcess,
    free_port,
    pids_in_group,
    start,
    stop_and_verify,
)
from tokens import ISSUER, SigningKey, TokenKit  # noqa: E402

OPAQUE_TARGETS = frozenset({"example-opaque", "fastmcp-introspection"})


def opaque_token(port: int) -> str:
    """The opaque token of the target on ``port`` (its audience is that target's URL)."""
    return f"bench-opaque-{port}"


class IntrospectionHandler(BaseHTTPRequestHandler):
    """A loopback RFC 7662 endpoint: ``bench-opaque-<port>`` is active for that port's /mcp."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body are separate writes: no 40 ms stalls

    def do_POST(self) -> None:
        """Answer one introspection request."""
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        token = form.get("token", [""])[0]
        port = token.removeprefix("bench-opaque-")
        answer: dict[str, object] = {"active": False}
        if port.isdigit():
            answer = {
                "active": True,
                "sub": "bench-user",
                "client_id": "bench-client",
                "scope": "mcp:read",
                "aud": f"http://127.0.0.1:{port}/mcp",
                "iss": ISSUER,
                "exp": int(time.time()) + 3600,
                "token_type": "Bearer",
            }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@contextlib.contextmanager
def serve_introspection() -> Iterator[str]:
    """The introspection endpoint's URL for the ``with`` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), IntrospectionHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/introspect"
    finally:
        server.shutdown()
        server.server_close()


PROTOCOL_VERSION = "2025-06-18"
SCENARIOS: dict[str, dict[str, object]] = {
    "tools/call": {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get-weather", "arguments": {"city": "Paris"}},
    },
    "tools/list": {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
}


@dataclass(frozen=True)
class Target:
    """A server to measure: how to start it and whether it checks tokens."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    authenticated: bool
    port: int


@dataclass(frozen=True)
class Result:
    """One wrk run."""

    target: str
    scenario: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: str
    cpu_us_per_request: float  # CPU time of the server's processes / requests answered
    round: int = 0


def _targets(args: argparse.Namespace, jwks_uri: str, introspection_url: str) -> list[Target]:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PY_AUTH_MCP_")}
    used: set[int] = set()

    def fresh_port() -> int:
        port = free_port()
        while port in used:
            port = free_port()
        used.add(port)
        return port

    def example(name: str, *, auth: bool, threads: int = 0, opaque: bool = False) -> Target:
        port = fresh_port()
        config = Path(args.work_dir) / f"{name}.config"
        introspection = (
            f"introspection_endpoint={introspection_url}\nintrospection_client_id=bench-rs\n"
            "introspection_client_secret=bench-secret\nintrospection_cache_ttl=60\n"
            if opaque
            else ""
        )
        config.write_text(
            f"host=127.0.0.1\nport={port}\nserver_url=http://127.0.0.1:{port}\n"
            f"issuer={ISSUER}\njwks_uri={jwks_uri}\nallowed_scopes=mcp:read mcp:admin\n"
            + introspection,
            encoding="utf-8",
        )
        argv: tuple[str, ...] = (
            args.example_python, "-m", "gunicorn", "--workers", str(args.workers),
            "--bind", f"127.0.0.1:{port}", "--no-control-socket",
            "py_auth_mcp_server.app:create_app()",
        )  # fmt: skip
        if threads:  # gthread: keep-alive connections, requests on a thread pool
            argv = (*argv[:-1], "--worker-class", "gthread", "--threads", str(threads), argv[-1])
        env = {**base_env, "PY_AUTH_MCP_CONFIG": str(config)}
        if not auth:
            env["PY_AUTH_MCP_NO_AUTH"] = "1"
        return Target(name, argv, env, auth, port)

    def peer_env(port: int) -> dict[str, str]:
        return {
            **base_env,
            "BENCH_JWKS_URI": jwks_uri,
            "BENCH_ISSUER": ISSUER,
            "BENCH_SERVER_URL": f"http://127.0.0.1:{port}",
            "PYTHONPATH": str(HERE),
        }

    def peer(name: str, python: str, module: str, verifier: str = "own") -> Target:
        port = fresh_port()
        argv = (
            python, str(HERE / "uvicorn_nodelay.py"), f"{module}:app",
            "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(args.workers), "--log-level", "warning", "--no-access-log",
        )  # fmt: skip
        env = {
            **peer_env(port),
            "BENCH_VERIFIER": verifier,
            "BENCH_INTROSPECTION_URL": introspection_url,
        }
        return Target(name, argv, env, True, port)

    def flask_reference(name: str, *, auth: bool) -> Target:
        port = fresh_port()
        argv = (
            args.example_python, "-m", "gunicorn", "--workers", str(args.workers),
            "--bind", f"127.0.0.1:{port}", "--no-control-socket", "flask_reference:app",
        )  # fmt: skip
        env = peer_env(port)
        if not auth:
            env["BENCH_NO_AUTH"] = "1"
        return Target(name, argv, env, auth, port)

    return [
        example("example", auth=True),
        example("example-noauth", auth=False),
        example("example-gthread", auth=True, threads=args.threads),
        example("example-gthread-noauth", auth=False, threads=args.threads),
        example("example-opaque", auth=True, opaque=True),
        peer("fastmcp", args.fastmcp_python, "fastmcp_server"),
        peer("fastmcp-introspection", args.fastmcp_python, "fastmcp_server", "introspection"),
        peer("fastmcp-gopher", args.fastmcp_python, "fastmcp_server", "gopher"),
        peer("mcp-sdk", args.sdk_python, "mcp_sdk_server"),
        peer("mcp-sdk-gopher", args.sdk_python, "mcp_sdk_server", "gopher"),
        flask_reference("flask-pyjwt", auth=True),
        flask_reference("flask-bare", auth=False),
    ]


def _headers(token: str | None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": PROTOCOL_VERSION,
        **(extra or {}),
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _check(url: str, target: Target, token: str, timeout_s: float = 60.0) -> None:
    """Wait until the target answers every scenario correctly (and refuses a missing token)."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            answers = {
                name: httpx.post(url, json=body, headers=_headers(token), timeout=5)
                for name, body in SCENARIOS.items()
            }
        except httpx.HTTPError as err:
            last = repr(err)
            time.sleep(0.2)
            continue
        bad = {
            n: (r.status_code, r.text[:200])
            for n, r in answers.items()
            if r.status_code != 200 or "result" not in r.json()
        }
        if not bad:
            call = answers["tools/call"].json()["result"]
            if "Paris" not in json.dumps(call):
                raise RuntimeError(f"{target.name}: unexpected tool result {call}")
            anonymous = httpx.post(url, json=SCENARIOS["tools/list"], headers=_headers(None))
            expected = 401 if target.authenticated else 200
            if anonymous.status_code != expected:
                raise RuntimeError(
                    f"{target.name}: a request without a token got {anonymous.status_code}, "
                    f"expected {expected}"
                )
            return
        last = str(bad)
        time.sleep(0.2)
    raise RuntimeError(f"{target.name} never answered correctly: {last}")


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(
    url: str,
    body: object,
    token: str | None,
    args: argparse.Namespace,
    extra_headers: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Run wrk against ``url`` POSTing ``body``; parse requests/s, p50, p99, errors."""
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(json.dumps(body, separators=(',', ':')))}",
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in _headers(token, extra_headers).items()]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        command = [
            "wrk", "--latency", "-t", str(args.wrk_threads), "-c", str(args.connections),
            "-d", f"{args.duration}s", "--timeout", "10s", "-s", script.name, url,
        ]  # fmt: skip
        output = subprocess.run(  # noqa: S603 - wrk with a fixed argv
            command, check=True, capture_output=True, text=True
        ).stdout
    finally:
        os.unlink(script.name)
    percentiles = {m[0]: float(m[1]) * _UNIT_MS[m[2]] for m in _LATENCY.findall(output)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if rps is None or total is None or set(percentiles) != {"50", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return {
        "requests_per_s": float(rps.group(1)),
        "p50_ms": percentiles["50"],
        "p99_ms": percentiles["99"],
        "requests": int(total.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def _cpu_seconds(process: ManagedProcess) -> float:
    """User + system CPU time of every process in the server's process group."""
    ticks = 0
    for pid in pids_in_group(process.popen.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Running:
    """A started target: its process, MCP URL and token (audience = that URL)."""

    target: Target
    process: ManagedProcess
    url: str
    token: str


def measure(args: argparse.Namespace) -> list[Result]:
    """Start every target (each on its own port), then measure them in interleaved rounds.

    Interleaving (round 1: every target and scenario, round 2: again, …) spreads the noise of
    a shared machine over all targets alike; the report takes the median round.
    """
    key = SigningKey.generate("bench-1")
    results: list[Result] = []
    log_dir = Path(args.work_dir) / "logs"
    running: list[Running] = []
    with serve_jwks([key.public_jwk()]) as jwks, serve_introspection() as introspection_url:
        try:
            for target in _targets(args, jwks.url, introspection_url):
                if target.name not in args.targets:
                    continue
                process = start(target.name, target.argv, log_dir=log_dir, cwd=HERE, env=target.env)
                url = f"http://127.0.0.1:{target.port}/mcp"
                token = TokenKit(audience=url).mint(key, scope="mcp:read")
                if target.name in OPAQUE_TARGETS:
                    token = opaque_token(target.port)
                running.append(Running(target, process, url, token))
            for server in running:
                _check(server.url, server.target, server.token)
            for number in range(1, args.rounds + 1):
                for server in running:
                    for scenario, body in SCENARIOS.items():
                        cpu_before = _cpu_seconds(server.process)
                        numbers = _wrk(server.url, body, server.token, args)
                        cpu = _cpu_seconds(server.process) - cpu_before
                        result = Result(
                            server.target.name,
                            scenario,
                            cpu_us_per_request=cpu * 1e6 / max(1, int(numbers["requests"])),  # type: ignore[call-overload]
                            round=number,
                            **numbers,  # type: ignore[arg-type]
                        )
                        print(json.dumps(asdict(result)), flush=True)
                        if result.non_2xx or result.socket_errors:
                            log = server.process.log_tail()
                            raise RuntimeError(f"{server.target.name} {scenario}: {result}\n{log}")
                        results.append(result)
        finally:
            for server in running:
                stop_and_verify(server.process)
    return results


def median_rounds(results: Sequence[Result]) -> list[Result]:
    """Per target and scenario, the round with the median requests/s."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        groups.setdefault((result.target, result.scenario), []).append(result)
    chosen = []
    for group in groups.values():
        ordered = sorted(group, key=lambda r: r.requests_per_s)
        chosen.append(ordered[len(ordered) // 2])
    return chosen


#: Each target's own server with auth disabled (the peers have none).
_NO_AUTH_BASELINE = {
    "example": "example-noauth",
    "example-noauth": "example-noauth",
    "example-gthread": "example-gthread-noauth",
    "example-gthread-noauth": "example-gthread-noauth",
    "example-opaque": "example-noauth",
    "flask-pyjwt": "flask-bare",
    "flask-bare": "flask-bare",
}


def markdown(results: Sequence[Result], args: argparse.Namespace) -> str:
    """The results table with the ratios to FastMCP and to the example without auth."""
    by = {(r.target, r.scenario): r for r in results}
    rows = [
        f"wrk {args.duration} s per target and scenario, {args.connections} connections, "
        f"{args.wrk_threads} wrk threads, {args.workers} server worker(s), loopback; "
        f"median of {args.rounds} interleaved rounds. Ratios: requests/s.",
        "",
        "| scenario | server | req/s | p50 ms | p99 ms | server CPU µs/req "
        "| × FastMCP | × same server without auth |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for result in results:
        fast = by.get(("fastmcp", result.scenario))
        noauth = by.get((_NO_AUTH_BASELINE.get(result.target, ""), result.scenario))
        ratio_fast = f"{result.requests_per_s / fast.requests_per_s:.2f}" if fast else "–"
        ratio_noauth = f"{result.requests_per_s / noauth.requests_per_s:.2f}" if noauth else "–"
        rows.append(
            f"| {result.scenario} | {result.target} | {result.requests_per_s:,.0f} | "
            f"{result.p50_ms:.2f} | {result.p99_ms:.2f} | {result.cpu_us_per_request:,.0f} | "
            f"{ratio_fast} | {ratio_noauth} |"
        )
    return "\n".join(rows)


def main() -> int:
    """Measure, print the JSON lines and the table; ``--json`` saves every round."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads of a gthread worker")
    parser.add_argument("--example-python", default=sys.executable)
    parser.add_argument("--fastmcp-python", default=sys.executable)
    parser.add_argument("--sdk-python", default=sys.executable)
    parser.add_argument(
        "--targets",
        nargs="+",
        default=[
            "example",
            "example-noauth",
            "example-gthread",
            "example-gthread-noauth",
            "example-opaque",
            "fastmcp",
            "fastmcp-introspection",
            "fastmcp-gopher",
            "mcp-sdk",
            "mcp-sdk-gopher",
            "flask-pyjwt",
            "flask-bare",
        ],
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("run.py: wrk not found (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-server-") as work_dir:
        args.work_dir = work_dir
        results = measure(args)
    print()
    print(markdown(median_rounds(results), args))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
