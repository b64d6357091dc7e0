"""Timing: round-robin batches with medians, and the two-thread throughput comparison.

Each case (one library, one algorithm) is calibrated so a batch lasts about ``batch_seconds``;
then, round after round, every case runs one batch in turn (the starting case rotates), so a
busy spell on the shared machine hits all libraries alike. The statistic is the median over
rounds of µs per validation. Batches are timed with the thread's CPU-time clock
(``time.thread_time``): on a shared machine the wall clock also counts the time other processes
hold the core. The garbage collector stays enabled, as in a server; a collection runs before each
batch so every batch starts from the same state. The two-thread comparison is about throughput
and so uses the wall clock.
"""

from __future__ import annotations

import gc
import hashlib
import statistics
import threading
import time
from dataclasses import dataclass, field

from .peers import Validator


@dataclass
class Case:
    """One library validating one token over and over."""

    library: str
    alg: str
    validator: Validator
    token: str
    iterations: int = 1
    samples_us: list[float] = field(default_factory=list)

    def batch(self, iterations: int) -> float:
        """Seconds for ``iterations`` validations."""
        validator, token = self.validator, self.token
        gc.collect()
        start = time.thread_time()
        for _ in range(iterations):
            validator(token)
        return time.thread_time() - start

    def calibrate(self, warmup_seconds: float, batch_seconds: float) -> None:
        """Warm the case up and size its batch."""
        iterations, per_op, deadline = 1, 0.0, time.perf_counter() + warmup_seconds
        while True:
            elapsed = self.batch(iterations)
            per_op = max(elapsed, 1e-6) / iterations
            if time.perf_counter() >= deadline:
                break
            if elapsed < batch_seconds / 4:
                iterations *= 2
        self.iterations = max(1, round(batch_seconds / per_op))

    @property
    def median_us(self) -> float:
        """The median over rounds, in µs per validation."""
        return statistics.median(self.samples_us)


def run_round_robin(
    cases: list[Case], rounds: int, batch_seconds: float, warmup_seconds: float
) -> None:
    """Calibrate every case, then measure ``rounds`` batches of each, interleaved."""
    for case in cases:
        case.calibrate(warmup_seconds, batch_seconds)
    for round_index in range(rounds):
        start = round_index % len(cases)
        for case in cases[start:] + cases[:start]:
            elapsed = case.batch(case.iterations)
            case.samples_us.append(elapsed / case.iterations * 1e6)


def paired_speedup(slower: Case, faster: Case) -> float:
    """Median over rounds of ``slower / faster`` (samples of one round are close in time)."""
    pairs = zip(slower.samples_us, faster.samples_us, strict=True)
    return statistics.median(s / f for s, f in pairs)


@dataclass
class ThreadScaling:
    """Two threads against one, same client, same token: throughput ratios per repeat."""

    label: str
    one_thread_ops_per_s: list[float] = field(default_factory=list)
    two_threads_ops_per_s: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Median over repeats of (two-thread throughput / one-thread throughput)."""
        return statistics.median(
            two / one
            for one, two in zip(self.one_thread_ops_per_s, self.two_threads_ops_per_s, strict=True)
        )


_CONTROL_BLOCK = bytes(64 * 1024)


def control_validator(_token: str) -> object:
    """A known GIL-releasing workload of about the SDK's duration: the machine's ceiling.

    CPython's hashlib releases the GIL while hashing more than 2 KiB, so the two-thread scaling
    of this function is what the machine allowed during the run.
    """
    return hashlib.sha256(_CONTROL_BLOCK).digest()


def _threads_wall_time(validator: Validator, token: str, threads: int, ops: int) -> float:
    """Wall seconds for ``threads`` threads doing ``ops`` validations each, started together."""
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for _ in range(ops):
            validator(token)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    gc.collect()
    barrier.wait()
    start = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def measure_thread_scaling(
    label: str, validator: Validator, token: str, seconds_per_run: float, repeats: int
) -> ThreadScaling:
    """Alternate one-thread and two-thread runs of about ``seconds_per_run`` each."""
    per_op = _threads_wall_time(validator, token, 1, 200) / 200
    ops = max(100, round(seconds_per_run / per_op))
    scaling = ThreadScaling(label)
    for _ in range(repeats):
        one = _threads_wall_time(validator, token, 1, ops)
        two = _threads_wall_time(validator, token, 2, ops)
        scaling.one_thread_ops_per_s.append(ops / one)
        scaling.two_threads_ops_per_s.append(2 * ops / two)
    return scaling
