"""Proof that every benchmarked validator does the full work before it is timed.

Each validator must accept its algorithm's good token and refuse every bad one (forged
signature, expired, not yet valid, no ``exp``, other issuer, other or no audience, a missing
scope, an unknown ``kid``). A validator that lets one through would be measured doing less than
the others, so the benchmark stops instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from .fixture import Fixture
from .peers import LibrarySetup


def conformance_failures(setups: Iterable[LibrarySetup], fixture: Fixture) -> list[str]:
    """Every way a validator falls short, as readable lines (empty: all good)."""
    failures: list[str] = []
    for setup in setups:
        for alg, validator in setup.validators.items():
            tokens = fixture.tokens[alg]
            for _ in range(2):  # twice: the second call may be answered from a token cache
                try:
                    validator(tokens.good)
                except Exception as error:
                    failures.append(f"{setup.name} {alg}: refuses the good token: {error!r}")
            for case, token in tokens.bad.items():
                try:
                    validator(token)
                except Exception:  # noqa: S112 - refusing is the expected outcome
                    continue
                failures.append(f"{setup.name} {alg}: accepts a bad token ({case})")
    return failures
