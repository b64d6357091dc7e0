"""The official `mcp` client's OAuth flows, driven for the e2e tests.

`run_client_credentials` connects `ClientCredentialsOAuthProvider` (given only an IdP's issuer
and client credentials); `run_code_flow` connects `OAuthClientProvider` (given only the MCP URL)
with a redirect handler that plays the person at the authorization server. Both record every
HTTP exchange and run `body` in an initialized session.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar
from urllib.parse import parse_qs

import anyio
import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.extensions.client_credentials import ClientCredentialsOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from pydantic import AnyUrl

T = TypeVar("T")
AuthMethod = Literal["none", "client_secret_basic"] | None


class MemoryTokenStorage:
    """The client's token and registration storage, in memory (optionally seeded with a token)."""

    def __init__(self, tokens: OAuthToken | None = None) -> None:
        self.tokens = tokens
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        """The stored tokens."""
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        """Store the tokens."""
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        """The stored registration."""
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        """Store the registration."""
        self.client_info = client_info


class Exchange:
    """Every response the client's HTTP stack completed, in order."""

    def __init__(self) -> None:
        self.log: list[httpx.Response] = []

    async def __call__(self, response: httpx.Response) -> None:
        """Record one completed response (the httpx response hook)."""
        await response.aread()
        self.log.append(response)

    def forms_to(self, url: str) -> list[dict[str, list[str]]]:
        """The form bodies POSTed to `url`, in order."""
        return [
            parse_qs(r.request.content.decode())
            for r in self.log
            if r.request.method == "POST" and str(r.request.url) == url
        ]

    def statuses(self, url: str) -> list[int]:
        """The statuses of every request to `url`, in order."""
        return [r.status_code for r in self.log if str(r.request.url) == url]


def run_code_flow(
    mcp_url: str,
    body: Callable[[ClientSession], Awaitable[T]],
    *,
    redirect_uri: str,
    redirect_handler: Callable[[str], Awaitable[None]],
    callback_handler: Callable[[], Awaitable[tuple[str, str | None]]],
    auth_method: AuthMethod,
    storage: MemoryTokenStorage,
) -> tuple[T, Exchange]:
    """Run `body` in a session of the official client using the authorization-code flow."""
    exchange = Exchange()
    metadata = OAuthClientMetadata(
        client_name="e2e interactive client",
        redirect_uris=[AnyUrl(redirect_uri)],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method=auth_method,
    )
    provider = OAuthClientProvider(
        server_url=mcp_url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )

    return _run_session(mcp_url, provider, body, exchange), exchange


def run_client_credentials(
    mcp_url: str,
    body: Callable[[ClientSession], Awaitable[T]],
    *,
    issuer: str,
    client_id: str,
    client_secret: str,
    storage: MemoryTokenStorage,
) -> tuple[T, Exchange]:
    """Run `body` in a session of the official client using the client-credentials grant.

    The client gets only the IdP's issuer and its credentials: it finds the rest from the MCP
    server's 401 (RFC 9728 metadata, then the authorization server's metadata).
    """
    exchange = Exchange()
    provider = ClientCredentialsOAuthProvider(
        server_url=mcp_url,
        storage=storage,
        client_id=client_id,
        client_secret=client_secret,
        # mcp 1.30's client_secret_post omits client_id from the form (RFC 6749 §2.3.1 wants it);
        # the IdPs of these tests register their clients for client_secret_basic.
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
        issuer=issuer,
    )
    return _run_session(mcp_url, provider, body, exchange), exchange


def _run_session(
    mcp_url: str,
    auth: httpx.Auth,
    body: Callable[[ClientSession], Awaitable[T]],
    exchange: Exchange,
) -> T:
    async def main() -> T:
        http_client = httpx.AsyncClient(
            auth=auth, timeout=httpx.Timeout(30.0), event_hooks={"response": [exchange]}
        )
        async with (
            http_client,
            streamable_http_client(mcp_url, http_client=http_client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await body(session)

    return anyio.run(main)
