#!/usr/bin/env python3
"""Full JWT validation side by side: this SDK vs PyJWT, joserfc, Authlib, jwcrypto, python-jose.

The same RS256, PS256, ES256 and EdDSA access tokens (fresh throw-away keys, a 12-key JWKS) are
validated by every library — ``kid`` lookup, signature, ``exp``/``nbf`` (60 s leeway), ``iss``,
``aud``, two required scopes — in one process, on one thread, round-robin, median of repeats.
Every validator first proves it refuses forged, expired, premature, foreign and under-scoped
tokens (:mod:`jwtbench.conformance`). Then the SDK's throughput with two threads is compared
with one (the GIL is released during the native call).

Run from the repository root (see benchmarks/README.md for the setup)::

    python benchmarks/validate_peers.py            # full run, about 1 minute
    python benchmarks/validate_peers.py --quick    # a smoke run, seconds

Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup or conformance error.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

# `python benchmarks/validate_peers.py` puts this folder first on sys.path: jwtbench is importable.
from jwtbench.conformance import conformance_failures
from jwtbench.fixture import make_fixture
from jwtbench.peers import PEER_SETUPS, LibrarySetup
from jwtbench.policy import ALGORITHMS
from jwtbench.report import Target, render
from jwtbench.sdk import (
    SDK_NAME,
    library_description,
    make_client,
    make_options,
    sdk_setups,
    verdict_validator,
)
from jwtbench.timing import Case, control_validator, measure_thread_scaling, run_round_robin

CACHE_OFF = f"{SDK_NAME} (cache off)"
CACHE_ON = f"{SDK_NAME} (cache on)"
TARGETS = [
    Target(CACHE_OFF, "RS256", 2.0),
    Target(CACHE_OFF, "ES256", 1.3),
    *(Target(CACHE_ON, alg, 15.0) for alg in ALGORITHMS),
]
THREAD_TARGET = 1.7


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few short rounds (smoke test)")
    parser.add_argument("--rounds", type=int, default=21, help="measured rounds (default 21)")
    parser.add_argument(
        "--batch-ms", type=float, default=20.0, help="duration of one batch (default 20 ms)"
    )
    return parser.parse_args()


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()},"
        f" {cpu}, {os.cpu_count()} logical CPUs, load average {load}"
    )


def main() -> int:
    """Run the benchmark; print the report; return the exit status."""
    args = _arguments()
    rounds, batch_s, warmup_s, thread_s, thread_repeats = (
        (5, 0.005, 0.05, 0.1, 3) if args.quick else (args.rounds, args.batch_ms / 1000, 0.2, 0.5, 7)
    )
    began = time.perf_counter()
    fixture = make_fixture()
    setups: list[LibrarySetup] = [build(fixture) for build in PEER_SETUPS.values()]
    peer_names = [setup.name for setup in setups]
    setups += sdk_setups(fixture)

    failures = conformance_failures(setups, fixture)
    if failures:
        print("Conformance check failed; nothing was timed:", *failures, sep="\n  ")
        return 2

    cases = {
        (setup.name, alg): Case(setup.name, alg, validator, fixture.tokens[alg].good)
        for alg in ALGORITHMS
        for setup in setups
        for validator in [setup.validators.get(alg)]
        if validator is not None
    }
    run_round_robin(list(cases.values()), rounds, batch_s, warmup_s)

    options = make_options()
    no_cache = verdict_validator(make_client(fixture, token_cache=False), options)
    scaling = [
        measure_thread_scaling(
            f"{CACHE_OFF} {alg}", no_cache, fixture.tokens[alg].good, thread_s, thread_repeats
        )
        for alg in ("RS256", "ES256")
    ]

    control = measure_thread_scaling(
        "hashlib.sha256 of 64 KiB (releases the GIL)",
        control_validator,
        "",
        thread_s,
        thread_repeats,
    )

    report, all_met = render(
        setups, peer_names, cases, scaling, control, TARGETS, THREAD_TARGET, (CACHE_ON, CACHE_OFF)
    )
    print(f"validate_peers — {_machine()}")
    print(f"native library: {library_description()}")
    print(
        f"{rounds} rounds × {batch_s * 1000:.0f} ms batches per case, round-robin;"
        f" every validator passed the conformance check; run took"
        f" {time.perf_counter() - began:.0f} s"
    )
    print()
    print(report)
    return 0 if all_met else 1


if __name__ == "__main__":
    sys.exit(main())
