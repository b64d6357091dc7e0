"""Soak: a bounded run of mixed valid and refused requests through the example under gunicorn.

4 client threads for ``GOPHER_SOAK_SECONDS`` (default 60) against 3 workers, with the mix of
``tokens.token_classes`` (valid tokens — one repeated, 1,000 unique ones that churn the
verified-token cache —, tools/list, a missing scope, no token, expired, wrong audience, wrong
issuer, forged signature, unknown kid, garbage). The JWKS cache lives 5 s, so workers refresh
throughout, and a 5 s IdP outage (connection resets) is injected in the middle: keys are
cached, so it must not show. Checked after a warm-up: every verdict right (expected vs actual
count per class), no 5xx, every request answered in bound, same workers, flat RSS.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from conftest import StartExample
from jwks_control import ControllableJwks, Mode
from tokens import SigningKey, TokenKit, token_classes
from traffic import Traffic

WORKERS = 3
SOAK_SECONDS = float(os.environ.get("GOPHER_SOAK_SECONDS", "60"))
WARM_UP_S = min(10.0, SOAK_SECONDS / 5)
OUTAGE_S = min(5.0, SOAK_SECONDS / 6)
#: Worker RSS may not grow more than this between the end of the warm-up and the end.
RSS_GROWTH_BOUND_KIB = 20 * 1024


def test_soak_mixed_tokens(
    example_factory: StartExample,
    jwks: ControllableJwks,
    signing_key: SigningKey,
    record_property: Callable[[str, object], None],
) -> None:
    example = example_factory(workers=WORKERS, cache_duration=5)
    classes = token_classes(TokenKit(audience=example.mcp_url), signing_key, unique_pool=1000)
    expected = {c.name: c.expected_status for c in classes}
    with Traffic(example.mcp_url, classes, threads=4) as traffic:
        traffic.phase = "warm-up"
        time.sleep(WARM_UP_S)
        pids, rss_before = example.worker_pids(), example.worker_rss_kib()
        traffic.phase = "soak"
        started = time.monotonic()
        steady = (SOAK_SECONDS - WARM_UP_S - OUTAGE_S) / 2
        time.sleep(steady)
        jwks.set_mode(Mode.RESET)
        time.sleep(OUTAGE_S)
        jwks.set_mode(Mode.OK)
        time.sleep(steady)
        elapsed = time.monotonic() - started
    rss_after = example.worker_rss_kib()

    table = traffic.statuses("soak")
    lines = [f"soak {elapsed:.0f} s, {sum(map(sum, (c.values() for c in table.values())))} req"]
    wrong: dict[str, dict[int | None, int]] = {}
    for name, statuses in sorted(table.items()):
        right = statuses[expected[name]]
        lines.append(
            f"  {name:22} expected {expected[name]}: {right:6d} / {sum(statuses.values())}"
        )
        if set(statuses) != {expected[name]}:
            wrong[name] = dict(statuses)
    growth = {pid: rss_after.get(pid, 0) - rss_before[pid] for pid in pids}
    lines.append(f"  worker RSS growth after warm-up (KiB): {sorted(growth.values())}")
    summary = "\n".join(lines)
    print(summary)
    record_property("soak_summary", summary)

    assert set(table) == set(expected), "a token class was never sent"
    assert wrong == {}, f"wrong verdicts:\n{summary}"
    assert traffic.problems() == []
    assert jwks.hits_in(Mode.RESET) >= 1, "the injected outage was never met"
    assert example.worker_pids() == pids, "a worker was replaced (crash or timeout)"
    assert example.booted_workers() == WORKERS
    assert example.trouble_in_log() == []
    assert max(growth.values()) < RSS_GROWTH_BOUND_KIB, summary
