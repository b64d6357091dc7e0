"""Fixtures of the robustness tests: signing keys, a JWKS endpoint the test controls, and the
example under gunicorn (stopped after each test, with a check that no process is left)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# This directory's helpers, and the e2e harness's process helpers (managed_process), importable
# under any --import-mode.
sys.path[:0] = [str(HERE), str(HERE.parent / "e2e")]

from gunicorn_server import GunicornExample, start_example  # noqa: E402
from jwks_control import ControllableJwks, serve_jwks  # noqa: E402
from managed_process import stop_and_verify  # noqa: E402
from tokens import ISSUER, SigningKey  # noqa: E402

StartExample = Callable[..., GunicornExample]


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate("robustness-1")


@pytest.fixture
def jwks(signing_key: SigningKey) -> Iterator[ControllableJwks]:
    with serve_jwks([signing_key.public_jwk()]) as endpoint:
        yield endpoint


@pytest.fixture
def example_factory(jwks: ControllableJwks, tmp_path: Path) -> Iterator[StartExample]:
    """``example_factory(workers=3, cache_duration=…)`` → the example under gunicorn."""
    started: list[GunicornExample] = []

    def start(*, workers: int = 3, cache_duration: int = 3600) -> GunicornExample:
        log_dir = tmp_path / f"gunicorn-{len(started)}"
        example = start_example(
            jwks_uri=jwks.url,
            issuer=ISSUER,
            log_dir=log_dir,
            workers=workers,
            cache_duration=cache_duration,
        )
        started.append(example)
        return example

    yield start
    for example in started:
        stop_and_verify(example.process)
