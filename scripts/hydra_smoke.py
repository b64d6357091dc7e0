"""Manual check against a second real authorization server: Ory Hydra v2.3.0.

Not part of the test suite yet (building Hydra takes ~5 minutes on 2 cores). Build it from the
Go module proxy (see shared research notes: hydra's go.mod has a local ``replace`` that module
zips cannot satisfy, so it is dropped, and ``DSN=memory`` needs the ``sqlite`` tag)::

    DIR=$(go mod download -json github.com/ory/hydra/v2@v2.3.0 | python3 -c \\
        'import json,sys; print(json.load(sys.stdin)["Dir"])')
    cp -r "$DIR" /tmp/hydra-src && chmod -R u+w /tmp/hydra-src && cd /tmp/hydra-src
    go mod edit -dropreplace github.com/ory/hydra-client-go/v2
    CGO_ENABLED=1 go build -mod=mod -tags sqlite,sqlite_omit_load_extension -o /tmp/hydra .

Then, with gopher-mcp-python installed from this checkout: ``python scripts/hydra_smoke.py
/tmp/hydra``. It starts Hydra on loopback (JWT access-token strategy, in-memory store), creates
a client-credentials client, gets a token, and validates it through discovery
(``providers.oidc``) with the real engine: valid with ``mcp:read``, 403 for a tool needing
``mcp:admin``, 401 when the issuer is configured without Hydra's trailing slash.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from typing import Any

from gopher_mcp_python.auth import AuthContext, Authenticator, Challenge, ScopePolicy, providers

RESOURCE = "https://mcp.example.com/mcp"
ISSUER = "http://127.0.0.1:4444/"


def _call(tool: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool}}


def main(hydra: str) -> int:
    env = dict(
        os.environ,
        DSN="memory",
        SECRETS_SYSTEM="a-throwaway-system-secret-of-40-characters",
        URLS_SELF_ISSUER=ISSUER,
        STRATEGIES_ACCESS_TOKEN="jwt",
        SERVE_PUBLIC_HOST="127.0.0.1",
        SERVE_ADMIN_HOST="127.0.0.1",
    )
    server = subprocess.Popen(
        [hydra, "serve", "all", "--dev", "--sqa-opt-out"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(ISSUER + ".well-known/openid-configuration", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        created = subprocess.run(
            [hydra, "create", "oauth2-client", "--endpoint", "http://127.0.0.1:4445",
             "--grant-type", "client_credentials", "--scope", "mcp:read",
             "--audience", RESOURCE, "--format", "json"],
            capture_output=True, text=True, check=True, env=env,
        )  # fmt: skip
        client = json.loads(created.stdout)
        form = {"grant_type": "client_credentials", "scope": "mcp:read", "audience": RESOURCE}
        request = urllib.request.Request(ISSUER + "oauth2/token", data=urllib.parse.urlencode(form).encode())
        basic = f"{client['client_id']}:{client['client_secret']}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(basic).decode())
        with urllib.request.urlopen(request, timeout=5) as response:
            token = json.load(response)["access_token"]
        policy = ScopePolicy(tools={"read": ("mcp:read",), "admin": ("mcp:admin",)})
        config = providers.oidc(ISSUER, RESOURCE, server_url="https://mcp.example.com", scope_policy=policy)
        headers = {"Authorization": "Bearer " + token}
        with Authenticator(config) as auth:
            ok = auth.authenticate(headers, _call("read"))
            step_up = auth.authenticate(headers, _call("admin"))
        wrong = providers.oidc(ISSUER.rstrip("/"), RESOURCE, server_url="https://mcp.example.com")
        with Authenticator(wrong) as auth:
            no_slash = auth.authenticate(headers)
        checks = {
            "valid with mcp:read": isinstance(ok, AuthContext) and ok.scopes == ("mcp:read",),
            "403 for mcp:admin": isinstance(step_up, Challenge) and step_up.status == 403,
            "401 without the slash": isinstance(no_slash, Challenge) and no_slash.status == 401,
        }
        for name, passed in checks.items():
            print(("PASS " if passed else "FAIL ") + name)
        return 0 if all(checks.values()) else 1
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/hydra"))
