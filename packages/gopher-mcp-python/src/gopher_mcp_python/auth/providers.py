"""Ready :class:`ResourceServerConfig` presets for common identity providers.

Each function builds a configuration from the IdP's own names (tenant, domain, realm, pool…):
the exact issuer strings (trailing slashes included), their JWKS URIs, the audience claim and
the claims that carry scopes. Nothing is fetched at construction. Every preset takes
``server_url=`` and passes any other :class:`ResourceServerConfig` keyword through
(``scope_policy=``, ``scopes_supported=``, ``client_options=``…). A static ``jwks=`` given to
a preset serves every issuer of that preset (tests, air-gapped deployments).

The IdP side must issue *access tokens for this server*: each docstring says what to set there
and what a request sees when that setting is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .config import ResourceServerConfig, TrustedIssuer

__all__ = ["auth0", "cognito", "entra", "keycloak", "oidc", "okta", "workos"]

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-[0-9]$")
_POOL = re.compile(r"^([a-z]{2}(-gov)?-[a-z]+-[0-9])_[A-Za-z0-9]+$")
_CLIENT_NAME = re.compile(r"^[^\s.,]+$")


def _host(name: str, value: str) -> str:
    if not isinstance(value, str) or not _HOST.match(value):
        raise ValueError(
            f"{name} must be a bare host name such as 'example.auth0.com' (no https://, no "
            f"path), got {value!r}"
        )
    return value


def _names(name: str, value: str | Iterable[str]) -> tuple[str, ...]:
    items = (value,) if isinstance(value, str) else tuple(value)
    if not items or not all(isinstance(v, str) and v for v in items):
        raise ValueError(f"{name} must be one or more non-empty strings, got {value!r}")
    return items


def _build(
    server_url: str,
    issuers: tuple[TrustedIssuer, ...],
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    clash = {"issuer", "issuers", "jwks_uri"} & settings.keys()
    if clash:
        raise ValueError(
            f"{', '.join(sorted(clash))} cannot be passed to a provider preset: it sets them"
        )
    return ResourceServerConfig(server_url=server_url, issuers=issuers, **settings)


def entra(
    tenant_id: str,
    audiences: str | Iterable[str],
    *,
    server_url: str,
    versions: Iterable[int] = (1, 2),
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    """Microsoft Entra ID (Azure AD), one tenant, v1 and/or v2 access tokens.

    Trusts ``https://login.microsoftonline.com/<tenant>/v2.0`` (v2) and
    ``https://sts.windows.net/<tenant>/`` (v1, trailing slash) with the tenant's key sets;
    accepts any of ``audiences`` (the API's application ID GUID — always the ``aud`` of v2
    tokens — and/or its Application ID URI ``api://…``); scopes from ``scp`` (delegated) and
    ``roles`` (app-only tokens).

    At the IdP: expose an API on the app registration (Application ID URI and scopes) and set
    ``accessTokenAcceptedVersion`` in the app manifest (``2`` for v2 tokens; ``null``/``1``
    gives v1). Clients must request ``api://<app>/<scope>``; the token then carries the short
    scope name in ``scp``. So scope policies and ``scopes_supported`` name the short form,
    and the metadata and challenges name the request form: ``scope_request_prefix`` defaults
    to the first ``api://`` audience followed by ``/`` (give it explicitly when the scopes
    live under another Application ID URI, or ``""`` for none). Without an exposed API the
    client gets a Microsoft Graph token, which is refused with 401 "not issued for this
    resource".

    Multi-tenant ``common``/``organizations`` endpoints are not accepted: their issuer names
    each tenant, so list the tenants you trust instead (one preset per tenant, or ``issuers``).
    """
    if not isinstance(tenant_id, str) or not _TENANT.match(tenant_id):
        raise ValueError(f"tenant_id must be a tenant GUID or domain, got {tenant_id!r}")
    if tenant_id.lower() in ("common", "organizations", "consumers"):
        raise ValueError(
            f"tenant_id {tenant_id!r} is a multi-tenant alias, not a tenant: its tokens name "
            "each user's own tenant as issuer; give the tenant GUID of every tenant you trust"
        )
    chosen = tuple(versions)
    if not chosen or any(v not in (1, 2) for v in chosen):
        raise ValueError(f"versions must hold 1 and/or 2, got {versions!r}")
    issuers = []
    if 2 in chosen:
        issuers.append(
            TrustedIssuer(
                f"https://login.microsoftonline.com/{tenant_id}/v2.0",
                f"https://login.microsoftonline.com/{tenant_id}/discovery/v2.0/keys",
            )
        )
    if 1 in chosen:
        issuers.append(
            TrustedIssuer(
                f"https://sts.windows.net/{tenant_id}/",
                f"https://login.microsoftonline.com/{tenant_id}/discovery/keys",
            )
        )
    settings.setdefault("scope_claims", ("scp", "roles"))
    names = _names("audiences", audiences)
    app_uri = next((a for a in names if a.startswith("api://")), "")
    settings.setdefault("scope_request_prefix", app_uri.rstrip("/") + "/" if app_uri else "")
    return _build(server_url, tuple(issuers), audiences=names, **settings)


def auth0(
    domain: str,
    audience: str,
    *,
    server_url: str,
    custom_domains: Iterable[str] = (),
    permissions: bool = False,
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    """Auth0: the tenant domain (and custom domains), issuer ``https://<domain>/``.

    The issuer ends with a slash; each custom domain is a second issuer (a token names the
    domain it was requested on). ``audience`` is the API Identifier. With ``permissions=True``
    the ``permissions`` claim (RBAC) grants scopes too.

    At the IdP: create an API (Applications → APIs) whose Identifier is ``audience`` (this
    server's URL is a good choice), and make clients request it (``audience=`` or, for MCP
    clients sending RFC 8707 ``resource``, enable the tenant's Resource Parameter
    Compatibility Profile). Without it Auth0 issues opaque tokens, refused with 401 "malformed
    or invalid". For ``permissions``: enable RBAC and "Add Permissions in the Access Token".
    """
    domains = (_host("domain", domain), *(_host("custom_domains", d) for d in custom_domains))
    issuers = tuple(
        TrustedIssuer(f"https://{d}/", f"https://{d}/.well-known/jwks.json") for d in domains
    )
    if permissions:
        settings.setdefault("scope_claims", ("scope", "permissions"))
    return _build(server_url, issuers, audiences=_names("audience", audience), **settings)


def okta(
    issuer: str,
    audience: str,
    *,
    server_url: str,
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    """Okta custom authorization server (``https://<org>/oauth2/<id>``, e.g. ``…/oauth2/default``).

    Keys from ``<issuer>/v1/keys``; scopes from ``scp`` (an array in Okta tokens); the client
    id of the context comes from ``cid``.

    At the IdP: Security → API → Authorization Servers; ``audience`` is the server's Audience
    (``api://default`` for the default server, or this server's URL); add the scopes and an
    access policy rule for your clients. Tokens of the org authorization server
    (``https://<org>`` without ``/oauth2/…``) are for Okta's own APIs and are refused here.
    """
    if not isinstance(issuer, str) or "/oauth2/" not in issuer:
        raise ValueError(
            f"issuer must be an Okta custom authorization server such as "
            f"'https://example.okta.com/oauth2/default', got {issuer!r} (org authorization "
            "server tokens are for Okta only)"
        )
    trusted = TrustedIssuer(issuer, issuer.rstrip("/") + "/v1/keys")
    return _build(server_url, (trusted,), audiences=_names("audience", audience), **settings)


def keycloak(
    realm_url: str,
    audience: str,
    *,
    server_url: str,
    client_roles: str | None = None,
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    """Keycloak realm (``https://<host>/realms/<realm>``, legacy ``…/auth/realms/<realm>``).

    Keys from ``<realm>/protocol/openid-connect/certs``; scopes from ``scope`` and the realm
    roles (``realm_access.roles``), plus one client's roles
    (``resource_access.<client_roles>.roles``) when ``client_roles`` is given. ID, refresh and
    logout tokens (payload ``typ`` ``ID``/``Refresh``/``Logout``) are always refused.

    At the IdP: Keycloak puts no resource in ``aud`` by default. Add an *Audience* mapper
    (Client scopes → dedicated scope of the client → Add mapper → Audience) with "Included
    Custom Audience" = ``audience`` and "Add to access token" on. Without it requests get 401
    "not issued for this resource". Keycloak versions that copy the authentication request's
    ``nonce`` into access tokens (fixed upstream in 2024) produce tokens refused as ID tokens:
    upgrade, or have clients omit ``nonce``.
    """
    if not isinstance(realm_url, str) or "/realms/" not in realm_url:
        raise ValueError(
            f"realm_url must be the realm's issuer, e.g. 'https://kc.example/realms/mcp', "
            f"got {realm_url!r}"
        )
    issuer = realm_url.rstrip("/")
    claims = ["scope", "realm_access.roles"]
    if client_roles is not None:
        if not isinstance(client_roles, str) or not _CLIENT_NAME.match(client_roles):
            raise ValueError(f"client_roles must be a client id without dots, got {client_roles!r}")
        claims.append(f"resource_access.{client_roles}.roles")
    settings.setdefault("scope_claims", tuple(claims))
    trusted = TrustedIssuer(issuer, issuer + "/protocol/openid-connect/certs")
    return _build(server_url, (trusted,), audiences=_names("audience", audience), **settings)


def cognito(
    region: str,
    user_pool_id: str,
    client_ids: str | Iterable[str],
    *,
    server_url: str,
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    """Amazon Cognito user pool access tokens.

    Issuer ``https://cognito-idp.<region>.amazonaws.com/<pool>``, keys from its
    ``/.well-known/jwks.json``. Cognito access tokens carry no ``aud``: the app client is in
    ``client_id``, which must be one of ``client_ids``; ``token_use`` must be ``access`` (ID
    tokens say ``id`` and are refused). Scopes from ``scope`` (custom scopes appear as
    ``<resource server id>/<name>``).

    At the IdP: create a resource server with custom scopes and allow them on the app client;
    clients must request those scopes (a token without them gets 403 insufficient_scope).
    """
    if not isinstance(region, str) or not _REGION.match(region):
        raise ValueError(f"region must be an AWS region such as 'eu-west-1', got {region!r}")
    match = _POOL.match(user_pool_id) if isinstance(user_pool_id, str) else None
    if match is None or match.group(1) != region:
        raise ValueError(
            f"user_pool_id must look like '{region}_AbCdEf123' (its region first), "
            f"got {user_pool_id!r}"
        )
    issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
    required = dict(settings.pop("required_claims", {}) or {})
    required["token_use"] = "access"  # noqa: S105 - a claim value, not a password
    trusted = TrustedIssuer(issuer, issuer + "/.well-known/jwks.json")
    return _build(
        server_url,
        (trusted,),
        audiences=_names("client_ids", client_ids),
        audience_claim="client_id",
        required_claims=required,
        **settings,
    )


def workos(
    authkit_domain: str,
    audience: str,
    *,
    server_url: str,
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    """WorkOS AuthKit (MCP/OAuth) access tokens, issuer ``https://<authkit_domain>``.

    Keys from ``<issuer>/oauth2/jwks``; ``audience`` is the resource indicator the token's
    ``aud`` carries (this server's URL); scopes from ``scope`` and ``permissions``.

    At the IdP: in the WorkOS dashboard (Connect → Configuration) enable Dynamic Client
    Registration for MCP clients and register this server's URL as a resource indicator.
    Session tokens of User Management (issuer ``https://api.workos.com…``, no ``aud``) are a
    different issuer and are refused.
    """
    domain = _host("authkit_domain", authkit_domain)
    issuer = f"https://{domain}"
    settings.setdefault("scope_claims", ("scope", "permissions"))
    trusted = TrustedIssuer(issuer, issuer + "/oauth2/jwks")
    return _build(server_url, (trusted,), audiences=_names("audience", audience), **settings)


def oidc(
    issuer: str,
    audience: str,
    *,
    server_url: str,
    jwks_uri: str = "",
    **settings: Any,  # noqa: ANN401 - ResourceServerConfig keywords
) -> ResourceServerConfig:
    """Any standards-based authorization server issuing JWT access tokens (RFC 9068).

    ``issuer`` exactly as its metadata's ``issuer`` (mind the trailing slash: a token whose
    ``iss`` differs is refused with 401 and the log names both strings). Without ``jwks_uri``
    (or a static ``jwks=``), the keys are found by discovery: the issuer's
    ``/.well-known/openid-configuration`` (else RFC 8414 metadata) names the ``jwks_uri``, and
    its ``issuer`` must equal ``issuer`` byte for byte, else requests fail with a server error
    whose log names both strings.

    At the IdP: issue JWT access tokens whose ``aud`` contains ``audience`` (RFC 8707 resource
    indicators: this server's URL).
    """
    trusted = TrustedIssuer(issuer, jwks_uri)
    return _build(server_url, (trusted,), audiences=_names("audience", audience), **settings)
