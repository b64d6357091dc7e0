"""Where an async adapter runs a token check: inline, or on a worker thread.

A check may block: the first request, or a token signed with a key id not seen yet, makes the
engine fetch the JWKS (up to ``request_timeout``), which must not stall an event loop. But the
worker-thread hop costs more CPU than the check itself (~150 µs against ~20 µs on the project's
2-core machine), and almost every request repeats a token that verified before — which the
engine's verified-token cache answers without any network. So: a token this process verified
recently (:meth:`~.authenticator.Authenticator.is_verified_before`) is checked inline; anything
else goes to a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .authenticator import Authenticator

__all__ = ["check"]

T = TypeVar("T")


async def check(
    authenticator: Authenticator, token: str | None, call: Callable[[], T], *, offload: bool
) -> T:
    """Run ``call`` (a check of ``token``) inline when that cannot block, else on a thread."""
    if not offload or token is None or authenticator.is_verified_before(token):
        return call()
    import anyio.to_thread

    return await anyio.to_thread.run_sync(call)
