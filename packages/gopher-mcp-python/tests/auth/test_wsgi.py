"""The WSGI middleware, called as WSGI (werkzeug's test client drives the real protocol)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

from werkzeug.test import Client

from gopher_mcp_python.auth import Authenticator, current_auth_context
from gopher_mcp_python.auth.wsgi import ENVIRON_KEY, AuthMiddleware, authorization_header
from jose_mint import SigningKey, mint

from .conftest import ISSUER, RESOURCE, claims


def inner_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    context = environ.get(ENVIRON_KEY)
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    payload = {
        "sub": context.subject if context else None,
        "current": current_auth_context() is context,
        "body": body.decode(),
    }
    data = json.dumps(payload).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


def test_protected_path(authenticator: Authenticator, rs_key: SigningKey) -> None:
    client = Client(AuthMiddleware(inner_app, authenticator))
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="w"))
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    response = client.post(
        "/mcp",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200
    assert response.get_json() == {"sub": "w", "current": True, "body": body}


def test_refusals(authenticator: Authenticator, rs_key: SigningKey) -> None:
    client = Client(AuthMiddleware(inner_app, authenticator))
    response = client.post("/mcp", data="{}")
    assert response.status_code == 401
    assert response.headers["Content-Length"] == str(len(response.data))
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "get-weather-alerts"},
    }
    response = client.post("/mcp", json=call, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "insufficient_scope"


def test_unprotected_path_passes_through(authenticator: Authenticator) -> None:
    client = Client(AuthMiddleware(inner_app, authenticator))
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json()["sub"] is None


def test_oversized_body(authenticator: Authenticator) -> None:
    client = Client(AuthMiddleware(inner_app, authenticator))
    assert client.post("/mcp", data=b"{" * 1_100_000).status_code == 413


class _CountingInput(io.BytesIO):
    """A request body stream that records how many bytes the middleware took from it."""

    taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data


def test_negative_content_length_reads_at_most_the_limit(authenticator: Authenticator) -> None:
    limit = authenticator.config.max_body_bytes
    stream = _CountingInput(b"[" * (3 * limit))
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mcp",
        "CONTENT_LENGTH": "-1",  # malformed: must not mean "read everything"
        "wsgi.input": stream,
    }
    statuses: list[str] = []
    AuthMiddleware(inner_app, authenticator)(environ, lambda s, h: statuses.append(s))
    assert statuses == ["413 Content Too Large"]
    assert stream.taken <= limit + 1


def test_authorization_header_reads_the_one_environ_value() -> None:
    assert authorization_header({"HTTP_AUTHORIZATION": "Bearer a.b.c", "HTTP_HOST": "x"}) == (
        ("Authorization", "Bearer a.b.c"),
    )
    assert authorization_header({"HTTP_HOST": "x"}) == ()


def test_repeated_headers_joined_by_the_server_are_400(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    """A WSGI server joins repeated ``Authorization`` headers with a comma: one malformed value."""
    token = mint(rs_key, claims(ISSUER, RESOURCE))
    client = Client(AuthMiddleware(inner_app, authenticator))
    for joined in (f"Bearer {token},Bearer {token}", f"Bearer {token}, Bearer {token}"):
        response = client.post("/mcp", data="{}", environ_overrides={"HTTP_AUTHORIZATION": joined})
        assert response.status_code == 400
        assert response.get_json()["error"] == "invalid_request"
