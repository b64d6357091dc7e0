"""Configuration of an OAuth-protected MCP resource server.

One immutable object holds everything the resource-server layer needs: where the server is
reachable (its public base URL), which URL is the protected resource (the MCP endpoint), which
authorization server it trusts (issuer + JWKS URI), the audience tokens must carry (the resource
URL unless configured otherwise), the scopes it advertises and the per-request scope policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit, urlunsplit

from .introspection import Introspection
from .scopes import ScopePolicy, normalize_scopes

__all__ = ["ResourceServerConfig", "TrustedIssuer", "resource_metadata_url"]

_METADATA_SUFFIX = "/.well-known/oauth-protected-resource"


_MAX_REALM = 1024
_DEFAULT_SCOPE_CLAIMS = ("scope", "scp")
#: OpenID Connect scopes: requested by these names everywhere, never given a request prefix.
_OIDC_SCOPES = frozenset({"openid", "profile", "email", "address", "phone", "offline_access"})
_SCOPE_PREFIX_FORBIDDEN = frozenset(' "\\')
#: Client options that the claim-policy fields below set; not to be given twice.
_POLICY_OPTIONS = ("audience_claim", "scope_claims", "required_claims")


def _claim_name(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty claim name, got {value!r}")
    if any(c in value for c in " ,") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError(
            f"{name} must be a claim name without spaces, commas or control characters, "
            f"got {value!r}"
        )
    return value


def _strings(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise ValueError(f"{name} must be a tuple of strings, got {value!r}")
    if not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{name} must hold non-empty strings only, got {value!r}")
    return tuple(dict.fromkeys(value))


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
class TrustedIssuer:
    """One authorization server whose tokens are accepted, with its own keys.

    Attributes:
        issuer: the issuer identifier; a token's ``iss`` must equal it byte for byte (mind
            trailing slashes: Auth0's issuer ends with ``/``, Okta's does not).
        jwks_uri: where this issuer publishes its signing keys; "" (and no ``jwks``) means
            discovery from the issuer's metadata, whose ``issuer`` must equal it exactly.
        jwks: a static JWK Set (JSON text) for this issuer instead of fetching.

    A token is checked only with the keys of the issuer its ``iss`` names; a token naming no
    trusted issuer is refused without any network request.

    """

    issuer: str
    jwks_uri: str = ""
    jwks: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.issuer, str) or not self.issuer:
            raise ValueError(
                f"TrustedIssuer.issuer must be a non-empty string, got {self.issuer!r}"
            )
        if self.jwks_uri:
            _check_url("jwks_uri", self.jwks_uri)


@dataclass(frozen=True)
class ResourceServerConfig:
    """Settings of the resource-server layer (see :class:`~.authenticator.Authenticator`).

    Attributes:
        server_url: the public base URL of the server, e.g. ``https://mcp.example.com``.
        issuer: the authorization server's issuer identifier; ``iss`` must equal it exactly.
            Optional when ``issuers`` is given; after construction, the first trusted issuer.
        jwks_uri: where the issuer publishes its signing keys; "" (and no ``jwks``) means
            discovery from the issuer's OpenID Connect / RFC 8414 metadata.
        issuers: several trusted authorization servers (:class:`TrustedIssuer`), each with
            its own keys; with ``issuer`` also given, that one comes first. After
            construction, every trusted issuer in order.
        resource: the protected resource's URL; default ``<server_url><mcp_path>``.
        mcp_path: the MCP endpoint's path (default ``/mcp``), used for the default ``resource``.
        audience: the value ``aud`` must contain; default ``resource``. Always checked.
        audiences: several accepted audiences (a token passes when its audience claim holds
            any of them), e.g. an Entra application's GUID and its ``api://`` URI. With
            ``audience`` also given, both count. Never empty: without either, the resource.
        audience_claim: the claim holding the audience (default ``aud``; Cognito access
            tokens carry the app client in ``client_id``).
        scope_claims: the claims that grant scopes, in order (default ``("scope", "scp")``):
            names (``roles``, ``permissions``) or dotted paths into nested objects
            (``realm_access.roles``, ``resource_access.<client>.roles``).
        required_claims: claims that must be present with exactly this string value, e.g.
            ``{"token_use": "access"}``.
        scopes_supported: scopes advertised in the protected-resource metadata. Clients ask for
            all of them when a 401 names no scope: list the baseline scopes, leave privileged
            ones to the 403 step-up (see :meth:`challenge_scopes`).
        scope_policy: the scopes each request needs (per method and per tool).
        scope_request_prefix: what clients must put before a scope when they *request* it,
            when that differs from what tokens grant (Entra ID: request
            ``api://<app>/mcp.read``, the token says ``mcp.read``). Scope policies and
            ``scopes_supported`` name the granted form; the metadata document and every
            challenge name the request form (:meth:`request_scopes`). Default: none.
        client_options: native client options (``cache_duration``, ``request_timeout``, …)
            passed to ``GopherAuthClient.set_option`` as strings.
        clock_skew: seconds of tolerance on ``exp``/``nbf``/``iat`` (0..300).
        realm: optional ``realm`` of the WWW-Authenticate challenges (printable ASCII).
        authorization_servers: issuers advertised in the metadata; default ``(issuer,)``.
        resource_name: optional human-readable name for the metadata document.
        jwks: optional static JWK Set (JSON text) used instead of fetching ``jwks_uri``.
        max_body_bytes: largest request body the middlewares buffer to read the MCP method
            and tool name (larger bodies are refused with 413).
        introspection: RFC 7662 introspection of opaque access tokens
            (:class:`~.introspection.Introspection`); None (default) accepts JWTs only.

    """

    server_url: str
    issuer: str = ""
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
    audiences: tuple[str, ...] = ()
    audience_claim: str = "aud"
    scope_claims: tuple[str, ...] = _DEFAULT_SCOPE_CLAIMS
    required_claims: Mapping[str, str] = field(default_factory=dict)
    issuers: tuple[TrustedIssuer, ...] = ()
    scope_request_prefix: str = ""
    introspection: Introspection | None = None

    def __post_init__(self) -> None:
        server_url = _check_url("server_url", self.server_url).rstrip("/")
        object.__setattr__(self, "server_url", server_url)
        trusted = self._trusted_issuers()
        object.__setattr__(self, "issuers", trusted)
        object.__setattr__(self, "issuer", trusted[0].issuer)
        object.__setattr__(self, "jwks_uri", trusted[0].jwks_uri)
        if not self.mcp_path.startswith("/"):
            raise ValueError(f"mcp_path must start with '/', got {self.mcp_path!r}")
        resource = self.resource or server_url + self.mcp_path
        object.__setattr__(self, "resource", _check_url("resource", resource))
        audiences = _strings("audiences", self.audiences)
        if self.audience:
            audiences = tuple(dict.fromkeys((self.audience, *audiences)))
        audiences = audiences or (resource,)
        object.__setattr__(self, "audiences", audiences)
        object.__setattr__(self, "audience", audiences[0])
        object.__setattr__(self, "scopes_supported", normalize_scopes(self.scopes_supported))
        servers = self.authorization_servers or tuple(t.issuer for t in trusted)
        object.__setattr__(self, "authorization_servers", tuple(servers))
        options = {str(k): str(v) for k, v in self.client_options.items()}
        options.update(self._policy_options(options))
        object.__setattr__(self, "client_options", MappingProxyType(options))
        if not 0 <= self.clock_skew <= 300:
            raise ValueError(f"clock_skew must be 0..300 seconds, got {self.clock_skew}")
        if len(self.realm) > _MAX_REALM or any(not 0x20 <= ord(c) <= 0x7E for c in self.realm):
            raise ValueError(
                f"realm must be printable ASCII of at most {_MAX_REALM} characters (it is sent "
                f"in the WWW-Authenticate header), got {self.realm[:80]!r}"
            )
        prefix = self.scope_request_prefix
        if not isinstance(prefix, str) or any(
            not 0x21 <= ord(c) <= 0x7E or c in _SCOPE_PREFIX_FORBIDDEN for c in prefix
        ):
            raise ValueError(
                "scope_request_prefix must be printable ASCII without spaces, quotes or "
                f"backslashes (it is sent in challenges), e.g. 'api://mcp-weather/', got {prefix!r}"
            )
        if self.max_body_bytes < 1024:
            raise ValueError(f"max_body_bytes must be at least 1024, got {self.max_body_bytes}")
        if self.introspection is not None:
            if not isinstance(self.introspection, Introspection):
                raise ValueError(
                    "introspection must be an Introspection, got "
                    f"{type(self.introspection).__name__}"
                )
            if not self.introspection.endpoint:
                try:
                    _check_url("issuer", trusted[0].issuer)
                except ValueError as exc:
                    raise ValueError(
                        "Introspection.endpoint is empty, so it is discovered from the "
                        f"issuer's metadata, which needs a URL issuer: {exc}"
                    ) from None
            clashing = [k for k in options if k.startswith("introspection_")]
            if clashing:
                raise ValueError(
                    f"set {', '.join(clashing)} with ResourceServerConfig.introspection, "
                    "not in client_options"
                )
            options.update(self.introspection.client_options())
            object.__setattr__(self, "client_options", MappingProxyType(options))

    def _trusted_issuers(self) -> tuple[TrustedIssuer, ...]:
        """``issuer``/``jwks_uri`` (first) and ``issuers``, checked: no duplicates, keys known."""
        if isinstance(self.issuers, (str, TrustedIssuer)) or not isinstance(
            self.issuers, (tuple, list)
        ):
            raise ValueError(f"issuers must be a tuple of TrustedIssuer, got {self.issuers!r}")
        if not self.issuer and not self.issuers:
            raise ValueError("issuer is required: the authorization server's issuer identifier")
        trusted: list[TrustedIssuer] = []
        if self.issuer:
            trusted.append(TrustedIssuer(self.issuer, self.jwks_uri))
        elif self.jwks_uri:
            raise ValueError("jwks_uri belongs to issuer: give issuer too, or use issuers")
        for item in self.issuers:
            if not isinstance(item, TrustedIssuer):
                raise ValueError(f"issuers must hold TrustedIssuer objects, got {item!r}")
            trusted.append(item)
        seen: set[str] = set()
        for item in trusted:
            if item.issuer in seen:
                raise ValueError(f"issuer {item.issuer!r} is trusted twice")
            seen.add(item.issuer)
            if not item.jwks_uri and not item.jwks and not self.jwks:
                # No keys given: discovered from the issuer's metadata, so it must be a URL.
                try:
                    _check_url("issuer", item.issuer)
                except ValueError as exc:
                    raise ValueError(
                        f"issuer {item.issuer!r} has no jwks_uri or jwks, so its keys are "
                        f"discovered from its metadata, which needs a URL issuer: {exc}"
                    ) from None
        return tuple(trusted)

    def _policy_options(self, given: Mapping[str, str]) -> dict[str, str]:
        """The native client options of the claim-policy fields (only those not default)."""
        clashing = [name for name in _POLICY_OPTIONS if name in given]
        if clashing:
            raise ValueError(
                f"set {', '.join(clashing)} with the ResourceServerConfig field of that name, "
                "not in client_options"
            )
        out: dict[str, str] = {}
        claim = _claim_name("audience_claim", self.audience_claim)
        if claim != "aud":
            out["audience_claim"] = claim
        scope_claims = _strings("scope_claims", self.scope_claims)
        if not scope_claims:
            raise ValueError("scope_claims must name at least one claim, e.g. ('scope', 'scp')")
        for name in scope_claims:
            _claim_name("scope_claims", name)
        object.__setattr__(self, "scope_claims", scope_claims)
        if scope_claims != _DEFAULT_SCOPE_CLAIMS:
            out["scope_claims"] = ",".join(scope_claims)
        required: dict[str, str] = {}
        for name, value in dict(self.required_claims).items():
            if not isinstance(value, str):
                raise ValueError(
                    f"required_claims[{name!r}] must be a string (exact match), got {value!r}"
                )
            required[_claim_name("required_claims", name)] = value
        object.__setattr__(self, "required_claims", MappingProxyType(required))
        if required:
            out["required_claims"] = json.dumps(required, separators=(",", ":"))
        return out

    @property
    def resource_metadata_url(self) -> str:
        """Where this resource's RFC 9728 metadata is served (advertised in challenges)."""
        return resource_metadata_url(self.resource)

    def request_scopes(self, scopes: tuple[str, ...]) -> tuple[str, ...]:
        """How clients must request ``scopes`` (named as tokens grant them).

        With ``scope_request_prefix``, each scope gets the prefix, except OpenID Connect
        scopes (``openid``, ``profile``, ``email``, ``address``, ``phone``,
        ``offline_access``) and scopes that already carry it; without one, unchanged.
        """
        prefix = self.scope_request_prefix
        if not prefix:
            return scopes
        return tuple(s if s in _OIDC_SCOPES or s.startswith(prefix) else prefix + s for s in scopes)

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
