"""The WSGI middleware, called as WSGI (werkzeug's test client drives the real protocol)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from typing import Any

import pytest
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


def test_only_reads_of_exact_public_paths_pass_through(authenticator: Authenticator) -> None:
    client = Client(AuthMiddleware(inner_app, authenticator, public_paths=("/health",)))
    for path in ("/health", "/.well-known/oauth-protected-resource/mcp"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.get_json()["sub"] is None
    # everything else needs a token: other methods, other spellings, paths nobody declared
    assert client.post("/health").status_code == 401
    for path in ("/health/", "//health", "/other", "/", "/.well-known/x"):
        assert client.get(path).status_code == 401, path


def test_public_paths_must_be_paths(authenticator: Authenticator) -> None:
    with pytest.raises(ValueError, match="starting with '/'"):
        AuthMiddleware(inner_app, authenticator, public_paths=("health",))


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
        "wsgi.input_terminated": True,
    }
    statuses: list[str] = []
    AuthMiddleware(inner_app, authenticator)(environ, lambda s, h: statuses.append(s))
    assert statuses == ["413 Content Too Large"]
    assert stream.taken <= limit + 1


class _Socket(io.RawIOBase):
    """A connection's input: the request's bytes, then the next pipelined request's."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("read to the end of a connection's input: it would hang")
        chunk = self.data[self.taken : self.taken + size]
        self.taken += len(chunk)
        return chunk


def test_no_content_length_on_an_unterminated_input_is_an_empty_body(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    """PEP 3333: without CONTENT_LENGTH the body is read only when the server terminates it."""
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="p"))
    stream = _Socket(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")  # the pipelined next request
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mcp",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.input": stream,
    }
    statuses: list[str] = []
    body = AuthMiddleware(inner_app, authenticator)(environ, lambda s, h: statuses.append(s))
    assert statuses == ["200 OK"]
    assert json.loads(b"".join(body))["body"] == ""
    assert stream.taken == 0  # the next request is left for the server


def test_chunked_body_on_a_terminated_input_is_read(
    authenticator: Authenticator, rs_key: SigningKey
) -> None:
    token = mint(rs_key, claims(ISSUER, RESOURCE, sub="c"))
    call = b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-weather-alerts"}}'
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/mcp",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.input": io.BytesIO(call),
        "wsgi.input_terminated": True,
    }
    statuses: list[str] = []
    AuthMiddleware(inner_app, authenticator)(environ, lambda s, h: statuses.append(s))
    assert statuses == ["403 Forbidden"]  # the body was read: its tool needs mcp:admin


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
