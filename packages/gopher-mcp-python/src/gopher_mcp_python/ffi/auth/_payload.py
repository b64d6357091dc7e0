"""Copying a native token payload into a :class:`TokenPayload`, and always releasing it.

The fields come from the library's own getters (one source of truth for how ``scope``/``scp``
and ``aud`` are read); this module only keeps the round trips cheap: the functions are bound
once, the out-parameters are reused per thread, and nothing is allocated that is not returned.
"""

from __future__ import annotations

import ctypes
import json
import threading

from ._native import NativeFunctions
from .errors import GopherAuthException
from .types import GopherAuthError, TokenPayload

__all__ = ["PayloadReader"]


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
            functions.gopher_auth_payload_get_scopes,
            functions.gopher_auth_payload_get_audience,
            functions.gopher_auth_payload_get_issuer,
            functions.gopher_auth_payload_get_claims_json,
        )
        self._get_expiration = functions.gopher_auth_payload_get_expiration
        self._free = functions.gopher_auth_free_string
        self._destroy = functions.gopher_auth_payload_destroy
        self._buffers = _OutBuffers()

    def take(self, payload: int | None, action: str) -> TokenPayload:
        """Copy every field of ``payload`` (handed out by ``action``) and destroy it."""
        if not payload:
            raise GopherAuthException(
                f"{action} reported success without a payload", GopherAuthError.INTERNAL_ERROR
            )
        try:
            return self._read(payload)
        finally:
            self._destroy(payload)

    def _read(self, payload: int) -> TokenPayload:
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
        subject, scopes, audience, issuer, claims_json = values
        claims = json.loads(claims_json) if claims_json else {}
        if type(claims) is not dict:
            raise GopherAuthException(
                "the native library returned claims that are not a JSON object",
                GopherAuthError.INTERNAL_ERROR,
            )
        return TokenPayload(subject, scopes or "", audience, buffers.number.value, issuer, claims)
