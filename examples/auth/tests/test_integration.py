"""The server over real loopback HTTP: the dev IdP flow, SSE with a server→client request,
the CLI, and gunicorn with several workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from py_auth_mcp_server.app import cleanup_app, create_app
from py_auth_mcp_server.config import ServerConfig, load_config
from py_auth_mcp_server.dev_idp import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevIdentityProvider
from py_auth_mcp_server.routes.mcp_handler import MAX_BODY_BYTES

from .conftest import MCP_HEADERS, LoopbackIdp, Minter, free_port, rpc, tool_call, write_config
from .test_mcp_handler import build_registry


class LiveServer:
    """The app served by Werkzeug's threaded server on a loopback port."""

    def __init__(self, config: ServerConfig, **kwargs: Any) -> None:
        self.app = create_app(config=config, **kwargs)
        self.server: BaseWSGIServer = make_server("127.0.0.1", config.port, self.app, threaded=True)
        self.url = config.server_url
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        cleanup_app(self.app)


@pytest.fixture
def dev_stack() -> Iterator[tuple[LiveServer, DevIdentityProvider]]:
    config = load_config(None, port=free_port())
    idp = DevIdentityProvider(
        "127.0.0.1", free_port(), audience=config.audience, scopes=config.allowed_scopes
    )
    idp.start()
    config = config.with_identity_provider(
        issuer=idp.issuer, jwks_uri=idp.jwks_uri, token_url=idp.token_url
    )
    server = LiveServer(config)
    yield server, idp
    server.close()
    idp.stop()


def get_token(idp: DevIdentityProvider, scope: str) -> str:
    response = httpx.post(
        idp.token_url,
        auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET),
        data={"grant_type": "client_credentials", "scope": scope},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == scope
    return str(body["access_token"])


def test_dev_idp_walkthrough(dev_stack: tuple[LiveServer, DevIdentityProvider]) -> None:
    server, idp = dev_stack
    mcp = server.url + "/mcp"
    token = get_token(idp, "mcp:read")
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    weather = httpx.post(mcp, json=tool_call("get-weather", {"city": "Paris"}), headers=headers)
    assert weather.status_code == 200
    assert weather.json()["result"]["structuredContent"]["city"] == "Paris"
    forecast = httpx.post(mcp, json=tool_call("get-forecast", {"city": "Paris"}), headers=headers)
    assert forecast.status_code == 200
    alerts = httpx.post(
        mcp, json=tool_call("get-weather-alerts", {"region": "Paris"}), headers=headers
    )
    assert alerts.status_code == 403
    assert alerts.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{server.url}/.well-known/oauth-protected-resource/mcp", '
        'scope="mcp:read mcp:admin", error="insufficient_scope", '
        'error_description="This request needs the scope(s): mcp:admin"'
    )
    admin = get_token(idp, "mcp:read mcp:admin")
    alerts = httpx.post(
        mcp,
        json=tool_call("get-weather-alerts", {"region": "Paris"}),
        headers={**MCP_HEADERS, "Authorization": f"Bearer {admin}"},
    )
    assert alerts.status_code == 200
    health = httpx.get(server.url + "/health").json()
    assert set(health) == {"status", "timestamp"}  # the details are opt-in (health_details)
    assert health["status"] == "ok"
    metadata = httpx.get(server.url + "/.well-known/oauth-authorization-server").json()
    assert metadata == idp.metadata()


def test_dev_idp_refusals(dev_stack: tuple[LiveServer, DevIdentityProvider]) -> None:
    _, idp = dev_stack
    wrong = httpx.post(
        idp.token_url, auth=(DEV_CLIENT_ID, "nope"), data={"grant_type": "client_credentials"}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    scope = httpx.post(
        idp.token_url,
        auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET),
        data={"grant_type": "client_credentials", "scope": "root"},
    )
    assert (scope.status_code, scope.json()["error"]) == (400, "invalid_scope")
    grant = httpx.post(
        idp.token_url, auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET), data={"grant_type": "password"}
    )
    assert (grant.status_code, grant.json()["error"]) == (400, "unsupported_grant_type")


def test_oauth_helper_endpoints_reach_the_dev_idp(
    dev_stack: tuple[LiveServer, DevIdentityProvider],
) -> None:
    server, idp = dev_stack
    registered = httpx.post(
        server.url + "/oauth/register",
        json={"redirect_uris": ["http://127.0.0.1:4999/cb"], "token_endpoint_auth_method": "none"},
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]
    assert "client_secret" not in registered.json()
    query = f"response_type=code&client_id={client_id}&state=s"
    redirect = httpx.get(server.url + "/oauth/authorize?" + query)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == f"{idp.authorize_url}?{query}"
    # The resource's own copy of the IdP metadata advertises the interactive flow.
    metadata = httpx.get(server.url + "/.well-known/oauth-authorization-server").json()
    assert metadata["registration_endpoint"] == idp.registration_url
    assert metadata["code_challenge_methods_supported"] == ["S256"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])  # noqa: S104
def test_dev_idp_refuses_non_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="only listens on loopback"):
        DevIdentityProvider(host, 0, audience="x", scopes=())


def test_sse_tool_with_server_to_client_request(
    tmp_path: Path, idp: LoopbackIdp, mint: Minter
) -> None:
    port = free_port()
    config = load_config(write_config(tmp_path, idp), port=port)
    server = LiveServer(config, registry=build_registry())
    token = mint(aud=config.audience)
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}", "Mcp-Session-Id": "session-1"}
    call = tool_call("stream", {}, id_="c1")
    call["params"]["_meta"] = {"progressToken": "pt"}
    events: list[dict[str, Any]] = []
    try:
        with (
            httpx.Client(timeout=20) as client,
            client.stream("POST", server.url + "/mcp", json=call, headers=headers) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"] == "text/event-stream"
            assert response.headers["cache-control"] == "no-cache"
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                message = json.loads(line[6:])
                events.append(message)
                if message.get("method") == "sampling/createMessage":
                    answer = {
                        "jsonrpc": "2.0",
                        "id": message["id"],
                        "result": {
                            "role": "assistant",
                            "content": {"type": "text", "text": "42"},
                            "model": "m",
                        },
                    }
                    # an answer from another session is accepted (202) but wakes nothing
                    wrong = {
                        **answer,
                        "result": {
                            **answer["result"],
                            "content": {"type": "text", "text": "forged"},
                        },
                    }
                    other = {**headers, "Mcp-Session-Id": "session-2"}
                    assert (
                        httpx.post(server.url + "/mcp", json=wrong, headers=other).status_code
                        == 202
                    )
                    reply = httpx.post(server.url + "/mcp", json=answer, headers=headers)
                    assert reply.status_code == 202
    finally:
        server.close()
    assert events[0] == {
        "jsonrpc": "2.0",
        "method": "notifications/message",
        "params": {"level": "info", "data": {"step": 1}, "logger": "fixture"},
    }
    assert events[1] == {
        "jsonrpc": "2.0",
        "method": "notifications/progress",
        "params": {"progressToken": "pt", "progress": 1, "total": 2, "message": "half"},
    }
    assert events[2]["method"] == "sampling/createMessage"
    assert events[2]["id"].startswith("srv-")
    assert events[3] == {
        "jsonrpc": "2.0",
        "id": "c1",
        "result": {"content": [{"type": "text", "text": "answer=42"}]},
    }


def _start(
    args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def _wait_ready(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"server exited early ({process.returncode}):\n{output}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not become ready")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_cli_dev_idp_port_and_instructions(tmp_path: Path) -> None:
    port = free_port()
    config = Path(__file__).resolve().parents[1] / "server.config"
    process = _start(
        [
            sys.executable,
            "-m",
            "py_auth_mcp_server",
            str(config),
            "--dev-idp",
            "--port",
            str(port),
            "--dev-idp-port",
            str(free_port()),
        ]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        prm = httpx.get(base + "/.well-known/oauth-protected-resource").json()
        assert prm["resource"] == f"{base}/mcp"
        unauth = httpx.post(base + "/mcp", json=rpc("ping"), headers=MCP_HEADERS)
        assert unauth.status_code == 401
        assert (
            f'resource_metadata="{base}/.well-known/oauth-protected-resource/mcp"'
            in (unauth.headers["www-authenticate"])
        )
    finally:
        output = _stop(process)
    assert "DEVELOPMENT IdP (development only" in output
    assert f"curl -s {base}/mcp" in output
    for tool in ("get-weather", "get-forecast", "get-weather-alerts"):
        assert f'"name":"{tool}"' in output
    assert "AUTHENTICATION IS DISABLED" not in output


@pytest.mark.parametrize(
    "flags",
    [
        ["--dev-idp", "--host", "0.0.0.0"],  # noqa: S104
        ["--conformance", "--host", "0.0.0.0"],  # noqa: S104
    ],
)
def test_cli_refuses_non_loopback_dev_modes(flags: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "py_auth_mcp_server", *flags, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr


def test_cli_bad_config_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.config"
    path.write_text("port = 3001\ncolour = blue\n")
    result = subprocess.run(
        [sys.executable, "-m", "py_auth_mcp_server", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "line 2: unknown key 'colour'" in result.stderr


def test_cli_without_idp_refuses_to_start(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "py_auth_mcp_server", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "authentication is on but issuer and jwks_uri is not configured" in result.stderr


def test_gunicorn_with_several_workers(tmp_path: Path, idp: LoopbackIdp, mint: Minter) -> None:
    port = free_port()
    config_path = write_config(tmp_path, idp)
    gunicorn_major = int(metadata.version("gunicorn").split(".")[0])
    control = ["--no-control-socket"] if gunicorn_major >= 27 else []
    process = _start(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "3",
            "-b",
            f"127.0.0.1:{port}",
            *control,
            "py_auth_mcp_server.app:create_app()",
        ],
        env={"PY_AUTH_MCP_CONFIG": str(config_path), "PY_AUTH_MCP_PORT": str(port)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        token = mint("mcp:read", aud=f"{base}/mcp")
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=10) as client:
            for i in range(30):  # spread over the workers; each must accept the same token
                response = client.post(
                    base + "/mcp",
                    json=tool_call("get-forecast", {"city": "Oslo"}, id_=i),
                    headers=headers,
                )
                assert response.status_code == 200, response.text
                assert response.json()["id"] == i
            assert (
                client.post(base + "/mcp", json=rpc("ping"), headers=MCP_HEADERS).status_code == 401
            )
            # a chunked body over the limit: Werkzeug cuts it at the limit, silently; it used to
            # be answered as a parse error (400 -32700) instead of 413
            big = json.dumps(rpc("ping", {"pad": "x" * MAX_BODY_BYTES})).encode()
            chunked = client.post(
                base + "/mcp", content=iter([big[:65536], big[65536:]]), headers=headers
            )
            assert chunked.status_code == 413, chunked.text
            denied = client.post(
                base + "/mcp",
                json=tool_call("get-weather-alerts", {"region": "x"}),
                headers=headers,
            )
            assert denied.status_code == 403
    finally:
        output = _stop(process)
    assert "Booting worker" in output
    assert output.count("Booting worker") >= 3


def test_readme_walkthrough_works_as_printed() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    script = readme.split("### Walkthrough", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    port, idp_port = free_port(), free_port()
    script = script.replace("127.0.0.1:3001", f"127.0.0.1:{port}").replace(
        "127.0.0.1:3002", f"127.0.0.1:{idp_port}"
    )
    config = Path(__file__).resolve().parents[1] / "server.config"
    process = _start(
        [
            sys.executable,
            "-m",
            "py_auth_mcp_server",
            str(config),
            "--dev-idp",
            "--port",
            str(port),
            "--dev-idp-port",
            str(idp_port),
        ]
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        _stop(process)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count('"structuredContent":{"city":"Paris"') == 1
    assert "HTTP/1.1 403 FORBIDDEN" in out
    assert (
        f'WWW-Authenticate: Bearer resource_metadata="http://127.0.0.1:{port}/.well-known/'
        'oauth-protected-resource/mcp", scope="mcp:read mcp:admin", error="insufficient_scope"'
    ) in out
    assert out.count('"structuredContent":{"region":"Paris","alerts"') == 1
