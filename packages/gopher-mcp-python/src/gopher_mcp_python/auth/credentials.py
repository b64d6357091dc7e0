"""Reading the bearer token of a request — from the ``Authorization`` header and nowhere else.

RFC 6750 §2.1: ``Authorization: Bearer <token68>``. A token in the query string or a form body
is never read. More than one ``Authorization`` header, more than one credential, or a credential
that is not a token68 is a malformed request (RFC 6750 ``invalid_request``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["Headers", "MalformedAuthorization", "header_values", "read_bearer_token"]

#: Request headers as a mapping or as (name, value) pairs (pairs keep repeated headers).
Headers = Mapping[str, str] | Iterable[tuple[str, str]]

#: The characters of a token68 before its trailing ``=`` padding (RFC 7235 §2.1).
_TOKEN68_BODY = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
#: The characters of an auth-scheme (an RFC 9110 §5.6.2 token).
_TCHARS = b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: Upper bound on the header value we look at; the native library has its own (smaller) cap.
MAX_AUTHORIZATION_BYTES = 65_536


class MalformedAuthorization(ValueError):  # noqa: N818 - a verdict, not an unexpected error
    """The ``Authorization`` header is present but not one well-formed Bearer credential."""


def header_values(headers: Headers, name: str) -> list[str]:
    """Every value of header ``name`` (lower case) in ``headers``, repeated headers kept apart."""
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):  # werkzeug / multidict-style headers keep repeated values
        return [str(v) for v in getlist(name)]
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [value for key, value in items if key.lower() == name]


def _is_token68(value: str) -> bool:
    """Whether ``value`` is one token68: ``1*( ALPHA / DIGIT / "-._~+/" ) *"="``.

    Deleting the allowed bytes is a C-speed scan (0.7 µs on a 1 KB JWT; the equivalent regex
    takes about 3 µs, and this runs on every request).
    """
    body = value.rstrip("=")
    return bool(body) and body.isascii() and not body.encode("ascii").translate(None, _TOKEN68_BODY)


def read_bearer_token(headers: Headers) -> str | None:
    """The bearer token of ``headers``, or ``None`` when there is no Bearer credential.

    Returns ``None`` when there is no ``Authorization`` header or it uses another scheme
    (``Basic …``). Raises :class:`MalformedAuthorization` for repeated headers, a scheme that is
    not an RFC 9110 token (``Bearer<TAB>…``: the scheme and the credential are separated by a
    space, nothing else), an empty or non-token68 credential, or more than one credential.
    """
    values = header_values(headers, "authorization")
    if not values:
        return None
    if len(values) > 1:
        raise MalformedAuthorization("more than one Authorization header")
    value = values[0].strip(" \t")
    if len(value) > MAX_AUTHORIZATION_BYTES:
        raise MalformedAuthorization("the Authorization header is too long")
    scheme, _, rest = value.partition(" ")
    if not scheme or not scheme.isascii() or scheme.encode("ascii").translate(None, _TCHARS):
        raise MalformedAuthorization(
            "the Authorization header must be '<scheme> <credentials>' with a space between them"
        )
    if scheme.lower() != "bearer":
        if "," in value and "bearer" in value.lower():
            raise MalformedAuthorization("more than one credential in the Authorization header")
        return None
    token = rest.strip(" ")
    if not token:
        raise MalformedAuthorization("the Bearer credential is empty")
    if not _is_token68(token):
        raise MalformedAuthorization(
            "the Bearer credential must be a single token68 value (one token, no spaces or commas)"
        )
    return token
