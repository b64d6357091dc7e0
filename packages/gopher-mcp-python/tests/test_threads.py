"""Validation runs in parallel: ctypes releases the GIL while the native library works.

Shown by recorded intervals, not by timing thresholds: two threads are inside the native
library at the same moment. A binding that held the GIL through the native call could never
produce an overlap: with the interpreter's switch interval raised far above the test's
duration, a thread holding the GIL keeps it until it blocks, and the only blocking here is the
native call itself.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conftest import ISSUER, standard_claims
from gopher_mcp_python import GopherAuthClient, GopherHandleClosedError, GopherValidationOptions
from jose_mint import generate_key, jwks, mint
from jwks_server import serve_jwks

Interval = tuple[float, float]


def overlapping(first: list[Interval], second: list[Interval]) -> list[tuple[Interval, Interval]]:
    """Pairs of intervals, one from each list, that intersect."""
    return [(a, b) for a in first for b in second if a[0] < b[1] and b[0] < a[1]]


@pytest.fixture
def no_preemption() -> Iterator[None]:
    """Threads switch only when the running one blocks (e.g. releases the GIL for C code)."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def run_in_two_threads(
    work: Callable[[list[Interval]], None],
) -> tuple[list[Interval], list[Interval]]:
    """Run ``work`` in two threads released together; return each thread's intervals."""
    records: tuple[list[Interval], list[Interval]] = ([], [])
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def runner(record: list[Interval]) -> None:
        try:
            barrier.wait()
            work(record)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=(record,)) for record in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return records


def test_threads_fetching_keys_overlap_inside_the_library(
    native_library: Any, no_preemption: None, options: GopherValidationOptions
) -> None:
    """Each thread's first validation fetches keys from a deliberately slow JWKS server."""
    key = generate_key("ES256", kid="slow-1")
    token = mint(key, standard_claims())
    with serve_jwks(jwks(key), delay_s=0.4) as server:
        clients = [GopherAuthClient(server.url, ISSUER) for _ in range(2)]
        pool = iter(clients)
        lock = threading.Lock()

        def work(record: list[Interval]) -> None:
            with lock:
                client = next(pool)
            start = time.perf_counter()
            result = client.validate_token(token, options)
            record.append((start, time.perf_counter()))
            assert result.valid, result

        first, second = run_in_two_threads(work)
        server_intervals = list(server.intervals)
        for client in clients:
            client.destroy()
    assert overlapping(first, second), (first, second)
    # the server saw both key requests in flight at once: both threads were in native code
    assert len(server_intervals) == 2
    assert overlapping(server_intervals[:1], server_intervals[1:]), server_intervals


def test_threads_verifying_signatures_overlap_inside_the_library(
    native_library: Any, no_preemption: None, options: GopherValidationOptions
) -> None:
    """CPU-bound: uncached RSA-4096 PS512 verifications from two threads interleave."""
    key = generate_key("PS512", kid="big-1", rsa_bits=4096)
    tokens = [mint(key, standard_claims(jti=f"t-{index}")) for index in range(20)] * 10
    with GopherAuthClient("", ISSUER) as client:
        client.set_option("token_cache_size", 0)
        client.load_jwks(jwks(key))

        def work(record: list[Interval]) -> None:
            for token in tokens:
                start = time.perf_counter()
                valid = client.validate_token(token, options).valid
                record.append((start, time.perf_counter()))
                assert valid

        first, second = run_in_two_threads(work)
    assert len(first) == len(second) == len(tokens)
    assert overlapping(first, second)


def test_many_threads_get_their_own_verdicts_and_messages(
    client: GopherAuthClient, keys: dict[str, Any], options: GopherValidationOptions
) -> None:
    """Per-thread result buffers: no thread ever sees another thread's verdict or message."""
    cases = [
        (mint(keys["RS256"], standard_claims(sub=f"user-{index}")), True, None)
        for index in range(4)
    ]
    cases += [
        (
            mint(keys["ES256"], standard_claims(iss=f"https://other-{index}.example/")),
            False,
            f"https://other-{index}.example/",
        )
        for index in range(4)
    ]
    mistakes: list[str] = []

    def work(case_index: int) -> None:
        token, valid, foreign_issuer = cases[case_index]
        for _ in range(2_000):
            result, payload = client.validate_and_extract(token, options)
            if result.valid is not valid:
                mistakes.append(f"case {case_index}: {result}")
            elif valid and (payload is None or payload.subject != f"user-{case_index}"):
                mistakes.append(f"case {case_index}: payload {payload}")
            elif not valid and foreign_issuer not in (result.error_message or ""):
                mistakes.append(f"case {case_index}: message {result.error_message}")

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert mistakes == []


def test_destroy_while_other_threads_validate_never_crashes(
    native_library: Any, keys: dict[str, Any], options: GopherValidationOptions
) -> None:
    """Calls in flight keep the native client alive; later calls raise."""
    client = GopherAuthClient("", ISSUER).load_jwks(jwks(keys["EdDSA"]))
    client.set_option("token_cache_size", 0)
    token = mint(keys["EdDSA"], standard_claims())
    outcomes: list[str] = []
    started = threading.Barrier(5)

    def work() -> None:
        started.wait()
        while True:
            try:
                if not client.validate_token(token, options).valid:
                    outcomes.append("invalid")
            except GopherHandleClosedError:
                outcomes.append("closed")
                return

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.2)
    client.destroy()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["closed"] * 4
