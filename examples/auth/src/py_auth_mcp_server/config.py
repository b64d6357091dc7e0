"""``server.config``: the example server's key=value configuration.

Format: one ``key = value`` per line, ``#`` starts a comment line, blank lines are ignored. An
unknown key, a repeated key or a malformed value is an error naming the file and line. Unset
endpoint URLs are derived Keycloak-style from ``auth_server_url`` (a realm URL):
``issuer = auth_server_url``, ``jwks_uri = …/protocol/openid-connect/certs``,
``oauth_authorize_url = …/auth``, ``oauth_token_url`` and ``token_endpoint = …/token``.

Identity providers (docs/identity-providers.md): ``provider`` names a preset of
``gopher_mcp_python.auth.providers`` (entra, auth0, okta, keycloak, cognito, workos, oidc) and
``provider.<argument>`` lines give its arguments; or configure the claim policy directly with
``issuers`` (``<issuer> <jwks_uri>`` entries separated by ``;``), ``audiences``,
``audience_claim``, ``scope_claims`` and ``required_claims`` (``claim=value`` pairs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["DEFAULT_SCOPES", "ConfigError", "ServerConfig", "load_config", "parse_config_text"]

DEFAULT_SCOPES = ("openid", "profile", "email", "mcp:read", "mcp:admin")
DEFAULT_STEP_UP_SCOPES = ("mcp:admin",)
KEYCLOAK_OIDC = "/protocol/openid-connect"
MAX_CONFIG_BYTES = 1_048_576


class ConfigError(ValueError):
    """The configuration is invalid; the message says where and how to fix it."""


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        raise ValueError(f"expected an absolute http(s) URL, got {value!r}")
    return value.rstrip("/")


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            number = int(value, 10)
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
        if not low <= number <= high:
            raise ValueError(f"expected {low}..{high}, got {number}")
        return number

    return parse


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _text(value: str) -> str:
    return value


def _scopes(value: str) -> tuple[str, ...]:
    scopes = tuple(dict.fromkeys(value.split()))
    for scope in scopes:
        if any(c in '"\\' or not 0x21 <= ord(c) <= 0x7E for c in scope):
            raise ValueError(f"invalid scope {scope!r}")
    return scopes


def _words(value: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(value.replace(",", " ").split()))
    if not items:
        raise ValueError("expected one or more space-separated values")
    return items


def _issuers(value: str) -> tuple[tuple[str, str], ...]:
    entries: list[tuple[str, str]] = []
    for entry in value.split(";"):
        parts = entry.split()
        if len(parts) != 2:
            raise ValueError(
                f"expected '<issuer> <jwks_uri>' entries separated by ';', got {entry!r}"
            )
        entries.append((parts[0], _url(parts[1])))
    return tuple(entries)


def _pairs(value: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for item in value.split():
        name, sep, wanted = item.partition("=")
        if not sep or not name:
            raise ValueError(f"expected claim=value pairs, got {item!r}")
        pairs.append((name, wanted))
    return tuple(pairs)


def _int_list(value: str) -> tuple[int, ...]:
    return tuple(_int_in(1, 2)(v) for v in _words(value))


#: The presets of ``gopher_mcp_python.auth.providers`` and the parser of each argument.
PROVIDER_ARGUMENTS: dict[str, dict[str, Callable[[str], Any]]] = {
    "entra": {
        "tenant_id": _text,
        "audiences": _words,
        "versions": _int_list,
        "scope_request_prefix": _text,
    },
    "auth0": {
        "domain": _text,
        "audience": _text,
        "custom_domains": _words,
        "permissions": _bool,
    },
    "okta": {"issuer": _text, "audience": _text},
    "keycloak": {"realm_url": _text, "audience": _text, "client_roles": _text},
    "cognito": {"region": _text, "user_pool_id": _text, "client_ids": _words},
    "workos": {"authkit_domain": _text, "audience": _text},
    "oidc": {"issuer": _text, "audience": _text, "jwks_uri": _url},
}
#: Arguments each preset cannot do without.
PROVIDER_REQUIRED: dict[str, tuple[str, ...]] = {
    "entra": ("tenant_id", "audiences"),
    "auth0": ("domain", "audience"),
    "okta": ("issuer", "audience"),
    "keycloak": ("realm_url", "audience"),
    "cognito": ("region", "user_pool_id", "client_ids"),
    "workos": ("authkit_domain", "audience"),
    "oidc": ("issuer", "audience"),
}


def _introspection_mode(value: str) -> str:
    if value not in ("opaque", "always", "never"):
        raise ValueError(f"expected opaque, always or never, got {value!r}")
    return value


def _provider(value: str) -> str:
    if value not in PROVIDER_ARGUMENTS:
        raise ValueError(
            f"unknown provider {value!r}; known: {', '.join(sorted(PROVIDER_ARGUMENTS))}"
        )
    return value


_PARSERS: dict[str, Callable[[str], Any]] = {
    "host": _text,
    "port": _int_in(1, 65535),
    "server_url": _url,
    "auth_server_url": _url,
    "jwks_uri": _url,
    "issuer": _text,
    "audience": _text,
    "client_id": _text,
    "client_secret": _text,
    "token_endpoint": _url,
    "oauth_authorize_url": _url,
    "oauth_token_url": _url,
    "allowed_scopes": _scopes,
    "step_up_scopes": _scopes,
    "jwks_cache_duration": _int_in(1, 604_800),
    "jwks_auto_refresh": _bool,
    "health_details": _bool,
    "request_timeout": _int_in(1, 300),
    "auth_disabled": _bool,
    "issuers": _issuers,
    "audiences": _words,
    "audience_claim": _text,
    "scope_claims": _words,
    "required_claims": _pairs,
    "provider": _provider,
    "introspection_endpoint": _url,
    "introspection_client_id": _text,
    "introspection_client_secret": _text,
    "introspection_mode": _introspection_mode,
    "introspection_cache_ttl": _int_in(0, 86_400),
}
#: ``provider.<argument>`` keys: parsed as text here, checked against the provider afterwards.
_PROVIDER_PREFIX = "provider."


@dataclass(frozen=True)
class ServerConfig:
    """The resolved configuration (defaults applied, endpoints derived)."""

    host: str = "127.0.0.1"
    port: int = 3001
    server_url: str = ""
    auth_server_url: str = ""
    jwks_uri: str = ""
    issuer: str = ""
    audience: str = ""
    client_id: str = ""
    client_secret: str = ""
    token_endpoint: str = ""
    oauth_authorize_url: str = ""
    oauth_token_url: str = ""
    allowed_scopes: tuple[str, ...] = DEFAULT_SCOPES
    #: Never advertised in ``scopes_supported``: a client gets them only through a 403 step-up.
    step_up_scopes: tuple[str, ...] = DEFAULT_STEP_UP_SCOPES
    jwks_cache_duration: int = 3600
    jwks_auto_refresh: bool = True
    health_details: bool = False
    request_timeout: int = 10
    auth_disabled: bool = False
    issuers: tuple[tuple[str, str], ...] = ()
    audiences: tuple[str, ...] = ()
    audience_claim: str = "aud"
    scope_claims: tuple[str, ...] = ("scope", "scp")
    required_claims: tuple[tuple[str, str], ...] = ()
    provider: str = ""
    provider_args: tuple[tuple[str, Any], ...] = ()
    #: RFC 7662 introspection of opaque tokens: on when ``introspection_client_id`` is set.
    introspection_endpoint: str = ""
    introspection_client_id: str = ""
    introspection_client_secret: str = ""
    introspection_mode: str = "opaque"
    introspection_cache_ttl: int = 60

    @property
    def advertised_scopes(self) -> tuple[str, ...]:
        """``scopes_supported`` of the resource metadata: allowed scopes minus step-up ones.

        A client whose 401 challenge names no scope asks for all of these, so a first consent
        never grants a privileged scope; a 403 ``insufficient_scope`` asks for it when a tool
        needs it.
        """
        return tuple(s for s in self.allowed_scopes if s not in self.step_up_scopes)

    @property
    def mcp_url(self) -> str:
        """The MCP endpoint's public URL (the protected resource)."""
        return self.server_url + "/mcp"

    def __repr__(self) -> str:  # never print the secret
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for secret in ("client_secret", "introspection_client_secret"):
            if shown[secret]:
                shown[secret] = "<redacted>"  # a placeholder, not a secret
        return "ServerConfig(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def with_identity_provider(
        self, *, issuer: str, jwks_uri: str, token_url: str, authorize_url: str = ""
    ) -> ServerConfig:
        """A copy of this configuration that trusts another IdP (used by ``--dev-idp``)."""
        return dataclasses.replace(
            self,
            auth_server_url=issuer,
            issuer=issuer,
            jwks_uri=jwks_uri,
            token_endpoint=token_url,
            oauth_token_url=token_url,
            oauth_authorize_url=authorize_url,
        )

    def require_identity_provider(self) -> None:
        """Fail when auth is on but no issuer/JWKS is configured."""
        if self.auth_disabled or self.provider or self.issuers:
            return
        # With introspection the JWKS may be discovered from the issuer (JWTs only need it).
        needed = ("issuer",) if self.introspection_client_id else ("issuer", "jwks_uri")
        missing = [k for k in needed if not getattr(self, k)]
        if missing:
            raise ConfigError(
                f"authentication is on but {' and '.join(missing)} is not configured: set "
                "auth_server_url (a Keycloak realm URL) or issuer + jwks_uri in server.config, "
                "start with --dev-idp for a local development IdP, or turn auth off explicitly "
                "with auth_disabled=true / --no-auth"
            )


def parse_config_text(text: str, source: str = "server.config") -> dict[str, tuple[Any, int]]:
    """Parse key=value text into ``{key: (value, line_number)}``; errors name the line."""
    values: dict[str, tuple[Any, int]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        where = f"{source} line {number}"
        if not sep or not key:
            raise ConfigError(f"{where}: expected 'key = value', got {line[:80]!r}")
        parser = _PARSERS.get(key)
        if key.startswith(_PROVIDER_PREFIX) and len(key) > len(_PROVIDER_PREFIX):
            parser = _text
        if parser is None:
            raise ConfigError(
                f"{where}: unknown key {key!r}; known keys: {', '.join(sorted(_PARSERS))}"
            )
        if key in values:
            raise ConfigError(f"{where}: {key} is already set on line {values[key][1]}")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        try:
            values[key] = (parser(value), number)
        except ValueError as exc:
            raise ConfigError(f"{where}: bad value for {key}: {exc}") from None
    return values


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path, parts.query, parts.fragment))


def load_config(
    path: str | Path | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    no_auth: bool = False,
) -> ServerConfig:
    """Read ``path`` (if given), apply the CLI overrides, derive endpoints and defaults.

    ``port`` rewrites the port of every advertised URL of this server (server_url, and an
    audience configured under it).
    """
    values: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read config file {file}: {exc.strerror}") from None
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {file} is larger than {MAX_CONFIG_BYTES} bytes")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"config file {file} is not UTF-8 text") from None
        parsed = parse_config_text(text, str(file))
        values = {k: v for k, (v, _) in parsed.items() if not k.startswith(_PROVIDER_PREFIX)}
        values["provider_args"] = _provider_args(parsed, str(file))
    old_server_url = values.get("server_url") or (
        f"http://{_url_host(values.get('host', '127.0.0.1'))}:{values.get('port', 3001)}"
    )
    if host is not None:
        values["host"] = host
    if port is not None:
        values["port"] = port
    if no_auth:
        values["auth_disabled"] = True
    config = ServerConfig(**values)
    server_url = config.server_url or f"http://{_url_host(config.host)}:{config.port}"
    if port is not None and config.server_url:
        server_url = _with_port(config.server_url, port)
    audience = config.audience
    if audience and port is not None and audience.startswith(old_server_url):
        audience = server_url + audience[len(old_server_url) :]
    base = config.auth_server_url
    derived: dict[str, str] = {
        "issuer": config.issuer or base,
        "jwks_uri": config.jwks_uri or (base + KEYCLOAK_OIDC + "/certs" if base else ""),
        "oauth_authorize_url": config.oauth_authorize_url
        or (base + KEYCLOAK_OIDC + "/auth" if base else ""),
        "oauth_token_url": config.oauth_token_url
        or (base + KEYCLOAK_OIDC + "/token" if base else ""),
    }
    resolved = dataclasses.replace(
        config,
        server_url=server_url,
        issuer=derived["issuer"],
        jwks_uri=derived["jwks_uri"],
        oauth_authorize_url=derived["oauth_authorize_url"],
        oauth_token_url=derived["oauth_token_url"],
        token_endpoint=config.token_endpoint or derived["oauth_token_url"],
    )
    return dataclasses.replace(resolved, audience=audience or resolved.mcp_url)


def _provider_args(parsed: dict[str, tuple[Any, int]], source: str) -> tuple[tuple[str, Any], ...]:
    """The ``provider.<argument>`` lines, checked against ``provider`` (errors name the key)."""
    given = {
        k[len(_PROVIDER_PREFIX) :]: v for k, v in parsed.items() if k.startswith(_PROVIDER_PREFIX)
    }
    provider = parsed.get("provider", ("", 0))[0]
    if not provider:
        if given:
            first = min(given.items(), key=lambda item: item[1][1])
            raise ConfigError(
                f"{source} line {first[1][1]}: provider.{first[0]} is set but provider is not"
            )
        return ()
    known = PROVIDER_ARGUMENTS[provider]
    args: list[tuple[str, Any]] = []
    for name, (raw, line) in sorted(given.items(), key=lambda item: item[1][1]):
        parse = known.get(name)
        if parse is None:
            raise ConfigError(
                f"{source} line {line}: unknown key provider.{name} for provider {provider}; "
                f"known: {', '.join('provider.' + k for k in known)}"
            )
        try:
            args.append((name, parse(raw)))
        except ValueError as exc:
            raise ConfigError(
                f"{source} line {line}: bad value for provider.{name}: {exc}"
            ) from None
    missing = [n for n in PROVIDER_REQUIRED[provider] if n not in given]
    if missing:
        raise ConfigError(
            f"{source}: provider {provider} needs " + ", ".join(f"provider.{n}" for n in missing)
        )
    return tuple(args)


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - naming the wildcard, not binding to it
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
