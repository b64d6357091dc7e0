"""A real browser at the development IdP's consent page, for the official MCP client.

Headless Chromium (driven through chromedriver by Selenium) is the person's browser: the official
`mcp` client's `OAuthClientProvider` discovers the dev IdP from the example's 401, registers,
and hands the authorization URL to the browser; the browser shows the consent page (kept as
`.test-results/browser/consent-page.png`), Approve is clicked, the browser lands on the client's
loopback callback and the client completes and calls tools. A second test clicks Deny.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import anyio
import anyio.to_thread
import httpx
import pytest
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import load_config
from py_auth_mcp_server.dev_idp import DevIdentityProvider
from pydantic import AnyUrl
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from install_browser import find_browser

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = REPO / ".test-results" / "browser"
CLIENT_NAME = "Browser test client"


def _free_port() -> int:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        return int(probe.server_address[1])


class Stack:
    """The example (Werkzeug, threaded) trusting the dev IdP, both on loopback."""

    def __init__(self) -> None:
        config = load_config(None, port=_free_port())
        self.idp = DevIdentityProvider(
            "127.0.0.1", 0, audience=config.audience, scopes=config.allowed_scopes
        )
        self.idp.start()
        config = config.with_identity_provider(
            issuer=self.idp.issuer,
            jwks_uri=self.idp.jwks_uri,
            token_url=self.idp.token_url,
            authorize_url=self.idp.authorize_url,
        )
        self.app = create_app(config=config)
        self.server = make_server("127.0.0.1", config.port, self.app, threaded=True)
        self.mcp_url = config.mcp_url
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        cleanup_app(self.app)
        self.idp.stop()


class Callback:
    """The client's loopback redirect target: records the query the browser brings back."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.query: dict[str, str] = {}
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path == "/callback":
                    query = parse_qs(urlsplit(self.path).query)
                    callback.query = {k: v[0] for k, v in query.items()}
                    callback.arrived.set()
                body = b"<!DOCTYPE html><title>Done</title><p>You can close this window.</p>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stack() -> Iterator[Stack]:
    running = Stack()
    yield running
    running.close()


@pytest.fixture
def callback() -> Iterator[Callback]:
    server = Callback()
    yield server
    server.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    found = find_browser()
    if found is None:  # never a skip: the tox env installs it, so its absence is a failure
        pytest.fail(
            "no chromium + chromedriver on PATH: run `python examples/auth/browser/"
            "install_browser.py` (the tox env `browser` does)"
        )
    binary, driver_path = found
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=900,760",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


class MemoryTokenStorage:
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


def _check_consent_page(driver: webdriver.Chrome, stack: Stack, screenshot: Path) -> None:
    assert driver.title == f"Authorize {CLIENT_NAME}"
    text = driver.find_element(By.TAG_NAME, "body").text
    assert f"Allow {CLIENT_NAME}?" in text
    assert "Development IdP" in text
    assert "mcp:read" in text
    assert "mcp:admin" not in text  # the first consent is the baseline
    assert stack.mcp_url in text
    assert driver.find_elements(By.TAG_NAME, "script") == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_browser_approves_and_the_official_client_completes(
    stack: Stack, callback: Callback, browser: webdriver.Chrome
) -> None:
    screenshot = ARTIFACTS / "consent-page.png"
    screenshot.unlink(missing_ok=True)

    def drive(url: str) -> None:
        browser.get(url)
        _check_consent_page(browser, stack, screenshot)
        browser.find_element(By.ID, "approve").click()
        WebDriverWait(browser, 30).until(lambda d: d.current_url.startswith(callback.redirect_uri))

    async def open_browser(url: str) -> None:
        await anyio.to_thread.run_sync(drive, url)

    async def wait_for_callback() -> tuple[str, str | None]:
        arrived = await anyio.to_thread.run_sync(callback.arrived.wait, 30.0)
        assert arrived, "the browser never reached the client's callback"
        assert "error" not in callback.query, callback.query
        return callback.query["code"], callback.query.get("state")

    provider = OAuthClientProvider(
        server_url=stack.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name=CLIENT_NAME,
            redirect_uris=[AnyUrl(callback.redirect_uri)],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryTokenStorage(),
        redirect_handler=open_browser,
        callback_handler=wait_for_callback,
    )

    async def main() -> tuple[set[str], bool]:
        async with (
            httpx.AsyncClient(auth=provider, timeout=httpx.Timeout(60.0)) as http_client,
            streamable_http_client(stack.mcp_url, http_client=http_client) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            tools = await session.list_tools()
            weather = await session.call_tool("get-weather", {"city": "Bergen"})
            return {t.name for t in tools.tools}, weather.isError

    names, weather_error = anyio.run(main)
    assert names == {"get-weather", "get-forecast", "get-weather-alerts"}
    assert weather_error is False
    assert screenshot.is_file()
    assert browser.find_element(By.TAG_NAME, "body").text == "You can close this window."


def test_browser_denies_and_the_client_gets_access_denied(
    stack: Stack, callback: Callback, browser: webdriver.Chrome
) -> None:
    registration = httpx.post(
        stack.idp.registration_url,
        json={
            "client_name": CLIENT_NAME,
            "redirect_uris": [callback.redirect_uri],
            "token_endpoint_auth_method": "none",
        },
    )
    assert registration.status_code == 201
    query = {
        "response_type": "code",
        "client_id": registration.json()["client_id"],
        "redirect_uri": callback.redirect_uri,
        "state": "deny-1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "scope": "mcp:read",
        "resource": stack.mcp_url,
    }
    browser.get(stack.idp.authorize_url + "?" + urlencode(query))
    browser.find_element(By.ID, "deny").click()
    assert callback.arrived.wait(30.0)
    assert callback.query["error"] == "access_denied"
    assert callback.query["state"] == "deny-1"
    assert "code" not in callback.query
