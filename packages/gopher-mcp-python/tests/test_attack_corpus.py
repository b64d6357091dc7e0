"""Every case of the attack corpus through the Python API must get the corpus verdict.

The corpus is the repository's copy, ``native/tests/data/corpus.json``: public keys, tokens,
and for each token the required checks and the expected verdict under ``POLICY.md``. Each case
runs with ``load_jwks`` (the corpus JWKS), ``allowed_algorithms`` = the policy's list, and
options from the case (audience, scopes, clock skew, ``set_time(now)``) — twice, so that a
verdict served from the verified-token cache must match the first one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import find_repo_root
from gopher_mcp_python import GopherAuthClient, GopherAuthError, GopherValidationOptions

CORPUS_PATH = find_repo_root() / "native" / "tests" / "data" / "corpus.json"


def load_corpus(path: Path = CORPUS_PATH) -> dict[str, Any]:
    """The corpus document."""
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def expand_token(token: str | dict[str, Any]) -> str:
    """A case's token; generated tokens are concatenations of literal and repeated parts."""
    if isinstance(token, str):
        return token
    parts = []
    for part in token["generate"]:
        parts.append(part if isinstance(part, str) else part["repeat"] * part["count"])
    return "".join(parts)


if CORPUS_PATH.is_file():
    CORPUS = load_corpus()
    CASES = CORPUS["cases"]
else:  # fail loudly (one failing case), never skip
    CORPUS = {"policy": {"allowed_algs": []}, "jwks": {"keys": []}}
    CASES = [{"name": "corpus-missing", "required_checks": {"issuer": "x"}}]


@pytest.fixture(scope="module")
def clients(native_library: Any) -> Iterator[dict[str, GopherAuthClient]]:
    """One client per issuer named by the corpus, each holding the corpus JWKS only."""
    created: dict[str, GopherAuthClient] = {}
    for issuer in {case["required_checks"]["issuer"] for case in CASES}:
        client = GopherAuthClient("", issuer)
        if CASES[0]["name"] != "corpus-missing":
            client.set_option("allowed_algorithms", CORPUS["policy"]["allowed_algs"])
            client.load_jwks(CORPUS["jwks"])
        created[issuer] = client
    yield created
    for client in created.values():
        client.destroy()


def test_corpus_is_complete() -> None:
    assert CORPUS_PATH.is_file(), f"the attack corpus is missing: {CORPUS_PATH}"
    assert len(CASES) >= 114
    assert len({case["name"] for case in CASES}) == len(CASES)
    assert {case["expected"] for case in CASES} == {"valid", "invalid"}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_corpus_case(clients: dict[str, GopherAuthClient], case: dict[str, Any]) -> None:
    if "token" not in case:
        pytest.fail(f"the attack corpus is missing: {CORPUS_PATH}")
    token = expand_token(case["token"])
    encoded = token.encode("utf-8")
    assert len(encoded) == case["token_len"]
    assert hashlib.sha256(encoded).hexdigest() == case["token_sha256"]

    checks = case["required_checks"]
    client = clients[checks["issuer"]]
    with GopherValidationOptions() as options:
        options.set_audience(checks["audience"])
        options.set_scopes(checks["required_scopes"])
        options.set_clock_skew(checks["clock_skew_s"])
        options.set_time(checks["now"])
        first = client.validate_token(token, options)
        second, payload = client.validate_and_extract(token, options)

    expected_valid = case["expected"] == "valid"
    assert first.valid is expected_valid, f"{case['name']}: {case['reason']} -> {first}"
    assert (second.valid, second.error_code) == (first.valid, first.error_code)
    if expected_valid:
        assert first.error_code == GopherAuthError.SUCCESS
        assert first.error_message is None
        assert payload is not None
        assert payload.issuer == checks["issuer"]
    else:
        assert payload is None
        assert first.error_code != GopherAuthError.SUCCESS
        assert first.error_message
        assert len(first.error_message.encode()) <= 512  # bounded; never echoes the token
        assert first.error_message == second.error_message
