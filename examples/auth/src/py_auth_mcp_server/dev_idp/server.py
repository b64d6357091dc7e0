"""The development IdP's HTTP server: discovery, JWKS, authorize + consent, token, register."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from .clients import DEV_CLIENT_ID, Client, ClientError, ClientRegistry, redirect_uri_allowed
from .consent import PAGE_HEADERS, consent_page, error_page
from .grants import (
    AuthorizationRequest,
    CodeGrant,
    GrantError,
    GrantStore,
    is_challenge,
    verifier_matches,
)
from .signer import JwtSigner, require_loopback

__all__ = ["DEV_USER", "DevIdentityProvider"]

TOKEN_LIFETIME = 300
MAX_FORM_BYTES = 65_536
MAX_QUERY_BYTES = 8192
MAX_PARAM_LENGTH = 2048
#: The person who "signs in" at the consent page: the dev IdP has no accounts.
DEV_USER = "dev-user"

MAX_CONNECTIONS = 64
#: Seconds a connection may stay silent before it is dropped (no slot held by an idle socket).
SOCKET_TIMEOUT = 10.0

Response = tuple[int, tuple[tuple[str, str], ...], bytes]

_BUSY = (
    b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
    b"Connection: close\r\n\r\n"
    b'{"error":"temporarily_unavailable","error_description":"too many connections"}'
)


class _BoundedServer(ThreadingHTTPServer):
    """A threading server with at most ``max_connections`` connections served at once."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.max_connections = MAX_CONNECTIONS
        self._active = 0
        self._active_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        with self._active_lock:
            busy = self._active >= self.max_connections
            if not busy:
                self._active += 1
        if busy:
            with contextlib.suppress(OSError):
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:  # noqa: ANN401
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._active_lock:
                self._active -= 1


class _RefusalError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


#: Browser-based clients (MCP Inspector) call the JSON endpoints from their own origin. They
#: carry no cookies and no ambient authority, so any origin may read them (the HTML consent
#: pages are never shared this way).
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version"),
    ("Access-Control-Max-Age", "600"),
)


def _json(status: int, payload: dict[str, Any]) -> Response:
    headers = (
        ("Content-Type", "application/json"),
        ("Cache-Control", "no-store"),
        ("Pragma", "no-cache"),
        *CORS_HEADERS,
    )
    return status, headers, json.dumps(payload).encode("utf-8")


def _html(status: int, page: str) -> Response:
    return status, PAGE_HEADERS, page.encode("utf-8")


def _single(params: dict[str, list[str]], name: str) -> str | None:
    """A parameter that may appear at most once (RFC 6749 §3.1); absent → None."""
    values = params.get(name)
    if values is None:
        return None
    if len(values) != 1 or len(values[0]) > MAX_PARAM_LENGTH:
        raise _RefusalError(400, "invalid_request", f"{name} must be given once and be short")
    return values[0]


class DevIdentityProvider:
    """The development IdP; ``start()`` serves it in a background thread.

    Args:
        host: a loopback address (anything else is refused).
        port: the port (0 picks a free one).
        audience: the one protected resource it issues tokens for (RFC 8707 ``resource``).
        scopes: the scopes it may grant.
        access_token_lifetime: seconds an access token lives (short for refresh tests).

    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        audience: str,
        scopes: tuple[str, ...],
        access_token_lifetime: int = TOKEN_LIFETIME,
    ) -> None:
        require_loopback(host)
        if not 1 <= access_token_lifetime <= 86_400:
            raise ValueError("access_token_lifetime must be 1..86400 seconds")
        self.audience = audience
        self.scopes = scopes
        self.access_token_lifetime = access_token_lifetime
        self.signer = JwtSigner("RS256")
        self.clients = ClientRegistry()
        self.grants = GrantStore()
        #: how many tokens each grant type issued (tests watch refreshes happen)
        self.issued: dict[str, int] = {}
        self._issued_lock = threading.Lock()
        self._server = _BoundedServer((host, port), self._handler_class())
        bound_port = self._server.server_address[1]
        self.issuer = f"http://{'[' + host + ']' if ':' in host else host}:{bound_port}"
        self._thread: threading.Thread | None = None

    @property
    def jwks_uri(self) -> str:
        """The JWKS URL."""
        return self.issuer + "/jwks"

    @property
    def token_url(self) -> str:
        """The token endpoint URL."""
        return self.issuer + "/token"

    @property
    def authorize_url(self) -> str:
        """The authorization endpoint URL."""
        return self.issuer + "/authorize"

    @property
    def registration_url(self) -> str:
        """The dynamic client registration endpoint URL (RFC 7591)."""
        return self.issuer + "/register"

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 metadata of this IdP."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorize_url,
            "token_endpoint": self.token_url,
            "registration_endpoint": self.registration_url,
            "jwks_uri": self.jwks_uri,
            "scopes_supported": list(self.scopes),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_basic",
                "client_secret_post",
            ],
            "code_challenge_methods_supported": ["S256"],
            "client_id_metadata_document_supported": True,
            "authorization_response_iss_parameter_supported": True,
        }

    def issue(
        self, client_id: str, scopes: tuple[str, ...], *, subject: str = "", resource: str = ""
    ) -> dict[str, Any]:
        """A token response for ``client_id`` granting ``scopes`` for ``resource``."""
        now = int(time.time())
        lifetime = self.access_token_lifetime
        claims = {
            "iss": self.issuer,
            "sub": subject or client_id,
            "aud": resource or self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_hex(8),
            "client_id": client_id,
            "scope": " ".join(scopes),
        }
        return {
            "access_token": self.signer.sign(claims),
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": " ".join(scopes),
        }

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="dev-idp",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ helpers
    def _count(self, grant_type: str) -> None:
        with self._issued_lock:
            self.issued[grant_type] = self.issued.get(grant_type, 0) + 1

    def _scopes(self, raw: str | None) -> tuple[str, ...]:
        requested = tuple(dict.fromkeys((raw or "").split()))
        unknown = [s for s in requested if s not in self.scopes]
        if unknown:
            shown = " ".join(unknown)[:200]
            raise _RefusalError(400, "invalid_scope", f"unknown scope(s): {shown}")
        return requested

    def _resource(self, raw: str | None, *, required: bool) -> str:
        if raw is None:
            if required:
                raise _RefusalError(
                    400,
                    "invalid_target",
                    "the resource parameter (RFC 8707) is required: the MCP server's URL",
                )
            return self.audience
        if raw != self.audience:
            raise _RefusalError(400, "invalid_target", f"the only resource is {self.audience}")
        return raw

    # ------------------------------------------------------------------ /authorize
    def authorize(self, query: str) -> Response:
        """GET /authorize: validate the request, then show the consent page."""
        if len(query) > MAX_QUERY_BYTES:
            return _html(400, error_page("The authorization request is too long."))
        params = parse_qs(query, keep_blank_values=True)
        try:
            client_id = _single(params, "client_id")
            redirect_uri = _single(params, "redirect_uri")
        except _RefusalError as refusal:
            return _html(400, error_page(refusal.description))
        if not client_id:
            return _html(400, error_page("The request names no client (client_id)."))
        try:
            client = self.clients.get(client_id)
        except ClientError as exc:
            return _html(400, error_page(f"Unknown or invalid client: {exc.description}"))
        if "authorization_code" not in client.grant_types:
            return _html(400, error_page("This client may not use the authorization code flow."))
        if redirect_uri is None or not redirect_uri_allowed(redirect_uri, client.redirect_uris):
            # Never redirect to an unregistered URI (RFC 6749 §4.1.2.1): tell the person instead.
            return _html(400, error_page("The redirect URI is not registered for this client."))
        state: str | None = None
        try:
            state = _single(params, "state")
            request = self._authorization_request(params, client, redirect_uri, state)
        except _RefusalError as refusal:
            return self._redirect(
                redirect_uri, state, error=refusal.error, desc=refusal.description
            )
        request_id = self.grants.add_request(request)
        return _html(200, consent_page(request, request_id, DEV_USER))

    def _authorization_request(
        self, params: dict[str, list[str]], client: Client, redirect_uri: str, state: str | None
    ) -> AuthorizationRequest:
        if _single(params, "response_type") != "code":
            raise _RefusalError(400, "unsupported_response_type", "only response_type=code")
        challenge = _single(params, "code_challenge")
        method = _single(params, "code_challenge_method")
        if not challenge:
            raise _RefusalError(400, "invalid_request", "PKCE required: send code_challenge")
        if method != "S256":
            raise _RefusalError(400, "invalid_request", "code_challenge_method must be S256")
        if not is_challenge(challenge):
            raise _RefusalError(400, "invalid_request", "code_challenge is not an S256 challenge")
        resource = self._resource(_single(params, "resource"), required=True)
        scopes = self._scopes(_single(params, "scope"))
        return AuthorizationRequest(
            client_id=client.client_id,
            client_name=client.client_name,
            redirect_uri=redirect_uri,
            state=state,
            code_challenge=challenge,
            scopes=scopes,
            resource=resource,
        )

    def _redirect(self, redirect_uri: str, state: str | None, **values: str) -> Response:
        params = {("error_description" if k == "desc" else k): v for k, v in values.items()}
        if state is not None:
            params["state"] = state
        params["iss"] = self.issuer  # RFC 9207
        separator = "&" if urlsplit(redirect_uri).query else "?"
        location = redirect_uri + separator + urlencode(params, quote_via=quote)
        headers = (("Location", location), ("Cache-Control", "no-store"))
        return 302, headers, b""

    def consent(self, form: dict[str, list[str]]) -> Response:
        """POST /authorize: the consent form came back (Approve or Deny)."""
        try:
            request_id = _single(form, "request_id") or ""
            csrf_token = _single(form, "csrf_token") or ""
            decision = _single(form, "decision")
            request = self.grants.take_request(request_id, csrf_token)
        except (_RefusalError, GrantError) as exc:
            return _html(400, error_page(str(exc)))
        if decision != "approve":
            return self._redirect(
                request.redirect_uri,
                request.state,
                error="access_denied",
                desc="the user denied the request",
            )
        code = self.grants.issue_code(
            CodeGrant(
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                code_challenge=request.code_challenge,
                scopes=request.scopes,
                resource=request.resource,
                subject=DEV_USER,
            )
        )
        return self._redirect(request.redirect_uri, request.state, code=code)

    # ------------------------------------------------------------------ /token
    def token(self, form: dict[str, list[str]], authorization: str | None) -> Response:
        """POST /token: client_credentials, authorization_code, refresh_token."""
        try:
            client_id, secret = _client_credentials(form, authorization)
            client = self.clients.authenticate(client_id, secret)
            grant_type = _single(form, "grant_type")
            if grant_type == "client_credentials" and client.client_id == DEV_CLIENT_ID:
                resource = self._resource(_single(form, "resource"), required=False)
                scopes = self._scopes(_single(form, "scope"))
                self._count("client_credentials")
                return _json(200, self.issue(client.client_id, scopes, resource=resource))
            if grant_type not in client.grant_types or grant_type not in (
                "authorization_code",
                "refresh_token",
            ):
                raise _RefusalError(
                    400,
                    "unsupported_grant_type",
                    f"grant_type must be one of: {', '.join(sorted(client.grant_types))}",
                )
            if grant_type == "authorization_code":
                return _json(200, self._code_grant(form, client))
            return _json(200, self._refresh_grant(form, client))
        except ClientError as exc:
            status = 401 if exc.error == "invalid_client" else 400
            return _json(status, {"error": exc.error, "error_description": exc.description})
        except GrantError as exc:
            return _json(400, {"error": exc.error, "error_description": exc.description})
        except _RefusalError as refusal:
            return _json(
                refusal.status, {"error": refusal.error, "error_description": refusal.description}
            )

    def _code_grant(self, form: dict[str, list[str]], client: Client) -> dict[str, Any]:
        code = _single(form, "code")
        if not code:
            raise _RefusalError(400, "invalid_request", "code is required")
        grant = self.grants.redeem_code(code)  # consumed now, whatever happens next
        if grant.client_id != client.client_id:
            raise GrantError("invalid_grant", "the code was issued to another client")
        if _single(form, "redirect_uri") != grant.redirect_uri:
            raise GrantError("invalid_grant", "redirect_uri differs from the authorization request")
        if not verifier_matches(_single(form, "code_verifier") or "", grant.code_challenge):
            raise GrantError("invalid_grant", "PKCE verification failed")
        resource = _single(form, "resource")
        if resource is not None and resource != grant.resource:
            raise _RefusalError(400, "invalid_target", "resource differs from the authorization")
        answer = self.issue(
            client.client_id, grant.scopes, subject=grant.subject, resource=grant.resource
        )
        if "refresh_token" in client.grant_types:
            answer["refresh_token"] = self.grants.start_family(grant)
        self._count("authorization_code")
        return answer

    def _refresh_grant(self, form: dict[str, list[str]], client: Client) -> dict[str, Any]:
        token = _single(form, "refresh_token")
        if not token:
            raise _RefusalError(400, "invalid_request", "refresh_token is required")
        family, new_token = self.grants.rotate(token, client.client_id)
        resource = _single(form, "resource")
        if resource is not None and resource != family.resource:
            raise _RefusalError(400, "invalid_target", "resource differs from the original grant")
        scopes = family.scopes
        asked = _single(form, "scope")
        if asked is not None:
            narrowed = self._scopes(asked)
            if not set(narrowed) <= set(family.scopes):
                raise _RefusalError(400, "invalid_scope", "cannot widen the scopes")
            scopes = narrowed
        answer = self.issue(
            client.client_id, scopes, subject=family.subject, resource=family.resource
        )
        answer["refresh_token"] = new_token
        self._count("refresh_token")
        return answer

    # ------------------------------------------------------------------ /register
    def register(self, body: bytes, content_type: str) -> Response:
        """POST /register: RFC 7591 dynamic client registration."""
        if content_type.split(";")[0].strip().lower() != "application/json":
            return _json(
                400, {"error": "invalid_client_metadata", "error_description": "send JSON"}
            )
        try:
            metadata = json.loads(body)
        except ValueError:
            return _json(
                400, {"error": "invalid_client_metadata", "error_description": "malformed JSON"}
            )
        try:
            _, response = self.clients.register(metadata)
        except ClientError as exc:
            status = 503 if exc.error == "temporarily_unavailable" else 400
            return _json(status, {"error": exc.error, "error_description": exc.description})
        return _json(201, response)

    # ------------------------------------------------------------------ HTTP
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "gopher-dev-idp"
            protocol_version = "HTTP/1.0"
            timeout = SOCKET_TIMEOUT

            def _send(self, response: Response) -> None:
                status, headers, body = response
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                if path == "/jwks":
                    self._send(_json(200, {"keys": [idp.signer.public_jwk()]}))
                elif path in (
                    "/.well-known/openid-configuration",
                    "/.well-known/oauth-authorization-server",
                ):
                    self._send(_json(200, idp.metadata()))
                elif path == "/authorize":
                    self._send(idp.authorize(query))
                else:
                    self._send(_json(404, {"error": "not_found"}))

            def do_OPTIONS(self) -> None:
                path = self.path.partition("?")[0]
                if path in ("/token", "/register", "/jwks") or path.startswith("/.well-known/"):
                    self._send((204, CORS_HEADERS, b""))
                else:
                    self._send(_json(404, {"error": "not_found"}))

            def _body(self) -> bytes | None:
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 <= length <= MAX_FORM_BYTES:
                    return None
                return self.rfile.read(length)

            def do_POST(self) -> None:
                path = self.path.partition("?")[0]
                if path not in ("/token", "/authorize", "/register"):
                    self._send(_json(404, {"error": "not_found"}))
                    return
                body = self._body()
                if body is None:
                    self._send(
                        _json(
                            400,
                            {"error": "invalid_request", "error_description": "bad Content-Length"},
                        )
                    )
                    return
                if path == "/register":
                    self._send(idp.register(body, self.headers.get("Content-Type", "")))
                    return
                form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
                if path == "/authorize":
                    self._send(idp.consent(form))
                else:
                    self._send(idp.token(form, self.headers.get("Authorization")))

            def log_message(self, format: str, *args: object) -> None:
                pass  # request lines carry codes and state: never logged

        return Handler


def _client_credentials(
    form: dict[str, list[str]], authorization: str | None
) -> tuple[str, str | None]:
    """``(client_id, secret or None)`` from HTTP Basic or the form (RFC 6749 §2.3.1)."""
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except ValueError:
            raise ClientError("invalid_client", "malformed Basic credentials") from None
        basic_id, sep, basic_secret = decoded.partition(":")
        if not sep:
            raise ClientError("invalid_client", "malformed Basic credentials")
        form_ids = form.get("client_id", [])
        if form_ids and form_ids != [unquote(basic_id)]:
            raise ClientError("invalid_client", "client_id differs from the Basic credentials")
        return unquote(basic_id), unquote(basic_secret)
    try:
        client_id = _single(form, "client_id") or ""
        secret = _single(form, "client_secret")
    except _RefusalError:
        raise ClientError("invalid_client", "client_id given more than once") from None
    if not client_id:
        raise ClientError("invalid_client", "no client authentication")
    return client_id, secret
