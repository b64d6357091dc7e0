"""Standalone ``fastmcp`` (4.x): a drop-in token verifier and a complete auth provider.

Two ways in, one import each::

    from gopher_mcp_python.auth.fastmcp import GopherJWTVerifier

    # where fastmcp's JWTVerifier was: same keyword arguments
    auth = GopherJWTVerifier(jwks_uri=..., issuer=..., audience=..., base_url="https://mcp.example.com")
    server = FastMCP("weather", auth=auth)

    from gopher_mcp_python.auth.fastmcp import GopherAuthProvider

    # everything from one ResourceServerConfig: metadata, challenges, per-tool 403, 503
    server = FastMCP("weather", auth=GopherAuthProvider(config))

:class:`GopherJWTVerifier` is a ``fastmcp.server.auth.TokenVerifier``: fastmcp's own middleware
answers with its challenges, and ``required_scopes`` a token lacks give ``403`` (the verifier does
not refuse them itself, which would be a ``401``). When no signing keys can be obtained it raises
fastmcp's ``TokenVerificationError`` — the token was not judged, so no ``401``.

:class:`GopherAuthProvider` is a ``RemoteAuthProvider`` that also puts
:class:`~.asgi.ASGIAuthMiddleware` in front of fastmcp's: the RFC 9728 document names the issuer
exactly as configured, refusals are the SDK's (``401`` with ``scope``, ``invalid_token``), the
policy's per-tool and per-method scopes are an HTTP ``403 insufficient_scope`` *before* the tool
runs (fastmcp's own per-tool ``auth=`` hides the tool instead: "Unknown tool"), a JWKS outage is
``503`` with ``Retry-After``, and sessions are bound to their principal.

Both work inside fastmcp's ``MultiAuth`` when named: ``MultiAuth(verifiers={"entra": a,
"okta": b})`` (fastmcp derives source names only for its own classes).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from fastmcp.server.auth import AccessToken, RemoteAuthProvider, TokenVerifier
from fastmcp.server.auth.auth import TokenVerificationError
from pydantic import AnyHttpUrl
from starlette.middleware import Middleware
from starlette.routing import Route

from . import offload
from .asgi import ASGIAuthMiddleware
from .authenticator import Authenticator
from .config import ResourceServerConfig
from .context import AuthContext
from .mcp_sdk import access_token
from .scopes import ScopePolicy
from .starlette import metadata_routes

__all__ = ["GopherAuthProvider", "GopherJWTVerifier"]


def _config_from(
    jwks_uri: str | None,
    issuer: str | None,
    audience: str | None,
    required_scopes: list[str] | None,
    base_url: str | None,
) -> ResourceServerConfig:
    for name, value in (("issuer", issuer), ("audience", audience)):
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"GopherJWTVerifier takes one {name} as a string (got {type(value).__name__}); "
                "for several identity providers use MultiAuth with one verifier each"
            )
    if not (jwks_uri and issuer and base_url):
        raise ValueError(
            "GopherJWTVerifier needs jwks_uri, issuer and base_url (the server's public URL; "
            "the audience defaults to <base_url>/mcp), or config=ResourceServerConfig(...)"
        )
    return ResourceServerConfig(
        server_url=base_url,
        issuer=issuer,
        jwks_uri=jwks_uri,
        audience=audience or "",
        scope_policy=ScopePolicy(default=required_scopes or ()),
    )


class GopherJWTVerifier(TokenVerifier):
    """fastmcp token verifier backed by the native engine; see the module docstring.

    Args:
        jwks_uri: where the issuer publishes its signing keys.
        issuer: the exact ``iss`` accepted.
        audience: the ``aud`` tokens must carry; default ``<base_url><mcp path>``.
        required_scopes: scopes every request needs.
        base_url: this server's public base URL.
        config: a full :class:`~.config.ResourceServerConfig` instead of the arguments above.
        authenticator: an existing :class:`~.authenticator.Authenticator` to share.

    """

    def __init__(
        self,
        *,
        jwks_uri: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        required_scopes: list[str] | None = None,
        base_url: str | None = None,
        config: ResourceServerConfig | None = None,
        authenticator: Authenticator | None = None,
    ) -> None:
        if authenticator is not None:
            config = authenticator.config
        elif config is None:
            config = _config_from(jwks_uri, issuer, audience, required_scopes, base_url)
        self._audience_given = bool(audience) or authenticator is not None
        self.config = config
        self._authenticator = authenticator
        super().__init__(
            base_url=config.server_url, required_scopes=list(config.scope_policy.default)
        )

    @property
    def authenticator(self) -> Authenticator:
        """The authenticator (built on first use, once the MCP path is known)."""
        if self._authenticator is None:
            self._authenticator = Authenticator(self.config)
        return self._authenticator

    def set_mcp_path(self, mcp_path: str | None) -> None:
        """Fastmcp tells the MCP path late; the default resource (and audience) follow it."""
        super().set_mcp_path(mcp_path)
        if (
            mcp_path
            and self._authenticator is None
            and not self._audience_given
            and self.config.mcp_path != mcp_path
        ):
            resource = self.config.server_url + mcp_path
            self.config = dataclasses.replace(
                self.config, mcp_path=mcp_path, resource=resource, audience=resource
            )

    async def verify_token(self, token: str) -> AccessToken | None:
        """Verify ``token``; ``None`` when invalid, ``TokenVerificationError`` when unjudged."""
        verify = functools.partial(self.authenticator.verify_token, token)
        result = await offload.check(self.authenticator, token, verify, offload=True)
        if isinstance(result, AuthContext):
            return access_token(token, result, self.config, AccessToken)
        if result.status in (500, 503):
            raise TokenVerificationError(str(result.body.get("error_description", "")))
        return None


class GopherAuthProvider(RemoteAuthProvider):
    """fastmcp auth provider built from a :class:`~.config.ResourceServerConfig`.

    Args:
        config: the resource server (issuer, JWKS, audience, scopes, per-tool policy). Its
            ``mcp_path`` must be the path fastmcp serves MCP at (``/mcp`` by default).
        authenticator: an existing :class:`~.authenticator.Authenticator` to share.
        public_paths: more exact paths served without a token (``GET``/``HEAD``).

    """

    def __init__(
        self,
        config: ResourceServerConfig,
        *,
        authenticator: Authenticator | None = None,
        public_paths: tuple[str, ...] = (),
    ) -> None:
        self.config = config
        self.authenticator = authenticator or Authenticator(config)
        self.public_paths = public_paths
        super().__init__(
            token_verifier=GopherJWTVerifier(authenticator=self.authenticator),
            authorization_servers=[AnyHttpUrl(url) for url in config.authorization_servers],
            base_url=config.server_url,
            scopes_supported=list(config.request_scopes(config.scopes_supported)),
            resource_name=config.resource_name or None,
            required_scopes=list(config.scope_policy.default),
        )

    def set_mcp_path(self, mcp_path: str | None) -> None:
        """Refuse an MCP path other than the config's: the audience would not match."""
        if mcp_path and mcp_path != self.config.mcp_path:
            raise ValueError(
                f"fastmcp serves MCP at {mcp_path!r} but the config's mcp_path is "
                f"{self.config.mcp_path!r}: set ResourceServerConfig(mcp_path={mcp_path!r})"
            )
        super().set_mcp_path(mcp_path)

    def get_routes(self, mcp_path: str | None = None) -> list[Route]:
        """The RFC 9728 document, with the issuer exactly as configured."""
        self.set_mcp_path(mcp_path)
        return metadata_routes(self.config)

    def get_middleware(self) -> list[Any]:
        """Our middleware first (challenges, per-tool 403, 503), then fastmcp's auth."""
        ours = Middleware(
            ASGIAuthMiddleware,
            authenticator=self.authenticator,
            public_paths=self.public_paths,
        )
        return [ours, *super().get_middleware()]
