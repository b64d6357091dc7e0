"""Properties of the fail-closed adapters, in process, for generated paths and methods.

For any path and method: a request without a token never reaches protected code, and a request
that reaches protected code always carries the context of a verified token. The Flask app behind
``AuthMiddleware`` and the Starlette app behind ``ASGIAuthMiddleware`` are the ones the real
server tests run (``servers/adapter_apps.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import unquote

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from jose_mint import SigningKey, generate_key, jwks, mint

from .conftest import ISSUER, SERVER_URL, claims
from .servers import adapter_apps

SEGMENTS = st.sampled_from(
    [
        "",
        "mcp",
        "MCP",
        "%2f",
        "%2F",
        "%2e",
        ".",
        "..",
        "x",
        "health",
        ".well-known",
        "%20",
        "oauth-protected-resource",
        ";",
        "mcp;x",
        "%00",
        "~",
        "mcp%2fx",
    ]
)
PATHS = st.lists(SEGMENTS, min_size=1, max_size=6).map(lambda parts: "/" + "/".join(parts))
METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"])
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get-weather"}}
PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return generate_key("RS256", "prop-1")


@pytest.fixture(scope="module")
def env(key: SigningKey) -> Iterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setenv("GOPHER_TEST_JWKS", json.dumps(jwks(key)))
    patch.setenv("GOPHER_TEST_ISSUER", ISSUER)
    patch.setenv("GOPHER_TEST_SERVER_URL", SERVER_URL)
    yield
    patch.undo()


def _reached_unauthenticated(status: int, data: bytes) -> bool:
    try:
        body = json.loads(data)
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("ran")) and body.get("sub") is None


@pytest.fixture(scope="module")
def flask_client(env: None) -> Client:
    return Client(adapter_apps.flask_app())


@pytest.fixture(scope="module")
def asgi_app(env: None) -> object:
    return adapter_apps.starlette_app()


@PROPERTY
@given(path=PATHS, method=METHODS, with_token=st.booleans())
def test_wsgi_protected_code_runs_only_authenticated(
    flask_client: Client, key: SigningKey, path: str, method: str, with_token: bool
) -> None:
    headers = {"Content-Type": "application/json"}
    if with_token:
        token = mint(key, claims(ISSUER, SERVER_URL + "/mcp", sub="prop"))
        headers["Authorization"] = f"Bearer {token}"
    # PATH_INFO as a server hands it over (percent-decoded); set directly, since the test
    # client would read a path starting with "//" as a host name
    path_info = unquote(path, encoding="latin-1")
    response = flask_client.open(
        "/",
        method=method,
        data=json.dumps(CALL),
        headers=headers,
        environ_overrides={"PATH_INFO": path_info, "REQUEST_URI": path, "RAW_URI": path},
    )
    assert not _reached_unauthenticated(response.status_code, response.data), (method, path)
    if not with_token and response.status_code != 401:
        # only reads of the exact public paths skip authentication
        assert method in ("GET", "HEAD"), (method, path, response.status_code)


@PROPERTY
@given(path=PATHS, method=METHODS, with_token=st.booleans())
def test_asgi_protected_code_runs_only_authenticated(
    asgi_app: object, key: SigningKey, path: str, method: str, with_token: bool
) -> None:
    headers = {"Content-Type": "application/json"}
    if with_token:
        token = mint(key, claims(ISSUER, SERVER_URL + "/mcp", sub="prop"))
        headers["Authorization"] = f"Bearer {token}"

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=asgi_app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=SERVER_URL) as client:
            request = client.build_request(
                method, "http://127.0.0.1:3001", headers=headers, content=json.dumps(CALL)
            )
            request.url = request.url.copy_with(raw_path=path.encode())
            return await client.send(request)

    response = anyio.run(send)
    assert not _reached_unauthenticated(response.status_code, response.content), (method, path)
    if not with_token and response.status_code != 401:
        assert method in ("GET", "HEAD"), (method, path, response.status_code)
