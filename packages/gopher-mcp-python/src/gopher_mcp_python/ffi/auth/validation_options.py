"""Per-validation requirements: scopes, audience, clock skew and a fixed clock.

Build options once and reuse them for every validation with the same requirements (they are
read-only while validations use them; do not change or destroy them while another thread is
validating with them)::

    with GopherValidationOptions() as options:
        options.set_audience("https://mcp.example.com/mcp").set_scopes(["mcp:read"])
        result = client.validate_token(token, options)
"""

from __future__ import annotations

import ctypes
import json
from collections.abc import Iterable
from types import TracebackType

from ._handles import OptionsHandle
from ._native import encode_argument
from .errors import GopherHandleClosedError, GopherInvalidParameterError
from .loader import get_auth_functions
from .types import GopherAuthError

__all__ = ["GopherValidationOptions", "gopher_create_validation_options"]

_INT64_MAX = 2**63 - 1


def _check_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        raise GopherInvalidParameterError(
            f"{name} {value} does not fit in 64 bits", GopherAuthError.INVALID_PARAMETER
        )
    return value


class GopherValidationOptions:
    """Native validation options: no required scopes, no audience check, 60 s skew, real clock.

    Setters return the options, so calls chain. Every setter's result is checked: a rejected
    value raises with the native library's message. After :meth:`destroy` (or leaving a
    ``with`` block) any use raises :class:`GopherHandleClosedError`.
    """

    def __init__(self) -> None:
        """Create native options (loading the native library if needed)."""
        self._functions = functions = get_auth_functions()
        handle = OptionsHandle(functions.gopher_auth_validation_options_destroy)
        functions.check(
            functions.gopher_auth_validation_options_create(ctypes.byref(handle)),
            "gopher_auth_validation_options_create",
        )
        self._handle: OptionsHandle | None = handle
        self._pointer: int = handle.value or 0  # for the validation calls (see auth_client)

    # -- handle access -------------------------------------------------------------------------

    @property
    def is_destroyed(self) -> bool:
        """Whether :meth:`destroy` has been called."""
        return self._handle is None

    def native_handle(self) -> OptionsHandle:
        """The live native handle (for :class:`GopherAuthClient`); raises once destroyed."""
        handle = self._handle
        if handle is None:
            raise GopherHandleClosedError(
                "these GopherValidationOptions were destroyed; create new options"
            )
        return handle

    # -- setters -------------------------------------------------------------------------------

    def set_scopes(self, scopes: Iterable[str]) -> GopherValidationOptions:
        """Require every scope in ``scopes`` (exact matches; an empty list requires none).

        Raises:
            TypeError: ``scopes`` is a single string (pass a list) or holds a non-string.
            GopherInvalidParameterError: a scope is empty or contains whitespace or a NUL.

        """
        if isinstance(scopes, (str, bytes)):
            raise TypeError('scopes must be a list of scope strings, e.g. ["mcp:read"]')
        items = list(scopes)
        for scope in items:
            if not isinstance(scope, str):
                raise TypeError(f"every scope must be a str, not {type(scope).__name__}")
            if scope == "" or scope != scope.strip() or len(scope.split()) != 1:
                raise GopherInvalidParameterError(
                    f"scope {scope!r} is empty or contains whitespace; pass one scope per item",
                    GopherAuthError.INVALID_PARAMETER,
                )
        value = encode_argument(" ".join(items), "scopes")
        functions = self._functions
        functions.check(
            functions.gopher_auth_validation_options_set_scopes(self.native_handle(), value),
            "gopher_auth_validation_options_set_scopes",
        )
        return self

    def set_audience(self, audience: str) -> GopherValidationOptions:
        """Require the audience claim to contain ``audience`` byte for byte.

        Every validation needs an audience: without one its verdict is ``INVALID_CONFIG``,
        and ``""`` is refused (the audience check cannot be
        turned off; a token minted for another API of the same IdP would pass).

        Raises:
            GopherInvalidParameterError: ``audience`` is empty (the previous one is kept).

        """
        value = encode_argument(audience, "audience")
        functions = self._functions
        functions.check(
            functions.gopher_auth_validation_options_set_audience(self.native_handle(), value),
            "gopher_auth_validation_options_set_audience",
        )
        return self

    def set_audiences(self, audiences: Iterable[str]) -> GopherValidationOptions:
        """Accept a token whose audience claim contains any of ``audiences`` (exact matches).

        Raises:
            TypeError: ``audiences`` is a single string (pass a list) or holds a non-string.
            GopherInvalidParameterError: the list or an audience is empty (refused by the
                engine: the audience check cannot be turned off; the previous audiences are
                kept).

        """
        if isinstance(audiences, (str, bytes)):
            raise TypeError('audiences must be a list of strings, e.g. ["api://mcp"]')
        items = list(audiences)
        for audience in items:
            if not isinstance(audience, str):
                raise TypeError(f"every audience must be a str, not {type(audience).__name__}")
        value = encode_argument(json.dumps(items), "audiences")
        functions = self._functions
        functions.check(
            functions.gopher_auth_validation_options_set_audiences(self.native_handle(), value),
            "gopher_auth_validation_options_set_audiences",
        )
        return self

    def set_clock_skew(self, seconds: int) -> GopherValidationOptions:
        """Tolerate ``seconds`` (0..86400) of clock difference on ``exp``, ``nbf`` and ``iat``."""
        value = _check_int(seconds, "clock skew")
        functions = self._functions
        functions.check(
            functions.gopher_auth_validation_options_set_clock_skew(self.native_handle(), value),
            "gopher_auth_validation_options_set_clock_skew",
        )
        return self

    def set_time(self, unix_seconds: int) -> GopherValidationOptions:
        """Validate as if now were ``unix_seconds``; 0 returns to the system clock."""
        value = _check_int(unix_seconds, "time")
        functions = self._functions
        functions.check(
            functions.gopher_auth_validation_options_set_time(self.native_handle(), value),
            "gopher_auth_validation_options_set_time",
        )
        return self

    # -- lifetime ------------------------------------------------------------------------------

    def destroy(self) -> None:
        """Release the native options. Idempotent; later use raises."""
        self._handle = None  # the native object goes with the last reference (see _handles)

    def __enter__(self) -> GopherValidationOptions:
        self.native_handle()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.destroy()

    def __repr__(self) -> str:
        state = "destroyed" if self._handle is None else "live"
        return f"<GopherValidationOptions {state}>"


def gopher_create_validation_options() -> GopherValidationOptions:
    """New :class:`GopherValidationOptions` with the defaults."""
    return GopherValidationOptions()
