"""The official client's authorization-code flow against the example and a real IdP.

The same flow as `test_e2e_interactive.py`, with `oidc-provider` (`idp.mjs`) as the authorization
server and the example under gunicorn: the client registers dynamically, the test submits
oidc-provider's development login and consent forms as a person would, the client exchanges the
code (PKCE, RFC 8707 resource) and calls tools; the 403 of `get-weather-alerts` sends it back for
`mcp:admin` (the IdP remembers the person: consent only) and the call succeeds. A second IdP
with 10 s access tokens shows the client refreshing while its session goes on.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.types import CallToolResult, ListToolsResult

from authorization_server import AuthorizationServer, start_authorization_server
from example_server import ExampleServer, start_example_server
from interactive_client import MemoryTokenStorage, run_code_flow
from managed_process import free_port, stop_and_verify
from node_toolchain import NodeToolchain

SHORT_TTL_S = 10  # idp.mjs's shortest access-token lifetime

MAX_STEPS = 12


@dataclass
class OidcPerson:
    """A person at oidc-provider's development pages, with a browser that keeps its cookies."""

    redirect_uri: str
    prompts: list[str] = field(default_factory=list)
    authorization_urls: list[str] = field(default_factory=list)
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)
    callback: tuple[str, str | None] | None = None

    async def open_browser(self, url: str) -> None:
        self.authorization_urls.append(url)
        async with httpx.AsyncClient(cookies=self.cookies, timeout=30.0) as browser:
            response = await browser.get(url)
            for _ in range(MAX_STEPS):
                if response.is_redirect:
                    target = response.url.join(response.headers["location"])
                    if str(target).startswith(self.redirect_uri + "?"):
                        query = {k: v[0] for k, v in parse_qs(target.query.decode()).items()}
                        assert "error" not in query, query
                        self.callback = (query["code"], query.get("state"))
                        break
                    response = await browser.get(target)
                    continue
                assert response.status_code == 200, response.text[:500]
                action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
                prompt = re.search(r'name="prompt" value="(\w+)"', response.text)
                assert action, response.text[:500]
                assert prompt, response.text[:500]
                form = {"prompt": prompt.group(1)}
                if form["prompt"] == "login":
                    form |= {"login": "e2e-person", "password": "any-password"}
                self.prompts.append(form["prompt"])
                target = response.url.join(html.unescape(action.group(1)))
                response = await browser.post(target, data=form)
            else:
                raise AssertionError(f"no redirect to the client after {MAX_STEPS} steps")
            self.cookies = browser.cookies

    async def wait_for_callback(self) -> tuple[str, str | None]:
        assert self.callback is not None, "the browser never came back to the client"
        callback, self.callback = self.callback, None
        return callback


def test_interactive_client_against_oidc_provider(
    example_server: ExampleServer, idp: AuthorizationServer
) -> None:
    person = OidcPerson(f"http://127.0.0.1:{free_port()}/callback")
    storage = MemoryTokenStorage()

    async def body(session: ClientSession) -> tuple[ListToolsResult, list[CallToolResult]]:
        tools = await session.list_tools()
        calls = [
            await session.call_tool("get-weather", {"city": "Lima"}),
            await session.call_tool("get-forecast", {"city": "Lima", "days": 2}),
            await session.call_tool("get-weather-alerts", {"region": "Andes"}),
        ]
        return tools, calls

    (tools, calls), exchange = run_code_flow(
        example_server.mcp_url,
        body,
        redirect_uri=person.redirect_uri,
        redirect_handler=person.open_browser,
        callback_handler=person.wait_for_callback,
        auth_method="none",
        storage=storage,
    )
    assert {t.name for t in tools.tools} == {"get-weather", "get-forecast", "get-weather-alerts"}
    for result in calls:
        assert not result.isError, result

    registrations = [r for r in exchange.log if r.request.method == "POST" and r.url.path == "/reg"]
    assert [r.status_code for r in registrations] == [201]
    # Sign-in once; consent for the baseline, then again for mcp:admin after the 403.
    assert person.prompts == ["login", "consent", "consent"], person.prompts
    assert [r.status_code for r in exchange.log].count(403) == 1
    first, second = (parse_qs(urlsplit(u).query) for u in person.authorization_urls)
    assert first["scope"] == ["mcp:read"]
    assert set(second["scope"][0].split()) == {"mcp:read", "mcp:admin"}
    for query in (first, second):
        assert query["code_challenge_method"] == ["S256"]
        assert query["resource"] == [example_server.mcp_url]
    token_forms = exchange.forms_to(idp.token_endpoint)
    assert [f["grant_type"] for f in token_forms] == [["authorization_code"]] * 2
    assert all(f["resource"] == [example_server.mcp_url] for f in token_forms)
    assert storage.tokens is not None
    assert storage.tokens.refresh_token


@pytest.fixture(scope="module")
def short_ttl_stack(
    node_toolchain: NodeToolchain, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ExampleServer, AuthorizationServer]]:
    log_dir = tmp_path_factory.mktemp("short-ttl")
    port = free_port()
    idp = start_authorization_server(
        node_toolchain,
        default_resource=f"http://127.0.0.1:{port}/mcp",
        log_dir=log_dir,
        token_ttl=SHORT_TTL_S,
    )
    try:
        example = start_example_server(idp, port=port, log_dir=log_dir, workers=2)
    except BaseException:
        stop_and_verify(idp.process)
        raise
    yield example, idp
    stop_and_verify(example.process)
    stop_and_verify(idp.process)


def test_oidc_provider_tokens_are_refreshed_and_the_session_goes_on(
    short_ttl_stack: tuple[ExampleServer, AuthorizationServer],
) -> None:
    example, idp = short_ttl_stack
    person = OidcPerson(f"http://127.0.0.1:{free_port()}/callback")
    storage = MemoryTokenStorage()
    tokens_seen: list[str] = []

    async def body(session: ClientSession) -> list[bool]:
        errors = []
        for city in ("Quito", "Cusco"):
            result = await session.call_tool("get-weather", {"city": city})
            errors.append(result.isError)
            tokens_seen.append(storage.tokens.access_token if storage.tokens else "")
            await anyio.sleep(SHORT_TTL_S + 1)  # past the access token's lifetime
        return errors

    errors, exchange = run_code_flow(
        example.mcp_url,
        body,
        redirect_uri=person.redirect_uri,
        redirect_handler=person.open_browser,
        callback_handler=person.wait_for_callback,
        auth_method="none",
        storage=storage,
    )
    assert errors == [False, False]
    assert person.prompts == ["login", "consent"]  # refreshing needs no person
    grants = [f["grant_type"][0] for f in exchange.forms_to(idp.token_endpoint)]
    assert grants[0] == "authorization_code"
    assert "refresh_token" in grants[1:], grants
    assert exchange.statuses(idp.token_endpoint) == [200] * len(grants)
    assert len(set(tokens_seen)) == 2  # the second call went with the refreshed token
