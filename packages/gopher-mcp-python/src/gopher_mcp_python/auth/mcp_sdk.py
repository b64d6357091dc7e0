"""A ``TokenVerifier`` for the official ``mcp`` SDK (and FastMCP) backed by the native engine.

Usage with the ``mcp`` SDK::

    verifier = GopherTokenVerifier(Authenticator(config))
    server = MCPServer("weather", token_verifier=verifier, auth=AuthSettings(
        issuer_url=config.issuer, resource_server_url=config.resource, required_scopes=[]))

The verifier checks signature, time, issuer and audience (the configured audience — always). The
SDK's own middleware then applies its ``required_scopes``; per-tool scopes stay with the
tool code (``AccessToken.scopes``), or use :class:`~.asgi.ASGIAuthMiddleware`, which answers a
missing per-tool scope with the MCP 403 step-up challenge.

A token is never "maybe valid": a malformed, forged, expired, foreign or misaddressed token gives
``None`` (the SDK answers 401 ``invalid_token``); when no signing keys can be obtained or the
validator fails, :class:`TokenVerificationUnavailable` is raised (the SDK answers 500), so a
client is not told to discard a token that was never judged.
"""

from __future__ import annotations

from mcp.server.auth.provider import AccessToken

from .authenticator import Authenticator
from .context import AuthContext

__all__ = ["GopherTokenVerifier", "TokenVerificationUnavailable"]


class TokenVerificationUnavailable(RuntimeError):  # noqa: N818 - reads as the condition it is
    """The token could not be judged (no signing keys, or a validator failure)."""


class GopherTokenVerifier:
    """``mcp.server.auth.provider.TokenVerifier`` implementation; see the module docstring.

    Args:
        authenticator: the resource server's authenticator (its config gives issuer/audience).
        offload: run the native call in a worker thread (``anyio.to_thread``), so a JWKS fetch
            on a cold cache never blocks the event loop. Validation itself takes microseconds;
            set ``False`` when keys are static (``config.jwks``) to save the thread hop.

    """

    def __init__(self, authenticator: Authenticator, *, offload: bool = True) -> None:
        self.authenticator = authenticator
        self.offload = offload

    async def verify_token(self, token: str) -> AccessToken | None:
        """Verify ``token``; ``None`` if it is not valid for this resource."""
        if self.offload:
            import anyio.to_thread

            result = await anyio.to_thread.run_sync(self.authenticator.verify_token, token)
        else:
            result = self.authenticator.verify_token(token)
        if isinstance(result, AuthContext):
            return self._access_token(token, result)
        if result.status in (500, 503):
            raise TokenVerificationUnavailable(str(result.body.get("error_description", "")))
        return None

    def _access_token(self, token: str, context: AuthContext) -> AccessToken:
        config = self.authenticator.config
        resource = config.resource if config.resource in context.audience else config.audience
        return AccessToken(
            token=token,
            client_id=context.client_id or context.subject,
            scopes=list(context.scopes),
            expires_at=context.expires_at or None,
            resource=resource,
            subject=context.subject or None,
            claims=dict(context.claims),
        )
