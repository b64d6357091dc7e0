"""Run the real authorization server (`idp.mjs`, oidc-provider) and get tokens from it."""

from __future__ import annotations

import json
import select
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

from managed_process import ManagedProcess, ProcessStartError, start
from node_toolchain import E2E_DIR, NodeToolchain

IDP_SCRIPT = E2E_DIR / "idp.mjs"
IDP_START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class AuthorizationServer:
    """A running IdP and the per-run client it registered."""

    process: ManagedProcess
    issuer: str
    jwks_uri: str
    token_endpoint: str
    client_id: str
    client_secret: str = field(repr=False)  # per-run, but still never printed in test output
    #: With `opaque=True`: opaque access tokens, introspection and revocation, and the
    #: resource server's own client (for introspection).
    opaque: bool = False
    introspection_endpoint: str = ""
    revocation_endpoint: str = ""
    rs_client_id: str = ""
    rs_client_secret: str = field(default="", repr=False)

    def _basic(self) -> httpx.BasicAuth:
        # client_secret_basic: id and secret form-urlencoded, then Basic (RFC 6749 §2.3.1).
        return httpx.BasicAuth(quote(self.client_id, safe=""), quote(self.client_secret, safe=""))

    def revoke(self, token: str) -> None:
        """Revoke `token` at the IdP (RFC 7009), as the client it was issued to."""
        response = httpx.post(
            self.revocation_endpoint,
            data={"token": token, "token_type_hint": "access_token"},
            auth=self._basic(),
            timeout=10.0,
        )
        assert response.status_code == 200, f"revocation: HTTP {response.status_code}"

    def token(self, scope: str | None = None, resource: str | None = None) -> str:
        """A client_credentials access token for `scope` and `resource` (opaque or a JWT)."""
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        if resource is not None:
            form["resource"] = resource
        response = httpx.post(self.token_endpoint, data=form, auth=self._basic(), timeout=10.0)
        if response.status_code != 200:
            raise AssertionError(
                f"token request (scope={scope!r}, resource={resource!r}) failed: "
                f"HTTP {response.status_code} {response.text[:300]}"
            )
        body = response.json()
        assert body.get("token_type") == "Bearer", body.get("token_type")
        token = body["access_token"]
        assert isinstance(token, str), "expected a string access token"
        if self.opaque:
            assert token.count(".") != 2, "expected an opaque token, not a JWT"
        else:
            assert token.count(".") == 2, "expected a JWT (three dot-separated parts)"
        return token


@dataclass(frozen=True)
class Tokens:
    """Access tokens the IdP issued for one run."""

    no_scope: str = field(repr=False)
    read: str = field(repr=False)
    read_admin: str = field(repr=False)
    wrong_audience: str = field(repr=False)


def _read_ready_line(process: ManagedProcess, timeout_s: float) -> str:
    stdout = process.popen.stdout
    assert stdout is not None, "the IdP must be started with capture_stdout=True"
    deadline = time.monotonic() + timeout_s
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not process.alive():
            process.stop()
            raise ProcessStartError(
                f"idp.mjs did not report readiness within {timeout_s:.0f} s "
                f"(exit code {process.popen.returncode}); log tail:\n{process.log_tail()}"
            )
        ready, _, _ = select.select([stdout], [], [], min(remaining, 0.5))
        if ready:
            chunk = stdout.read1(4096)  # type: ignore[attr-defined]
            if not chunk:
                continue
            buffer += chunk
    return buffer.split(b"\n", 1)[0].decode("utf-8")


def start_authorization_server(
    toolchain: NodeToolchain,
    *,
    default_resource: str,
    log_dir: Path,
    token_ttl: int | None = None,
    opaque: bool = False,
) -> AuthorizationServer:
    """Start `idp.mjs` on a free loopback port; its tokens default to `default_resource`.

    `token_ttl`: the access tokens' lifetime in seconds (idp.mjs's default when None).
    """
    ttl = [] if token_ttl is None else ["--token-ttl", str(token_ttl)]
    if opaque:
        ttl.append("--opaque")
    process = start(
        "idp",
        [str(toolchain.node), str(IDP_SCRIPT), "--default-resource", default_resource, *ttl],
        cwd=E2E_DIR,
        log_dir=log_dir,
        capture_stdout=True,
    )
    info = json.loads(_read_ready_line(process, IDP_START_TIMEOUT_S))
    return AuthorizationServer(
        process=process,
        issuer=info["issuer"],
        jwks_uri=info["jwks_uri"],
        token_endpoint=info["token_endpoint"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        opaque=opaque,
        introspection_endpoint=info.get("introspection_endpoint", ""),
        revocation_endpoint=info.get("revocation_endpoint", ""),
        rs_client_id=info.get("rs_client_id", ""),
        rs_client_secret=info.get("rs_client_secret", ""),
    )
