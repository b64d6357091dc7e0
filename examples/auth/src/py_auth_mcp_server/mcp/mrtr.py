"""Multi-round-trip requests (MCP 2026-07-28, SEP-2322): input-required results.

On 2026-07-28 a server never sends the client a request of its own. A handler that needs the
client's input (elicitation, sampling, roots) raises :class:`InputRequired`; the request is
answered ``{"resultType": "input_required", "inputRequests": {…}, "requestState": "…"}`` and the
client retries the same request with ``inputResponses`` (keyed like ``inputRequests``) and the
``requestState`` echoed back.

``requestState`` passes through the client, so it is sealed: HMAC-SHA256 under a key of this
process, bound to the method and the tool or prompt name it was issued for. A state that fails the
check (tampered, or issued for another tool) is refused with ``-32602`` before the handler runs.
The key is per process: behind several workers, give them one key (``RequestStateSeal(key)``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

from .protocol import INVALID_PARAMS, McpError

__all__ = ["MAX_STATE_CHARS", "InputRequired", "RequestStateSeal", "input_required_result"]

#: Longest ``requestState`` accepted (the server issues far shorter ones).
MAX_STATE_CHARS = 4096


class InputRequired(Exception):  # noqa: N818 - an answer, not a failure
    """Raised by a handler that needs the client's input before it can complete.

    Args:
        requests: key → ``{"method": "elicitation/create" | "sampling/createMessage" |
            "roots/list", "params": {…}}``.
        state: what the handler needs to remember until the retry (JSON), sealed for the client.

    """

    def __init__(self, requests: dict[str, dict[str, Any]], state: Any = None) -> None:
        super().__init__("input required")
        self.requests = requests
        self.state = state


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class RequestStateSeal:
    """Seals ``requestState`` values (HMAC-SHA256) and opens them after the client echoes them."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def _mac(self, purpose: str, payload: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + payload, hashlib.sha256).digest()

    def seal(self, purpose: str, state: Any) -> str:
        """``state`` as an opaque string for ``purpose`` (e.g. ``"tools/call:my_tool"``)."""
        payload = json.dumps(state, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(purpose, payload))}"

    def open(self, purpose: str, token: object) -> Any:
        """The state sealed in ``token`` for ``purpose``; ``-32602`` when it does not verify."""
        refused = McpError(
            INVALID_PARAMS,
            "Invalid params: requestState failed its integrity check; retry the request "
            "without requestState",
        )
        if not isinstance(token, str) or len(token) > MAX_STATE_CHARS or "." not in token:
            raise refused
        payload_text, _, mac_text = token.partition(".")
        try:
            payload, mac = _unb64(payload_text), _unb64(mac_text)
        except (binascii.Error, ValueError):
            raise refused from None
        if not hmac.compare_digest(mac, self._mac(purpose, payload)):
            raise refused
        return json.loads(payload)


def input_required_result(
    exc: InputRequired, seal: RequestStateSeal, purpose: str
) -> dict[str, Any]:
    """The ``InputRequiredResult`` answering a request whose handler raised ``exc``."""
    result: dict[str, Any] = {"resultType": "input_required", "inputRequests": exc.requests}
    if exc.state is not None:
        result["requestState"] = seal.seal(purpose, exc.state)
    return result
