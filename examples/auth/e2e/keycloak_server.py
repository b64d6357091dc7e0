"""Keycloak, the second real authorization server of the e2e tests: provisioned, started, set up.

Keycloak's server distribution is a Maven Central artifact (`org.keycloak:keycloak-quarkus-dist`,
a zip). `ensure_keycloak()` fetches the pinned version with Maven (`mvn dependency:copy`),
checks its SHA-256 and unpacks it under `.keycloak/` (git-ignored; a stamp makes it a cache), all
under a file lock. `start_keycloak()` runs it in development mode on free loopback ports with an
in-memory database and a per-run bootstrap administrator, then creates the realm of the tests
through the admin REST API: client scopes `mcp:read` and `mcp:admin`, a confidential client whose
tokens carry the MCP resource in `aud` (the *Audience* mapper docs/identity-providers.md asks
for), the same client without that mapper, and a user for the password grant (user tokens, ID
tokens, refresh tokens). Keycloak needs Java 21 or newer; one is looked for in `JAVA_HOME`, on
`PATH` and under `/usr/lib/jvm`.

Command line: `python keycloak_server.py` provisions and prints the distribution's path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from managed_process import ManagedProcess, free_port, start, wait_for_http

E2E_DIR = Path(__file__).resolve().parent
KEYCLOAK_VERSION = "26.7.3"
KEYCLOAK_ARTIFACT = f"org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip"
#: SHA-256 of keycloak-quarkus-dist-26.7.3.zip as Maven Central serves it.
KEYCLOAK_SHA256 = "27a6535553c3cdcd083872ba40629efafb3475e3b758e0c6f691395561dd0f1f"
CACHE_DIR = E2E_DIR / ".keycloak"
HOME = CACHE_DIR / f"keycloak-{KEYCLOAK_VERSION}"
STAMP = HOME / ".e2e-sha256"
INSTALL_LOCK = E2E_DIR / ".keycloak-install.lock"
MIN_JAVA_MAJOR = 21
MAVEN_TIMEOUT_S = 600
START_TIMEOUT_S = 180.0

REALM = "mcp"
SCOPES = ("mcp:read", "mcp:admin")
USER = "alice"


class KeycloakError(RuntimeError):
    """Keycloak cannot be provisioned or set up; the message says what to do."""


def _java_major(java: Path) -> int:
    """The feature version of the `java` binary (0 when it cannot say)."""
    try:
        result = subprocess.run(
            [str(java), "-XshowSettings:properties", "-version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return 0
    match = re.search(r"java\.specification\.version = (\d+)", result.stderr)
    return int(match.group(1)) if match else 0


def find_java_home() -> Path:
    """A Java >= 21 installation: `JAVA_HOME`, the `java` on `PATH`, then `/usr/lib/jvm/*`."""
    candidates: list[Path] = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(Path(on_path).resolve().parent.parent)
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        candidates.extend(sorted(jvm.iterdir(), reverse=True))
    tried = []
    for home in candidates:
        java = home / "bin" / "java"
        if java.is_file():
            major = _java_major(java)
            if major >= MIN_JAVA_MAJOR:
                return home
            tried.append(f"{home} (Java {major or '?'})")
    raise KeycloakError(
        f"Keycloak {KEYCLOAK_VERSION} needs Java >= {MIN_JAVA_MAJOR}; found "
        f"{', '.join(tried) or 'no Java'}. Install one (e.g. apt-get install "
        "openjdk-21-jre-headless) or point JAVA_HOME at it."
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(target_dir: Path) -> Path:
    """The distribution zip, fetched by Maven into `target_dir`."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KeycloakError(
            "Maven (mvn) is needed to fetch Keycloak's distribution from Maven Central: "
            "apt-get install maven"
        )
    command = [
        mvn,
        "-q",
        "-B",
        "dependency:copy",
        f"-Dartifact={KEYCLOAK_ARTIFACT}",
        f"-DoutputDirectory={target_dir}",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S, check=False
    )
    archive = target_dir / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"
    if result.returncode != 0 or not archive.is_file():
        raise KeycloakError(
            f"mvn dependency:copy {KEYCLOAK_ARTIFACT} failed ({result.returncode}):\n"
            f"{(result.stdout + result.stderr)[-2000:]}"
        )
    return archive


def ensure_keycloak() -> Path:
    """The unpacked, checksum-verified distribution (`HOME`), provisioned once and cached."""
    CACHE_DIR.mkdir(exist_ok=True)
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if STAMP.is_file() and STAMP.read_text().strip() == KEYCLOAK_SHA256:
            return HOME
        with tempfile.TemporaryDirectory(dir=CACHE_DIR) as scratch:
            archive = _download(Path(scratch))
            actual = _sha256(archive)
            if actual != KEYCLOAK_SHA256:
                raise KeycloakError(
                    f"{archive.name}: SHA-256 {actual}, expected {KEYCLOAK_SHA256}; refusing it"
                )
            shutil.rmtree(HOME, ignore_errors=True)
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(CACHE_DIR)
        for script in (HOME / "bin").glob("*.sh"):
            script.chmod(0o755)
        STAMP.write_text(KEYCLOAK_SHA256 + "\n")
    return HOME


@dataclass(frozen=True)
class Keycloak:
    """A running Keycloak with the test realm set up."""

    process: ManagedProcess
    base_url: str
    resource: str
    client_id: str
    client_secret: str = field(repr=False)
    plain_client_id: str = "mcp-no-audience"
    user_password: str = field(default="", repr=False)

    @property
    def issuer(self) -> str:
        """The test realm's issuer (its URL)."""
        return f"{self.base_url}/realms/{REALM}"

    @property
    def token_endpoint(self) -> str:
        """The test realm's token endpoint."""
        return f"{self.issuer}/protocol/openid-connect/token"

    def grant(self, form: dict[str, str], *, client_id: str | None = None) -> dict[str, Any]:
        """A token endpoint response for `form`, the client authenticated with Basic."""
        response = httpx.post(
            self.token_endpoint,
            data=form,
            auth=(client_id or self.client_id, self.client_secret),
            timeout=30.0,
        )
        if response.status_code != 200:
            raise AssertionError(
                f"Keycloak token request ({form.get('grant_type')}, scope={form.get('scope')!r})"
                f" failed: HTTP {response.status_code} {response.text[:300]}"
            )
        body: dict[str, Any] = response.json()
        return body

    def service_token(self, scope: str = "", *, client_id: str | None = None) -> str:
        """A client_credentials access token (JWT) of the service account."""
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        token: str = self.grant(form, client_id=client_id)["access_token"]
        return token

    def user_tokens(self, scope: str = "openid") -> dict[str, Any]:
        """Access, ID and refresh tokens of the test user (resource owner password grant)."""
        return self.grant(
            {
                "grant_type": "password",
                "username": USER,
                "password": self.user_password,
                "scope": scope,
            }
        )


class _Admin:
    """Just enough of Keycloak's admin REST API to create the test realm."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        token = httpx.post(
            f"{base_url}/realms/master/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": username,
                "password": password,
            },
            timeout=30.0,
        )
        self._check(token, "admin token")
        self._http = httpx.Client(
            base_url=f"{base_url}/admin/realms",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            timeout=30.0,
        )

    @staticmethod
    def _check(response: httpx.Response, what: str) -> None:
        if response.status_code not in (200, 201, 204):
            raise KeycloakError(
                f"Keycloak admin API, {what}: HTTP {response.status_code} {response.text[:500]}"
            )

    def post(self, path: str, body: dict[str, Any], what: str) -> None:
        self._check(self._http.post(path, json=body), what)

    def get(self, path: str, what: str) -> Any:  # noqa: ANN401 - JSON
        response = self._http.get(path)
        self._check(response, what)
        return response.json()

    def close(self) -> None:
        self._http.close()


def _client(client_id: str, secret: str, *, audience: str | None) -> dict[str, Any]:
    """A confidential client with a service account; `audience` adds the Audience mapper."""
    mappers = []
    if audience is not None:
        mappers.append(
            {
                "name": "mcp-resource-audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {
                    "included.custom.audience": audience,
                    "access.token.claim": "true",
                    "id.token.claim": "false",
                    "introspection.token.claim": "true",
                },
            }
        )
    return {
        "clientId": client_id,
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": secret,
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": False,
        "directAccessGrantsEnabled": True,
        "defaultClientScopes": ["basic", "profile", "roles"],
        "optionalClientScopes": list(SCOPES),
        "protocolMappers": mappers,
    }


def _set_up_realm(admin: _Admin, *, resource: str, secret: str, password: str) -> None:
    admin.post("", {"realm": REALM, "enabled": True}, "create realm")
    for scope in SCOPES:
        admin.post(
            f"/{REALM}/client-scopes",
            {
                "name": scope,
                "protocol": "openid-connect",
                "attributes": {
                    "include.in.token.scope": "true",
                    "display.on.consent.screen": "false",
                },
            },
            f"client scope {scope}",
        )
    admin.post(f"/{REALM}/clients", _client("mcp-client", secret, audience=resource), "client")
    admin.post(
        f"/{REALM}/clients", _client("mcp-no-audience", secret, audience=None), "plain client"
    )
    admin.post(
        f"/{REALM}/users",
        {
            "username": USER,
            "enabled": True,
            "email": f"{USER}@example.test",
            "emailVerified": True,
            "firstName": "Alice",
            "lastName": "Example",
            "credentials": [{"type": "password", "value": password, "temporary": False}],
        },
        "user",
    )


def start_keycloak(*, resource: str, log_dir: Path) -> Keycloak:
    """Start Keycloak on free loopback ports and set up the test realm for `resource`."""
    home = ensure_keycloak()
    java_home = find_java_home()
    port = free_port()
    admin_user, admin_password = "e2e-admin", secrets.token_urlsafe(24)
    env = {key: value for key, value in os.environ.items() if not key.startswith("KC_")}
    env.update(
        JAVA_HOME=str(java_home),
        KC_BOOTSTRAP_ADMIN_USERNAME=admin_user,
        KC_BOOTSTRAP_ADMIN_PASSWORD=admin_password,
    )
    process = start(
        "keycloak",
        [
            str(home / "bin" / "kc.sh"),
            "start-dev",
            "--http-host=127.0.0.1",
            f"--http-port={port}",
            f"--http-management-port={free_port()}",
            "--db=dev-mem",
        ],
        cwd=home,
        log_dir=log_dir,
        env=env,
    )
    base_url = f"http://127.0.0.1:{port}"
    wait_for_http(process, f"{base_url}/realms/master", timeout_s=START_TIMEOUT_S)
    client_secret, user_password = secrets.token_urlsafe(24), secrets.token_urlsafe(16)
    admin = _Admin(base_url, admin_user, admin_password)
    try:
        _set_up_realm(admin, resource=resource, secret=client_secret, password=user_password)
    finally:
        admin.close()
    return Keycloak(
        process=process,
        base_url=base_url,
        resource=resource,
        client_id="mcp-client",
        client_secret=client_secret,
        user_password=user_password,
    )


if __name__ == "__main__":
    try:
        print(ensure_keycloak())
    except KeycloakError as error:
        sys.exit(str(error))
