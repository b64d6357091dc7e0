"""Owning wrappers of native handles.

A handle object is a ``c_void_p`` that destroys its native object when the last Python
reference to it goes away. Owners (client, options) drop their reference in ``destroy()``;
a call in progress on another thread holds its own reference in a local variable, so the
native object outlives every call that uses it — without any lock on the hot path.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from contextlib import suppress
from typing import Any

__all__ = ["ClientHandle", "OptionsHandle"]


class _OwnedHandle(ctypes.c_void_p):
    """A native handle, released with its ``*_destroy`` function when garbage."""

    def __init__(self, destroy: Callable[[Any], int]) -> None:
        super().__init__()
        self._release = destroy

    def __del__(self) -> None:
        if self.value:
            with suppress(Exception):  # never raise from a finaliser (interpreter exit)
                self._release(self)


class ClientHandle(_OwnedHandle):
    """A ``gopher_auth_client_t *`` owned by exactly one :class:`GopherAuthClient`."""


class OptionsHandle(_OwnedHandle):
    """A ``gopher_auth_validation_options_t *`` owned by one :class:`GopherValidationOptions`."""
