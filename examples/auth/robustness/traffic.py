"""Client traffic against the example: N threads POSTing MCP requests from a token mix.

Every request records its token class, the test phase it was sent in, the HTTP status (or the
transport error), how long the answer took, and whether the answer was well formed for its
status (a JSON-RPC result for 200, a ``Bearer`` challenge for 401/403, ``Retry-After`` for
503). Tests then compare expected and actual verdicts per class and phase.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from tokens import TokenClass

__all__ = ["Outcome", "Traffic", "send"]

#: Longest a single request may take before it counts as unanswered (a liveness bound: the
#: slowest legitimate answer is a first fetch against a stalled IdP, about request_timeout).
ANSWER_BOUND_S = 15.0
_ARGUMENTS = {"get-weather": {"city": "Paris"}, "get-weather-alerts": {"region": "Paris"}}
_ids = itertools.count(1)


@dataclass(frozen=True)
class Outcome:
    """One request's fate."""

    token_class: str
    phase: str
    status: int | None  # None: no HTTP answer (transport error or timeout)
    seconds: float
    problem: str | None  # why the answer is malformed or missing, else None


def _problem(status: int, response: httpx.Response) -> str | None:
    """What is wrong with an answer of ``status``, if anything."""
    if status == 200:
        body = response.json()
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict) or result.get("isError"):
            return f"200 without a successful JSON-RPC result: {response.text[:200]}"
    elif status in (401, 403):
        if not response.headers.get("WWW-Authenticate", "").startswith("Bearer "):
            return f"{status} without a Bearer challenge"
    elif status == 503 and not response.headers.get("Retry-After"):
        return "503 without Retry-After"
    return None


def send(client: httpx.Client, url: str, token_class: TokenClass, phase: str) -> Outcome:
    """Send one request of ``token_class`` and record the outcome."""
    token = random.choice(token_class.tokens)  # noqa: S311 - load mix, not security
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if token_class.tool is None:
        message: dict[str, object] = {"jsonrpc": "2.0", "id": next(_ids), "method": "tools/list"}
    else:
        message = {
            "jsonrpc": "2.0",
            "id": next(_ids),
            "method": "tools/call",
            "params": {"name": token_class.tool, "arguments": _ARGUMENTS[token_class.tool]},
        }
    started = time.monotonic()
    try:
        response = client.post(url, json=message, headers=headers)
    except httpx.HTTPError as err:
        return Outcome(token_class.name, phase, None, time.monotonic() - started, repr(err))
    elapsed = time.monotonic() - started
    return Outcome(
        token_class.name,
        phase,
        response.status_code,
        elapsed,
        _problem(response.status_code, response),
    )


@dataclass
class Traffic:
    """Background traffic: ``threads`` clients cycling through ``classes`` until stopped."""

    url: str
    classes: Sequence[TokenClass]
    threads: int = 4
    phase: str = "start"
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def _run(self, offset: int) -> None:
        timeout = httpx.Timeout(ANSWER_BOUND_S)
        with httpx.Client(timeout=timeout) as client:
            for index in itertools.count(offset):
                if self._stop.is_set():
                    return
                token_class = self.classes[index % len(self.classes)]
                self.outcomes.append(send(client, self.url, token_class, self.phase))

    def __enter__(self) -> Traffic:
        for number in range(self.threads):
            worker = threading.Thread(target=self._run, args=(number * 3,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=ANSWER_BOUND_S + 5)
        assert not any(w.is_alive() for w in self._workers), "a client thread did not finish"

    def statuses(self, phase: str | None = None) -> dict[str, Counter[int | None]]:
        """Per token class, how often each status was answered (in ``phase``, or overall)."""
        table: dict[str, Counter[int | None]] = {}
        for outcome in list(self.outcomes):
            if phase is None or outcome.phase == phase:
                table.setdefault(outcome.token_class, Counter())[outcome.status] += 1
        return table

    def problems(self) -> list[Outcome]:
        """Outcomes that got no answer, a late answer, or a malformed one."""
        return [
            o
            for o in list(self.outcomes)
            if o.status is None or o.problem is not None or o.seconds > ANSWER_BOUND_S
        ]
