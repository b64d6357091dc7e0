"""The result table (Markdown) and the target verdicts."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .peers import LibrarySetup
from .policy import ALGORITHMS
from .timing import Case, ThreadScaling, paired_speedup


@dataclass(frozen=True)
class Target:
    """A speed-up the SDK variant ``library`` must reach over the fastest peer on ``alg``."""

    library: str
    alg: str
    minimum: float


def _fastest_peer(cases: dict[tuple[str, str], Case], peers: Sequence[str], alg: str) -> Case:
    candidates = [cases[(peer, alg)] for peer in peers if (peer, alg) in cases]
    return min(candidates, key=lambda case: case.median_us)


def render(
    setups: Sequence[LibrarySetup],
    peer_names: Sequence[str],
    cases: dict[tuple[str, str], Case],
    scaling: Sequence[ThreadScaling],
    control: ThreadScaling,
    targets: Sequence[Target],
    thread_target: float,
    gil_bound: tuple[str, str],
) -> tuple[str, bool]:
    """The Markdown report and whether every target was met."""
    lines = [
        "µs per full validation (median over rounds); for the SDK rows, in brackets: speed-up"
        " over the fastest peer on that algorithm (median of per-round ratios).",
        "",
        "| library | version | " + " | ".join(ALGORITHMS) + " |",
        "|---|---|" + "---|" * len(ALGORITHMS),
    ]
    fastest = {alg: _fastest_peer(cases, peer_names, alg) for alg in ALGORITHMS}
    for setup in setups:
        cells = []
        for alg in ALGORITHMS:
            case = cases.get((setup.name, alg))
            if case is None:
                cells.append("skipped")
            elif setup.name in peer_names:
                mark = " (fastest peer)" if case is fastest[alg] else ""
                cells.append(f"{case.median_us:.1f}{mark}")
            else:
                cells.append(f"{case.median_us:.2f} ({paired_speedup(fastest[alg], case):.2f}×)")
        lines.append(f"| {setup.name} | {setup.version} | " + " | ".join(cells) + " |")
    skipped = [
        f"- {setup.name} skips {alg}: {reason}"
        for setup in setups
        for alg, reason in setup.skipped.items()
    ]
    if skipped:
        lines += ["", "Skipped (the library cannot verify this algorithm):", *skipped]

    lines += ["", "Targets:"]
    all_met = True
    for target in targets:
        ratio = paired_speedup(fastest[target.alg], cases[(target.library, target.alg)])
        met = ratio >= target.minimum
        all_met &= met
        lines.append(
            f"- {target.library}, {target.alg}: {ratio:.2f}× {fastest[target.alg].library}"
            f" (target ≥ {target.minimum}×): {'MET' if met else 'MISSED'}"
        )
    machine_allows = control.ratio >= thread_target
    for result in scaling:
        met = result.ratio >= thread_target
        all_met &= met
        one = statistics.median(result.one_thread_ops_per_s)
        verdict = "MET" if met else "MISSED" if machine_allows else "NOT MEASURABLE HERE"
        lines.append(
            f"- two threads vs one, {result.label}: {result.ratio:.2f}× throughput"
            f" (one thread ≈ {one:,.0f} validations/s; target ≥ {thread_target}×): {verdict}"
        )
    cache_on, cache_off = gil_bound
    for result in scaling:
        alg = result.label.rsplit(" ", 1)[-1]
        held = cases[(cache_on, alg)].median_us / cases[(cache_off, alg)].median_us
        lines.append(
            f"- expected with two free cores, {alg}: ≥ {2 / (1 + held):.2f}× — the GIL is held for"
            f" at most {held:.1%} of a call (bounded by the whole cost of a cache-hit call)"
        )
    lines.append(
        f"- control, {control.label}: {control.ratio:.2f}× — what this machine allowed two threads"
        " during the run"
        + (
            ""
            if machine_allows
            else " (no second core was free: the two-thread ratios above say nothing about the SDK)"
        )
    )
    return "\n".join(lines), all_met
