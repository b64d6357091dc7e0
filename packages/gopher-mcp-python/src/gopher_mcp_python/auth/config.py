"""Configuration of an OAuth-protected MCP resource server.

One immutable object holds everything the resource-server layer needs: where the server is
reachable (its public base URL), which URL is the protected resource (the MCP endpoint), which
authorization server it trusts (issuer + JWKS URI), the audience tokens must carry (the resource
URL unless configured otherwise), the scopes it advertises and the per-request scope policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit

from .scopes import ScopePolicy, normalize_scopes

__all__ = ["ResourceServerConfig", "resource_metadata_url"]

_METADATA_SUFFIX = "/.well-known/oauth-protected-resource"


_MAX_REALM = 1024


def _check_url(name: str, value: str, *, allow_path: bool = True) -> str:
    if any(not 0x21 <= ord(c) <= 0x7E for c in value):
        raise ValueError(
            f"{name} must be printable ASCII without spaces (it is sent in HTTP headers): "
            f"punycode the host and percent-encode the path, got {value!r}"
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {value!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must not have a query or fragment, got {value!r}")
    if not allow_path and parts.path not in ("", "/"):
        raise ValueError(f"{name} must not have a path, got {value!r}")
    return value


def resource_metadata_url(resource: str) -> str:
    """The RFC 9728 §3.1 metadata URL of ``resource``.

    The well-known suffix goes between the host and the resource's path:
    ``https://api.example/mcp`` → ``https://api.example/.well-known/oauth-protected-resource/mcp``.
    """
    parts = urlsplit(resource)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, _METADATA_SUFFIX + path, "", ""))


@dataclass(frozen=True)
class ResourceServerConfig:
    """Settings of the resource-server layer (see :class:`~.authenticator.Authenticator`).

    Attributes:
        server_url: the public base URL of the server, e.g. ``https://mcp.example.com``.
        issuer: the authorization server's issuer identifier; ``iss`` must equal it exactly.
        jwks_uri: where the issuer publishes its signing keys ("" when ``jwks`` is given).
        resource: the protected resource's URL; default ``<server_url><mcp_path>``.
        mcp_path: the MCP endpoint's path (default ``/mcp``), used for the default ``resource``.
        audience: the value ``aud`` must contain; default ``resource``. Always checked.
        scopes_supported: scopes advertised in the protected-resource metadata. Clients ask for
            all of them when a 401 names no scope: list the baseline scopes, leave privileged
            ones to the 403 step-up (see :meth:`challenge_scopes`).
        scope_policy: the scopes each request needs (per method and per tool).
        client_options: native client options (``cache_duration``, ``request_timeout``, …)
            passed to ``GopherAuthClient.set_option`` as strings.
        clock_skew: seconds of tolerance on ``exp``/``nbf``/``iat`` (0..300).
        realm: optional ``realm`` of the WWW-Authenticate challenges (printable ASCII).
        authorization_servers: issuers advertised in the metadata; default ``(issuer,)``.
        resource_name: optional human-readable name for the metadata document.
        jwks: optional static JWK Set (JSON text) used instead of fetching ``jwks_uri``.
        max_body_bytes: largest request body the middlewares buffer to read the MCP method
            and tool name (larger bodies are refused with 413).

    """

    server_url: str
    issuer: str
    jwks_uri: str = ""
    resource: str = ""
    mcp_path: str = "/mcp"
    audience: str = ""
    scopes_supported: tuple[str, ...] = ()
    scope_policy: ScopePolicy = field(default_factory=ScopePolicy)
    client_options: Mapping[str, str] = field(default_factory=dict)
    clock_skew: int = 60
    realm: str = ""
    authorization_servers: tuple[str, ...] = ()
    resource_name: str = ""
    jwks: str = ""
    max_body_bytes: int = 1_048_576

    def __post_init__(self) -> None:
        server_url = _check_url("server_url", self.server_url).rstrip("/")
        object.__setattr__(self, "server_url", server_url)
        if not self.issuer:
            raise ValueError("issuer is required: the authorization server's issuer identifier")
        if not self.jwks_uri and not self.jwks:
            raise ValueError("jwks_uri is required (or give a static JWK Set in jwks)")
        if self.jwks_uri:
            _check_url("jwks_uri", self.jwks_uri)
        if not self.mcp_path.startswith("/"):
            raise ValueError(f"mcp_path must start with '/', got {self.mcp_path!r}")
        resource = self.resource or server_url + self.mcp_path
        object.__setattr__(self, "resource", _check_url("resource", resource))
        object.__setattr__(self, "audience", self.audience or resource)
        object.__setattr__(self, "scopes_supported", normalize_scopes(self.scopes_supported))
        servers = self.authorization_servers or (self.issuer,)
        object.__setattr__(self, "authorization_servers", tuple(servers))
        options = {str(k): str(v) for k, v in self.client_options.items()}
        object.__setattr__(self, "client_options", MappingProxyType(options))
        if not 0 <= self.clock_skew <= 300:
            raise ValueError(f"clock_skew must be 0..300 seconds, got {self.clock_skew}")
        if len(self.realm) > _MAX_REALM or any(not 0x20 <= ord(c) <= 0x7E for c in self.realm):
            raise ValueError(
                f"realm must be printable ASCII of at most {_MAX_REALM} characters (it is sent "
                f"in the WWW-Authenticate header), got {self.realm[:80]!r}"
            )
        if self.max_body_bytes < 1024:
            raise ValueError(f"max_body_bytes must be at least 1024, got {self.max_body_bytes}")

    @property
    def resource_metadata_url(self) -> str:
        """Where this resource's RFC 9728 metadata is served (advertised in challenges)."""
        return resource_metadata_url(self.resource)

    def challenge_scopes(self, required: tuple[str, ...]) -> tuple[str, ...]:
        """The scopes named in a 401 challenge: the request's own, else the policy's default.

        Least privilege (MCP security best practices, "scope minimization"): a client asks for
        what the challenge names, so a 401 never names more than this request needs. Empty means
        the challenge carries no ``scope`` — and a client then falls back to
        ``scopes_supported`` of the protected-resource metadata, which should therefore list
        the baseline a first authorization may get, not privileged scopes (those are asked for
        by a 403 step-up when a request needs them).
        """
        return required or self.scope_policy.default

    def step_up_scopes(
        self, required: tuple[str, ...], granted: tuple[str, ...]
    ) -> tuple[str, ...]:
        """The scopes named in a 403 ``insufficient_scope``: kept ones plus the missing ones.

        A client re-authorizes with exactly this list, so it names the granted scopes that
        matter to this resource (in ``scopes_supported`` or the scope policy) — the client does
        not lose what it had — followed by the scopes the request needs and lacks.
        """
        known = set(self.scopes_supported) | set(self.scope_policy.all_scopes())
        kept = [s for s in granted if s in known or s in required]
        missing = [s for s in required if s not in granted]
        return tuple(dict.fromkeys([*kept, *missing]))
