"""Copying a native token payload into a :class:`TokenPayload`, and always releasing it.

The fields come from the library's own getters (one source of truth for how ``scope``/``scp``,
``aud`` and the client id are read; scopes and audiences come as JSON lists, never re-split);
this module only keeps the round trips cheap: the functions are bound once, the out-parameters
are reused per thread, and nothing is allocated that is not returned.

:class:`DecodedPayloads` remembers the getters' output for recently *verified* tokens, keyed
by the exact token bytes. A token's claims are a pure function of its bytes, so for a token
seen before only the verdict has to come from the library (signature, time, issuer, audience
and scopes are still checked on every call). The claims are kept as a ``marshal`` image of the
decoded dict (our own bytes, never external input; for JSON's data model it is a faithful and
about twice-as-fast alternative to re-parsing the JSON), and every call gets a fresh copy, so no
two calls share a mutable object.
"""

from __future__ import annotations

import ctypes
import json
import marshal
import threading
from typing import Any, NamedTuple

from ._native import NativeFunctions
from .errors import GopherAuthException
from .types import GopherAuthError, TokenPayload

__all__ = ["DecodedPayloads", "PayloadFields", "PayloadReader", "RememberedPayload"]


class PayloadFields(NamedTuple):
    """What the native getters returned for one payload, with the claims JSON decoded."""

    subject: str | None
    scopes: tuple[str, ...]
    audience: tuple[str, ...]
    expiration: int
    issuer: str | None
    claims: dict[str, Any]
    client_id: str | None

    def to_payload(self) -> TokenPayload:
        """The :class:`TokenPayload` (owning ``claims``: use it once)."""
        return self.with_claims(self.claims)

    def with_claims(self, claims: dict[str, Any]) -> TokenPayload:
        """The :class:`TokenPayload` of these fields with ``claims``."""
        return TokenPayload(
            self.subject,
            " ".join(self.scopes),
            " ".join(self.audience) if self.audience else None,
            self.expiration,
            self.issuer,
            claims,
            self.client_id,
            self.scopes,
            self.audience,
        )


class RememberedPayload(NamedTuple):
    """A verified token's fields, with the claims as a ``marshal`` image."""

    fields: PayloadFields  # its ``claims`` is left empty: the image is the claims
    claims_image: bytes

    def to_payload(self) -> TokenPayload:
        """A new :class:`TokenPayload` with its own copy of the claims."""
        return self.fields.with_claims(
            marshal.loads(self.claims_image),  # noqa: S302 - our own image of a JSON dict
        )


def _decode_list(list_json: str | None, getter: str) -> tuple[str, ...]:
    items = json.loads(list_json) if list_json else []
    if type(items) is not list or any(type(item) is not str for item in items):
        raise GopherAuthException(
            f"{getter} returned something other than a JSON array of strings",
            GopherAuthError.INTERNAL_ERROR,
        )
    return tuple(items)


def _decode_claims(claims_json: str | None) -> dict[str, Any]:
    claims = json.loads(claims_json) if claims_json else {}
    if type(claims) is not dict:
        raise GopherAuthException(
            "the native library returned claims that are not a JSON object",
            GopherAuthError.INTERNAL_ERROR,
        )
    return claims


class _OutBuffers(threading.local):
    def __init__(self) -> None:
        self.text = ctypes.c_void_p()
        self.text_address = ctypes.addressof(self.text)
        # the same pointer read as a C string: ``.value`` copies it without a foreign call
        self.chars = ctypes.c_char_p.from_buffer(self.text)
        self.number = ctypes.c_int64()
        self.number_address = ctypes.addressof(self.number)


class PayloadReader:
    """Reads and destroys ``gopher_auth_token_payload_t`` handles of one loaded library."""

    def __init__(self, functions: NativeFunctions) -> None:
        self._functions = functions
        self._text_getters = (
            functions.gopher_auth_payload_get_subject,
            functions.gopher_auth_payload_get_scopes_json,
            functions.gopher_auth_payload_get_audience_json,
            functions.gopher_auth_payload_get_issuer,
            functions.gopher_auth_payload_get_claims_json,
            functions.gopher_auth_payload_get_client_id,
        )
        self._get_expiration = functions.gopher_auth_payload_get_expiration
        self._free = functions.gopher_auth_free_string
        self._destroy = functions.gopher_auth_payload_destroy
        self._buffers = _OutBuffers()

    def take(self, payload: int | None, action: str) -> PayloadFields:
        """Copy every field of ``payload`` (handed out by ``action``) and destroy it."""
        if not payload:
            raise GopherAuthException(
                f"{action} reported success without a payload", GopherAuthError.INTERNAL_ERROR
            )
        try:
            return self._read(payload)
        finally:
            self._destroy(payload)

    def _read(self, payload: int) -> PayloadFields:
        buffers = self._buffers
        text, text_address, chars = buffers.text, buffers.text_address, buffers.chars
        free = self._free
        values: list[str | None] = []
        for getter in self._text_getters:
            code = getter(payload, text_address)
            if code:
                raise self._functions.failure(code, getter.__name__)
            raw = chars.value  # a copy (or None for NULL); the native string is freed next
            if raw is None:
                values.append(None)
            else:
                free(text)
                values.append(raw.decode("utf-8"))
        code = self._get_expiration(payload, buffers.number_address)
        if code:
            raise self._functions.failure(code, "gopher_auth_payload_get_expiration")
        subject, scopes_json, audience_json, issuer, claims_json, client_id = values
        scopes = _decode_list(scopes_json, "gopher_auth_payload_get_scopes_json")
        audience = _decode_list(audience_json, "gopher_auth_payload_get_audience_json")
        claims = _decode_claims(claims_json)
        return PayloadFields(
            subject, scopes, audience, buffers.number.value, issuer, claims, client_id
        )


class DecodedPayloads:
    """A bounded memo: exact token bytes → :class:`RememberedPayload` of a verified token.

    Lookups take no lock (a dict read is atomic); inserts, on the slow path, take one.
    Only tokens up to ``max_token_bytes`` are remembered, at most ``max_entries`` of them
    (the oldest is forgotten first).
    """

    def __init__(self, max_entries: int = 512, max_token_bytes: int = 8192) -> None:
        self._entries: dict[bytes, RememberedPayload] = {}
        self._max_entries = max_entries
        self._max_token_bytes = max_token_bytes
        self._lock = threading.Lock()

    def get(self, token: bytes) -> RememberedPayload | None:
        """What is remembered of ``token``, or ``None``."""
        return self._entries.get(token)

    def remember(self, token: bytes, fields: PayloadFields) -> None:
        """Remember ``fields`` of ``token`` (just verified; call before handing out the claims)."""
        if len(token) > self._max_token_bytes:
            return
        try:
            image = marshal.dumps(fields.claims)
        except ValueError:  # not JSON's data model (cannot happen for decoded JSON)
            return
        with self._lock:
            entries = self._entries
            while len(entries) >= self._max_entries:
                del entries[next(iter(entries))]
            entries[token] = RememberedPayload(fields._replace(claims={}), image)

    def __len__(self) -> int:
        return len(self._entries)
