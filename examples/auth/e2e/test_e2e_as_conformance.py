"""The MCP conformance suite's authorization-server scenarios against the development IdP.

`@modelcontextprotocol/conformance` 0.2.0-alpha.12 (`conformance authorization`, installed from
the lock file under the alias `mcp-conformance-authorization`; the server scenarios keep their
own pinned version) checks the RFC 8414 metadata and runs an authorization-code grant with PKCE
and an RFC 8707 resource. The grant needs a person at a browser: the test reads the authorization
URL the suite prints, opens it, submits the consent form and delivers the redirect to the suite's
callback server, as a browser would.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from py_auth_mcp_server.dev_idp import DevIdentityProvider

from managed_process import free_port
from node_toolchain import NodeToolchain

RESOURCE = "http://127.0.0.1:3001/mcp"
SUITE_TIMEOUT_S = 120.0


@pytest.fixture
def dev_idp() -> Iterator[DevIdentityProvider]:
    idp = DevIdentityProvider("127.0.0.1", 0, audience=RESOURCE, scopes=("mcp:read", "mcp:admin"))
    idp.start()
    yield idp
    idp.stop()


def _lines(process: subprocess.Popen[str]) -> tuple[queue.Queue[str | None], threading.Thread]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return lines, thread


def _next_matching(lines: queue.Queue[str | None], seen: list[str], pattern: str) -> str:
    while True:
        try:
            line = lines.get(timeout=SUITE_TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(
                f"the suite printed no line matching {pattern!r}:\n" + "\n".join(seen)
            ) from None
        if line is None:
            raise AssertionError(f"the suite ended before {pattern!r}:\n" + "\n".join(seen))
        seen.append(line)
        if re.search(pattern, line):
            return line


def test_dev_idp_passes_the_authorization_server_scenarios(
    dev_idp: DevIdentityProvider, node_toolchain: NodeToolchain, tmp_path: Path
) -> None:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/callback"
    registration = httpx.post(
        dev_idp.registration_url,
        json={
            "client_name": "MCP conformance suite",
            "redirect_uris": [callback],
            "token_endpoint_auth_method": "none",
        },
    )
    assert registration.status_code == 201, registration.text
    client_id = registration.json()["client_id"]
    argv = [
        *node_toolchain.package_bin("mcp-conformance-authorization", "dist/index.js"),
        "authorization",
        "--url",
        dev_idp.issuer,
        "--client-id",
        client_id,
        "--resource",
        RESOURCE,
        "--port",
        str(port),
        "--output-dir",
        str(tmp_path / "results"),
    ]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL
    )
    seen: list[str] = []
    lines, pump = _lines(process)
    try:
        authorize = _next_matching(lines, seen, "^" + re.escape(dev_idp.authorize_url + "?"))
        _next_matching(lines, seen, "Callback server started")
        with httpx.Client(timeout=30.0) as browser:
            page = browser.get(authorize)
            assert page.status_code == 200, page.text
            form = dict(
                re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text)
            )
            approved = browser.post(dev_idp.authorize_url, data={**form, "decision": "approve"})
            assert approved.status_code == 302, approved.text
            location = approved.headers["location"]
            assert location.startswith(callback + "?code="), location
            assert browser.get(location).status_code == 200
        _next_matching(lines, seen, r"Total: \d+ passed")
        process.wait(timeout=SUITE_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        pump.join(timeout=30)
        assert process.stdout is not None
        process.stdout.close()
    output = "\n".join(seen)
    assert process.returncode == 0, output
    assert re.search(r"authorization-server-metadata-endpoint: 2 passed, 0 failed", output), output
    assert re.search(r"authorization-code-grant: 1 passed, 0 failed", output), output
    assert "Total: 3 passed, 0 failed" in output, output
