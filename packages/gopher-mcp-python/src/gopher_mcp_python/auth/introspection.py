"""Opaque access tokens: the settings of RFC 7662 token introspection.

The native engine does the work (request, cache, single-flight, limits; see
``docs/opaque-tokens.md``); this module only holds and checks the settings and turns them into
the engine's ``introspection_*`` client options. The client secret is kept out of ``repr``,
``str`` and every error message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["Introspection"]

_MODES = ("opaque", "always", "never")
_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True)
class Introspection:
    """How the resource server asks the authorization server about opaque tokens.

    Attributes:
        endpoint: the RFC 7662 introspection endpoint; ``""`` means the
            ``introspection_endpoint`` of the issuer's discovery document.
        client_id: this resource server's client id at the authorization server.
        client_secret: its secret (never logged, never in ``repr``, never in a response).
        auth_method: ``client_secret_basic`` (default) or ``client_secret_post``.
        mode: ``opaque`` (default: JWTs are verified locally, every other token is
            introspected), ``always`` or ``never``.
        cache_ttl: seconds an active answer is reused (0 = off); a revocation at the
            authorization server takes effect within this time. Default 60.
        negative_cache_ttl: seconds an inactive answer is reused. Default 5.
        cache_size: most answers kept. Default 10000.
        max_concurrent: most introspection requests in flight; past it, 503. Default 16.
        rate_limit: most uncached tokens introspected per second; past it, 503 (0 = no
            limit). Default 100.
        require_exp: refuse an active answer without ``exp`` (default True).
        require_audience: refuse an active answer without the audience claim (default True;
            False only for an authorization server that omits it: then any token this server
            issued to any client is accepted, see the docs).

    """

    client_id: str
    client_secret: str = field(default="", repr=False)
    endpoint: str = ""
    auth_method: str = "client_secret_basic"
    mode: str = "opaque"
    cache_ttl: int = 60
    negative_cache_ttl: int = 5
    cache_size: int = 10_000
    max_concurrent: int = 16
    rate_limit: int = 100
    require_exp: bool = True
    require_audience: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.client_id, str) or not self.client_id:
            raise ValueError("Introspection.client_id must be a non-empty string")
        if not isinstance(self.client_secret, str):
            raise ValueError("Introspection.client_secret must be a string")
        if self.endpoint:
            parts = urlsplit(self.endpoint)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
                raise ValueError(
                    "Introspection.endpoint must be an absolute http(s) URL without fragment, "
                    f"got {self.endpoint!r}"
                )
        if self.auth_method not in _AUTH_METHODS:
            raise ValueError(
                f"Introspection.auth_method must be one of {', '.join(_AUTH_METHODS)}, "
                f"got {self.auth_method!r}"
            )
        if self.mode not in _MODES:
            raise ValueError(
                f"Introspection.mode must be one of {', '.join(_MODES)}, got {self.mode!r}"
            )
        for name, low, high in (
            ("cache_ttl", 0, 86_400),
            ("negative_cache_ttl", 0, 3_600),
            ("cache_size", 0, 1_000_000),
            ("max_concurrent", 1, 1_024),
            ("rate_limit", 0, 1_000_000),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"Introspection.{name} must be {low}..{high}, got {value!r}")

    def client_options(self) -> dict[str, str]:
        """The engine's ``introspection_*`` options (the credentials are set separately)."""
        return {
            "introspection_auth_method": self.auth_method,
            "introspection_mode": self.mode,
            "introspection_cache_ttl": str(self.cache_ttl),
            "introspection_negative_cache_ttl": str(self.negative_cache_ttl),
            "introspection_cache_size": str(self.cache_size),
            "introspection_max_concurrent": str(self.max_concurrent),
            "introspection_rate_limit": str(self.rate_limit),
            "introspection_require_exp": "true" if self.require_exp else "false",
            "introspection_require_audience": "true" if self.require_audience else "false",
        }
