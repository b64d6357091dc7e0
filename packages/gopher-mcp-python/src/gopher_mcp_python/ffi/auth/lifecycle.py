"""Initialising and shutting down the native auth library, and its version.

The library must be initialised before clients can be created. :class:`GopherAuthClient`
does it implicitly the first time, so most programs never call
:func:`gopher_init_auth_library`. After an explicit :func:`gopher_shutdown_auth_library`
no implicit initialisation happens: creating a client then raises
:class:`GopherNotInitializedError` until :func:`gopher_init_auth_library` is called again.
Clients and options that exist keep working through a shutdown until destroyed.
"""

from __future__ import annotations

import threading

from .loader import get_auth_functions, is_library_loaded

__all__ = [
    "ensure_initialized",
    "gopher_get_auth_library_version",
    "gopher_init_auth_library",
    "gopher_is_auth_library_initialized",
    "gopher_shutdown_auth_library",
]

_lock = threading.Lock()
_initialized = False
_shut_down_explicitly = False


def gopher_init_auth_library() -> None:
    """Initialise the native library (loading it first if needed). Idempotent, thread-safe.

    Raises:
        NativeLibraryError: the native library cannot be loaded.
        GopherAuthException: the library refused to initialise (with its message).

    """
    global _initialized, _shut_down_explicitly
    functions = get_auth_functions()
    with _lock:
        functions.check(functions.gopher_auth_init(), "gopher_auth_init")
        _initialized = True
        _shut_down_explicitly = False


def gopher_shutdown_auth_library() -> None:
    """Mark the native library uninitialised: no new clients until the next initialisation.

    Existing clients and options stay usable until destroyed. Idempotent. Does nothing when
    the library was never loaded.
    """
    global _initialized, _shut_down_explicitly
    with _lock:
        _shut_down_explicitly = True
        if not is_library_loaded():
            return
        functions = get_auth_functions()
        functions.check(functions.gopher_auth_shutdown(), "gopher_auth_shutdown")
        _initialized = False


def gopher_is_auth_library_initialized() -> bool:
    """Whether this process initialised the library (and has not shut it down since)."""
    return _initialized


def gopher_get_auth_library_version() -> str:
    """The native library's version, ``"X.Y.Z"`` (loading the library if needed)."""
    raw = get_auth_functions().gopher_auth_version()
    return raw.decode("utf-8") if raw else ""


def ensure_initialized() -> None:
    """Initialise the library unless it already is or the program explicitly shut it down."""
    if not _initialized and not _shut_down_explicitly:
        gopher_init_auth_library()
