"""End to end, the way interactive MCP clients connect to `make demo`: authorization code + PKCE.

The demo runs as `make demo` runs it (`python -m py_auth_mcp_server server.config --dev-idp`).
The official `mcp` client's `OAuthClientProvider` gets nothing but the MCP URL. From the 401 it
discovers the protected-resource metadata and the dev IdP, registers itself (RFC 7591), sends the
person to the consent page with PKCE and the RFC 8707 resource, exchanges the code, lists and
calls tools; on a 403 `insufficient_scope` it comes back for `mcp:admin`; when its access token
expires it refreshes and the session goes on. The test plays the person: it opens the
authorization URL, reads the consent page and submits its form (CSRF token included).
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.types import CallToolResult, ListToolsResult

from interactive_client import AuthMethod, Exchange, MemoryTokenStorage, run_code_flow
from managed_process import ManagedProcess, free_port, start, stop_and_verify, wait_for_http

T = TypeVar("T")
EXAMPLE_DIR = Path(__file__).resolve().parents[1]
CALLBACK = "http://127.0.0.1:{port}/callback"


@dataclass(frozen=True)
class Demo:
    """`make demo`'s server: the example on Werkzeug and the dev IdP beside it."""

    process: ManagedProcess
    mcp_url: str
    issuer: str


def start_demo(log_dir: Path, *, token_lifetime: int) -> Demo:
    port, idp_port = free_port(), free_port()
    process = start(
        f"demo-{token_lifetime}",
        [
            sys.executable,
            "-m",
            "py_auth_mcp_server",
            str(EXAMPLE_DIR / "server.config"),
            "--dev-idp",
            "--port",
            str(port),
            "--dev-idp-port",
            str(idp_port),
            "--dev-idp-token-lifetime",
            str(token_lifetime),
        ],
        log_dir=log_dir,
        env=None,
    )
    wait_for_http(process, f"http://127.0.0.1:{port}/health")
    return Demo(process, f"http://127.0.0.1:{port}/mcp", f"http://127.0.0.1:{idp_port}")


@pytest.fixture(scope="module")
def demo(log_dir: Path) -> Iterator[Demo]:
    server = start_demo(log_dir, token_lifetime=300)
    yield server
    stop_and_verify(server.process)


@pytest.fixture(scope="module")
def short_lived_demo(log_dir: Path) -> Iterator[Demo]:
    server = start_demo(log_dir, token_lifetime=2)
    yield server
    stop_and_verify(server.process)


@dataclass
class Person:
    """Plays the person at the browser for the client's redirect and callback handlers."""

    redirect_uri: str
    authorization_urls: list[str] = field(default_factory=list)
    consent_pages: list[str] = field(default_factory=list)
    callback: tuple[str, str | None] | None = None

    async def open_browser(self, url: str) -> None:
        self.authorization_urls.append(url)
        async with httpx.AsyncClient(timeout=30.0) as browser:
            page = await browser.get(url)
            assert page.status_code == 200, page.text
            assert page.headers["content-type"].startswith("text/html")
            self.consent_pages.append(page.text)
            form = dict(
                re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text)
            )
            assert set(form) == {"request_id", "csrf_token"}, page.text
            form = {k: html.unescape(v) for k, v in form.items()}
            action = httpx.URL(url).join("/authorize")
            answer = await browser.post(action, data={**form, "decision": "approve"})
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(self.redirect_uri + "?"), location
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert "error" not in query, query
        self.callback = (query["code"], query.get("state"))

    async def wait_for_callback(self) -> tuple[str, str | None]:
        assert self.callback is not None, "the browser never came back to the client"
        callback, self.callback = self.callback, None
        return callback


def run_client(
    demo: Demo,
    body: Callable[[ClientSession], Awaitable[T]],
    *,
    auth_method: AuthMethod,
    storage: MemoryTokenStorage | None = None,
) -> tuple[T, Person, Exchange, MemoryTokenStorage]:
    person = Person(CALLBACK.format(port=free_port()))
    storage = storage or MemoryTokenStorage()
    result, exchange = run_code_flow(
        demo.mcp_url,
        body,
        redirect_uri=person.redirect_uri,
        redirect_handler=person.open_browser,
        callback_handler=person.wait_for_callback,
        auth_method=auth_method,
        storage=storage,
    )
    return result, person, exchange, storage


def _scopes_on(page: str) -> set[str]:
    return set(re.findall(r"<li><code>([^<]+)</code></li>", page))


def test_interactive_client_registers_consents_and_steps_up(demo: Demo) -> None:
    async def body(session: ClientSession) -> tuple[ListToolsResult, list[CallToolResult]]:
        tools = await session.list_tools()
        calls = [
            await session.call_tool("get-weather", {"city": "Lima"}),
            await session.call_tool("get-forecast", {"city": "Lima", "days": 2}),
            await session.call_tool("get-weather-alerts", {"region": "Andes"}),
        ]
        return tools, calls

    (tools, calls), person, exchange, storage = run_client(demo, body, auth_method="none")
    assert {t.name for t in tools.tools} == {"get-weather", "get-forecast", "get-weather-alerts"}
    for result in calls:
        assert not result.isError, result

    # Discovery from the 401: protected-resource metadata, then the dev IdP's metadata.
    first = exchange.log[0]
    assert (str(first.request.url), first.status_code) == (demo.mcp_url, 401)
    assert 'scope="' not in first.headers["www-authenticate"]  # initialize needs no scope
    urls = [str(r.request.url) for r in exchange.log]
    assert any("/.well-known/oauth-protected-resource" in u for u in urls)
    assert demo.issuer + "/.well-known/oauth-authorization-server" in urls

    # Dynamic registration of a public client.
    registrations = [r for r in exchange.log if str(r.request.url) == demo.issuer + "/register"]
    assert [r.status_code for r in registrations] == [201]
    client_id = registrations[0].json()["client_id"]
    assert "client_secret" not in registrations[0].json()

    # Two consents: the baseline first (no mcp:admin), then the step-up for get-weather-alerts.
    assert len(person.consent_pages) == 2
    assert "mcp:admin" not in _scopes_on(person.consent_pages[0])
    assert "mcp:read" in _scopes_on(person.consent_pages[0])
    assert {"mcp:read", "mcp:admin"} <= _scopes_on(person.consent_pages[1])
    for url in person.authorization_urls:
        query = parse_qs(urlsplit(url).query)
        assert url.startswith(demo.issuer + "/authorize?")
        assert query["code_challenge_method"] == ["S256"]
        assert query["resource"] == [demo.mcp_url]
        assert query["client_id"] == [client_id]
    step_ups = [r for r in exchange.log if r.status_code == 403]
    assert len(step_ups) == 1
    assert 'error="insufficient_scope"' in step_ups[0].headers["www-authenticate"]

    # Each consent ended in a code exchange with the PKCE verifier, for the MCP resource.
    token_forms = exchange.forms_to(demo.issuer + "/token")
    assert [f["grant_type"] for f in token_forms] == [["authorization_code"]] * 2
    for form in token_forms:
        assert form["resource"] == [demo.mcp_url]
        assert len(form["code_verifier"][0]) >= 43
    assert storage.tokens is not None
    assert set((storage.tokens.scope or "").split()) >= {"mcp:read", "mcp:admin"}


def test_expired_access_token_is_refreshed_and_the_session_goes_on(
    short_lived_demo: Demo,
) -> None:
    tokens_seen: list[str] = []

    async def body(session: ClientSession) -> list[bool]:
        errors = []
        for city in ("Quito", "Cusco", "Arequipa"):
            result = await session.call_tool("get-weather", {"city": city})
            errors.append(result.isError)
            tokens_seen.append(storage.tokens.access_token if storage.tokens else "")
            await anyio.sleep(3)  # longer than the 2 s access-token lifetime
        return errors

    storage = MemoryTokenStorage()
    errors, person, exchange, _ = run_client(
        short_lived_demo, body, auth_method=None, storage=storage
    )
    assert errors == [False, False, False]
    assert len(person.consent_pages) == 1  # refreshing needs no person
    token_forms = exchange.forms_to(short_lived_demo.issuer + "/token")
    grants = [f["grant_type"][0] for f in token_forms]
    assert grants[0] == "authorization_code"
    assert grants.count("refresh_token") >= 2, grants
    assert exchange.statuses(short_lived_demo.issuer + "/token") == [200] * len(grants)
    # A confidential client (the default auth method): its secret went in the Basic header.
    refreshes = [
        r
        for r in exchange.log
        if str(r.request.url) == short_lived_demo.issuer + "/token"
        and b"refresh_token" in r.request.content
    ]
    assert all(r.request.headers["authorization"].startswith("Basic ") for r in refreshes)
    # Every refresh rotated the refresh token and gave a new access token.
    rotated = [parse_qs(r.request.content.decode())["refresh_token"][0] for r in refreshes]
    assert len(set(rotated)) == len(rotated)
    assert len(set(tokens_seen)) == len(tokens_seen)
    unauthorized = [r for r in exchange.log if r.status_code == 401]
    assert len(unauthorized) == 1, "only the very first request may be refused"


def test_demo_banner_tells_how_to_connect_an_interactive_client(demo: Demo) -> None:
    banner = demo.process.log_tail(200)  # printed before the server listens
    assert "Connect an interactive MCP client" in banner
    assert f"claude mcp add --transport http weather {demo.mcp_url}" in banner
