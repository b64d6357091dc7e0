"""The development IdP over real loopback HTTP: authorization code + PKCE, consent, refresh
rotation, dynamic registration, client ID metadata documents and RFC 8707 resources."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from py_auth_mcp_server.dev_idp import DEV_CLIENT_ID, DEV_CLIENT_SECRET, DevIdentityProvider
from py_auth_mcp_server.dev_idp import clients as clients_module

RESOURCE = "http://127.0.0.1:3001/mcp"
SCOPES = ("openid", "mcp:read", "mcp:admin")
REDIRECT = "http://127.0.0.1:4711/callback"


@pytest.fixture
def idp() -> Iterator[DevIdentityProvider]:
    server = DevIdentityProvider("127.0.0.1", 0, audience=RESOURCE, scopes=SCOPES)
    server.start()
    yield server
    server.stop()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def register(idp: DevIdentityProvider, **metadata: Any) -> dict[str, Any]:
    body = {
        "client_name": "Test client",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none",
        **metadata,
    }
    response = httpx.post(idp.registration_url, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Person:
    """Plays the person at the browser: opens the authorize URL, reads and submits the form."""

    def __init__(self, idp: DevIdentityProvider) -> None:
        self.idp = idp
        self.browser = httpx.Client()
        self.page = ""

    def open(self, client_id: str, challenge: str, **overrides: str | None) -> httpx.Response:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "state": "st-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": "mcp:read",
            "resource": RESOURCE,
            **overrides,
        }
        sent = {k: v for k, v in params.items() if v is not None}
        response = self.browser.get(self.idp.authorize_url, params=sent)
        self.page = response.text
        return response

    def form(self) -> dict[str, str]:
        found = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', self.page))
        assert set(found) == {"request_id", "csrf_token"}, self.page
        return found

    def decide(self, decision: str, **overrides: str | None) -> httpx.Response:
        fields: dict[str, str | None] = {**self.form(), "decision": decision, **overrides}
        data = {k: v for k, v in fields.items() if v is not None}
        return self.browser.post(self.idp.authorize_url, data=data)

    def approve(self, client_id: str, challenge: str, **overrides: str | None) -> dict[str, str]:
        assert self.open(client_id, challenge, **overrides).status_code == 200, self.page
        answer = self.decide("approve")
        assert answer.status_code == 302, answer.text
        return query_of(answer.headers["location"])


def exchange(idp: DevIdentityProvider, **form: str) -> httpx.Response:
    return httpx.post(idp.token_url, data={"grant_type": "authorization_code", **form})


def refresh(idp: DevIdentityProvider, token: str, client_id: str) -> httpx.Response:
    return httpx.post(
        idp.token_url,
        data={"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id},
    )


def test_metadata_advertises_the_interactive_flow(idp: DevIdentityProvider) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        document = httpx.get(idp.issuer + path).json()
        assert document["issuer"] == idp.issuer
        assert document["authorization_endpoint"] == idp.issuer + "/authorize"
        assert document["registration_endpoint"] == idp.issuer + "/register"
        assert document["code_challenge_methods_supported"] == ["S256"]
        assert document["client_id_metadata_document_supported"] is True
        assert set(document["grant_types_supported"]) == {
            "authorization_code",
            "refresh_token",
            "client_credentials",
        }
        assert "none" in document["token_endpoint_auth_methods_supported"]


def test_json_endpoints_are_readable_by_browser_clients(idp: DevIdentityProvider) -> None:
    preflight = httpx.request(
        "OPTIONS",
        idp.token_url,
        headers={"Origin": "http://localhost:6274", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "Content-Type" in preflight.headers["access-control-allow-headers"]
    metadata = httpx.get(idp.issuer + "/.well-known/oauth-authorization-server")
    assert metadata.headers["access-control-allow-origin"] == "*"
    # The consent page is not shared with other origins.
    _, challenge = pkce()
    client = register(idp)
    page = Person(idp).open(client["client_id"], challenge)
    assert "access-control-allow-origin" not in page.headers


def test_public_client_code_flow_then_refresh_rotation(idp: DevIdentityProvider) -> None:
    client = register(idp)
    assert "client_secret" not in client
    verifier, challenge = pkce()
    person = Person(idp)
    answer = person.approve(client["client_id"], challenge)
    assert answer["state"] == "st-1"
    assert answer["iss"] == idp.issuer
    tokens = exchange(
        idp,
        code=answer["code"],
        redirect_uri=REDIRECT,
        client_id=client["client_id"],
        code_verifier=verifier,
        resource=RESOURCE,
    )
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["scope"] == "mcp:read"
    claims = claims_of(body["access_token"])
    assert claims["aud"] == RESOURCE
    assert claims["iss"] == idp.issuer
    assert claims["client_id"] == client["client_id"]
    assert claims["scope"] == "mcp:read"
    first = body["refresh_token"]

    refreshed = httpx.post(
        idp.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first,
            "client_id": client["client_id"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()["refresh_token"]
    assert second != first
    assert claims_of(refreshed.json()["access_token"])["aud"] == RESOURCE

    # The rotated-out token comes back (stolen copy): refused, and the family dies with it.
    reused = httpx.post(
        idp.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first,
            "client_id": client["client_id"],
        },
    )
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    after = httpx.post(
        idp.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": second,
            "client_id": client["client_id"],
        },
    )
    assert (after.status_code, after.json()["error"]) == (400, "invalid_grant")
    assert idp.issued == {"authorization_code": 1, "refresh_token": 1}


def test_confidential_client_must_authenticate(idp: DevIdentityProvider) -> None:
    client = register(idp, token_endpoint_auth_method="client_secret_basic")
    assert client["client_secret"]
    verifier, challenge = pkce()
    code = Person(idp).approve(client["client_id"], challenge)["code"]
    form = {"code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    anonymous = exchange(idp, client_id=client["client_id"], **form)
    assert (anonymous.status_code, anonymous.json()["error"]) == (401, "invalid_client")
    verifier2, challenge2 = pkce()
    code2 = Person(idp).approve(client["client_id"], challenge2)["code"]
    good = httpx.post(
        idp.token_url,
        auth=(client["client_id"], client["client_secret"]),
        data={
            "grant_type": "authorization_code",
            "code": code2,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier2,
        },
    )
    assert good.status_code == 200, good.text
    verifier3, challenge3 = pkce()
    code3 = Person(idp).approve(client["client_id"], challenge3)["code"]
    mixed = httpx.post(
        idp.token_url,
        auth=(client["client_id"], client["client_secret"]),
        data={
            "grant_type": "authorization_code",
            "client_id": "someone-else",
            "code": code3,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier3,
        },
    )
    assert (mixed.status_code, mixed.json()["error"]) == (401, "invalid_client")


def test_wrong_pkce_verifier_burns_the_code(idp: DevIdentityProvider) -> None:
    client = register(idp)
    verifier, challenge = pkce()
    code = Person(idp).approve(client["client_id"], challenge)["code"]
    wrong = exchange(
        idp,
        code=code,
        redirect_uri=REDIRECT,
        client_id=client["client_id"],
        code_verifier=pkce()[0],
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert "PKCE" in wrong.json()["error_description"]
    retry = exchange(
        idp, code=code, redirect_uri=REDIRECT, client_id=client["client_id"], code_verifier=verifier
    )
    assert (retry.status_code, retry.json()["error"]) == (400, "invalid_grant")


def test_reused_code_is_refused_and_revokes_its_tokens(idp: DevIdentityProvider) -> None:
    client = register(idp)
    verifier, challenge = pkce()
    code = Person(idp).approve(client["client_id"], challenge)["code"]
    form = {
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client["client_id"],
        "code_verifier": verifier,
    }
    first = exchange(idp, **form)
    assert first.status_code == 200
    again = exchange(idp, **form)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")
    assert "already used" in again.json()["error_description"]
    refresh = httpx.post(
        idp.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
            "client_id": client["client_id"],
        },
    )
    assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")


def test_codes_and_consent_requests_expire(idp: DevIdentityProvider) -> None:
    client = register(idp)
    verifier, challenge = pkce()
    code = Person(idp).approve(client["client_id"], challenge)["code"]
    idp.grants._codes.ttl = 0.0  # as if the code's 60 s had passed
    late = exchange(
        idp, code=code, redirect_uri=REDIRECT, client_id=client["client_id"], code_verifier=verifier
    )
    assert (late.status_code, late.json()["error"]) == (400, "invalid_grant")
    assert "expired" in late.json()["error_description"]
    person = Person(idp)
    assert person.open(client["client_id"], challenge).status_code == 200
    idp.grants._pending.ttl = 0.0  # the person took longer than 10 minutes to decide
    assert person.decide("approve").status_code == 400


def test_code_is_bound_to_client_and_redirect_uri(idp: DevIdentityProvider) -> None:
    client, other = register(idp), register(idp)
    verifier, challenge = pkce()
    code = Person(idp).approve(client["client_id"], challenge)["code"]
    stolen = exchange(
        idp, code=code, redirect_uri=REDIRECT, client_id=other["client_id"], code_verifier=verifier
    )
    assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
    verifier, challenge = pkce()
    code = Person(idp).approve(client["client_id"], challenge)["code"]
    moved = exchange(
        idp,
        code=code,
        redirect_uri="http://127.0.0.1:4711/elsewhere",
        client_id=client["client_id"],
        code_verifier=verifier,
    )
    assert (moved.status_code, moved.json()["error"]) == (400, "invalid_grant")


def test_foreign_redirect_uri_is_never_redirected_to(idp: DevIdentityProvider) -> None:
    client = register(idp, redirect_uris=[REDIRECT, "https://app.example/cb"])
    _, challenge = pkce()
    person = Person(idp)
    for foreign in (
        "https://evil.example/callback",
        "https://app.example/cb/../x",
        "https://app.example:8443/cb",
        "http://127.0.0.1:4711/other",
        "http://localhost:4711/callback",
    ):
        response = person.open(client["client_id"], challenge, redirect_uri=foreign)
        assert response.status_code == 400, foreign
        assert "location" not in response.headers
        assert "not registered" in response.text
    # RFC 8252 §7.3: a loopback redirect URI may come back on another port.
    moved = person.open(
        client["client_id"], challenge, redirect_uri="http://127.0.0.1:50123/callback"
    )
    assert moved.status_code == 200
    assert "127.0.0.1:50123" in moved.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"resource": None}, "invalid_target"),
        ({"resource": "http://127.0.0.1:3001/other"}, "invalid_target"),
        ({"scope": "mcp:read root"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_bad_authorization_requests_go_back_to_the_client(
    idp: DevIdentityProvider, overrides: dict[str, str | None], error: str
) -> None:
    client = register(idp)
    _, challenge = pkce()
    response = Person(idp).open(client["client_id"], challenge, **overrides)
    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT + "?")
    answer = query_of(response.headers["location"])
    assert answer["error"] == error
    assert answer["state"] == "st-1"
    assert "code" not in answer


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_consent_needs_the_csrf_token_bound_to_the_request(
    idp: DevIdentityProvider, token: str | None
) -> None:
    client = register(idp)
    _, challenge = pkce()
    person = Person(idp)
    assert person.open(client["client_id"], challenge).status_code == 200
    form = person.form()
    refused = person.decide("approve", csrf_token=token)
    assert refused.status_code == 400
    assert "location" not in refused.headers
    assert "CSRF" in refused.text
    # The request is spent: the right token no longer helps a second try.
    late = person.browser.post(idp.authorize_url, data={**form, "decision": "approve"})
    assert late.status_code == 400


def test_csrf_token_of_another_request_is_refused(idp: DevIdentityProvider) -> None:
    client = register(idp)
    _, challenge = pkce()
    first, second = Person(idp), Person(idp)
    first.open(client["client_id"], challenge)
    second.open(client["client_id"], challenge)
    mixed = first.decide("approve", csrf_token=second.form()["csrf_token"])
    assert mixed.status_code == 400


def test_deny_returns_access_denied(idp: DevIdentityProvider) -> None:
    client = register(idp)
    _, challenge = pkce()
    person = Person(idp)
    person.open(client["client_id"], challenge)
    denied = person.decide("deny")
    assert denied.status_code == 302
    answer = query_of(denied.headers["location"])
    assert (answer["error"], answer["state"]) == ("access_denied", "st-1")
    assert "code" not in answer


def test_consent_page_escapes_everything_and_runs_no_script(idp: DevIdentityProvider) -> None:
    name = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    client = register(idp, client_name=name)
    _, challenge = pkce()
    person = Person(idp)
    response = person.open(client["client_id"], challenge, state='"><script>x</script>')
    assert response.status_code == 200
    page = response.text
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img" in page
    assert "127.0.0.1:4711" in page
    assert "mcp:read" in page
    assert RESOURCE in page
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    # The state travels back untouched (URL-encoded), never into the page.
    approved = person.decide("approve")
    assert query_of(approved.headers["location"])["state"] == '"><script>x</script>'


def test_native_app_private_use_scheme(idp: DevIdentityProvider) -> None:
    app_redirect = "cursor://anysphere.cursor-retrieval/oauth/callback"
    client = register(idp, redirect_uris=[app_redirect])
    _, challenge = pkce()
    person = Person(idp)
    page = person.open(client["client_id"], challenge, redirect_uri=app_redirect)
    assert page.status_code == 200
    assert "cursor://anysphere.cursor-retrieval" in page.text
    approved = person.decide("approve")
    assert approved.headers["location"].startswith(app_redirect + "?code=")


@pytest.mark.parametrize(
    "metadata",
    [
        {"redirect_uris": ["javascript:alert(1)//"]},
        {"redirect_uris": ["data:text/html,hi"]},
        {"redirect_uris": ["file:///etc/passwd"]},
        {"redirect_uris": ["http://app.example/cb"]},  # plain http off loopback
        {"redirect_uris": ["https://app.example/cb#frag"]},
        {"redirect_uris": []},
        {"redirect_uris": "https://app.example/cb"},
        {"redirect_uris": [REDIRECT], "grant_types": ["password"]},
        {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"},
        {"redirect_uris": [REDIRECT], "client_name": "x" * 201},
        [REDIRECT],
    ],
)
def test_registration_refuses_bad_metadata(idp: DevIdentityProvider, metadata: Any) -> None:
    response = httpx.post(idp.registration_url, json=metadata)
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri")


def test_registered_clients_are_bounded(
    idp: DevIdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clients_module, "MAX_REGISTERED_CLIENTS", 2)
    register(idp)
    register(idp)
    full = httpx.post(idp.registration_url, json={"redirect_uris": [REDIRECT]})
    assert (full.status_code, full.json()["error"]) == (503, "temporarily_unavailable")


def test_connections_are_bounded(idp: DevIdentityProvider) -> None:
    idp._server.max_connections = 2
    host, port = "127.0.0.1", int(idp.issuer.rsplit(":", 1)[1])
    idle = [socket.create_connection((host, port)) for _ in range(2)]
    try:
        # Both slots are held by silent connections: the next one is told to come back.
        refused = httpx.get(idp.jwks_uri)
        assert refused.status_code == 503
        assert refused.json()["error"] == "temporarily_unavailable"
    finally:
        for sock in idle:
            sock.close()
    for _ in range(200):  # the freed slots come back once their threads notice the close
        if httpx.get(idp.jwks_uri).status_code == 200:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("slots were not released")


def test_client_credentials_walkthrough_still_works(idp: DevIdentityProvider) -> None:
    response = httpx.post(
        idp.token_url,
        auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET),
        data={"grant_type": "client_credentials", "scope": "mcp:read"},
    )
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["aud"] == RESOURCE
    assert "refresh_token" not in response.json()
    # The demo client has no redirect URI: it cannot start an interactive flow.
    _, challenge = pkce()
    assert Person(idp).open(DEV_CLIENT_ID, challenge).status_code == 400


# ---------------------------------------------------------------- client ID metadata documents


class DocumentServer:
    """Serves client metadata documents on loopback; ``documents`` maps path → (status, body)."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, bytes, str]] = {}
        self.trickle: set[str] = set()
        self.sent: dict[str, int] = {}
        self.stop = threading.Event()
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, kind = served.documents.get(self.path, (404, b"", "text/plain"))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                if status in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in served.trickle:  # one byte at a time, each well within a recv
                    for byte in body:
                        if served.stop.wait(0.05):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:  # the IdP gave up: that is the point
                            return
                        served.sent[self.path] = served.sent.get(self.path, 0) + 1
                    return
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, path: str, document: Any, status: int = 200) -> str:
        url = self.base + path
        body = json.dumps(document).encode() if not isinstance(document, bytes) else document
        self.documents[path] = (status, body, "application/json")
        return url


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    server = DocumentServer()
    yield server
    server.stop.set()
    server.server.shutdown()
    server.server.server_close()


def test_client_id_metadata_document_flow(
    idp: DevIdentityProvider, documents: DocumentServer
) -> None:
    url = documents.base + "/clients/cli.json"
    documents.publish(
        "/clients/cli.json",
        {
            "client_id": url,
            "client_name": "Metadata Document Client",
            "redirect_uris": [REDIRECT],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        },
    )
    verifier, challenge = pkce()
    person = Person(idp)
    assert person.open(url, challenge).status_code == 200
    assert "Metadata Document Client" in person.page
    code = query_of(person.decide("approve").headers["location"])["code"]
    tokens = exchange(idp, code=code, redirect_uri=REDIRECT, client_id=url, code_verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    assert claims_of(tokens.json()["access_token"])["client_id"] == url
    # The document's redirect_uris are enforced.
    foreign = person.open(url, challenge, redirect_uri="https://evil.example/cb")
    assert foreign.status_code == 400


@pytest.mark.parametrize(
    ("document", "status"),
    [
        ({"client_id": "SELF-OTHER", "redirect_uris": [REDIRECT]}, 200),  # names another URL
        ({"client_id": "SELF"}, 200),  # no redirect_uris
        ({"client_id": "SELF", "redirect_uris": [REDIRECT], "client_secret": "x"}, 200),
        (
            {"client_id": "SELF", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "x"},
            200,
        ),
        (b"{" + b" " * 40_000 + b"}", 200),  # over the size bound
        (b"not json", 200),
        ({"client_id": "SELF", "redirect_uris": [REDIRECT]}, 302),  # redirects are not followed
        ({"client_id": "SELF", "redirect_uris": [REDIRECT]}, 500),
    ],
)
def test_bad_client_metadata_documents_are_refused(
    idp: DevIdentityProvider, documents: DocumentServer, document: Any, status: int
) -> None:
    url = documents.base + "/c/doc.json"
    if isinstance(document, dict):
        document = {
            k: (url + v[4:] if isinstance(v, str) and v.startswith("SELF") else v)
            for k, v in document.items()
        }
    documents.publish("/c/doc.json", document, status)
    _, challenge = pkce()
    response = Person(idp).open(url, challenge)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Unknown or invalid client" in response.text


def test_a_trickling_metadata_document_is_cut_off(
    idp: DevIdentityProvider, documents: DocumentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every byte comes long before a socket timeout, but the whole exceeds the time bound.
    monkeypatch.setattr(clients_module, "METADATA_FETCH_SECONDS", 1.0)
    url = documents.base + "/slow/doc.json"
    document = {"client_id": url, "redirect_uris": [REDIRECT], "client_name": "x" * 150}
    documents.publish("/slow/doc.json", document)
    documents.trickle.add("/slow/doc.json")
    _, challenge = pkce()
    response = Person(idp).open(url, challenge)
    assert response.status_code == 400
    assert "too slow" in response.text
    # It stopped reading part-way instead of waiting for the whole trickle.
    documents.stop.set()
    assert documents.sent["/slow/doc.json"] < len(json.dumps(document))


@pytest.mark.parametrize(
    "client_id",
    [
        "http://example.com/client.json",  # plain http off loopback
        "https://127.0.0.1/",  # no path
        "https://user:pw@example.com/c.json",
        "ftp://127.0.0.1/c.json",
    ],
)
def test_client_id_urls_that_are_not_metadata_documents(
    idp: DevIdentityProvider, client_id: str
) -> None:
    _, challenge = pkce()
    response = Person(idp).open(client_id, challenge)
    assert response.status_code == 400
    assert "unknown client" in response.text
