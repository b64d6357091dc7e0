#!/usr/bin/env python3
"""Install this checkout's packages into the running Python environment, never from an index.

    python scripts/install_local.py [--example] [--wheelhouse DIR]

Upstream's unrelated 0.1.x releases sit on PyPI under our distribution names, so our own
distributions are only ever installed from wheels built here, with ``--no-index``:

1. the native wheel for this platform (``packages/native-<platform>``, whose build hook runs
   ``cargo build --release``: incremental, so a second build is a no-op) and the core wheel
   (``packages/gopher-mcp-python``) are built into the wheelhouse;
2. ``pip install --no-index --find-links <wheelhouse> gopher-mcp-python==<version>`` installs
   the core package and pulls the native wheel through its environment markers;
3. with ``--example``, ``examples/auth`` is installed on top; its third-party dependencies
   come from the index, while its ``gopher-mcp-python==<version>`` requirement is already
   satisfied by step 2.

tox calls this before every test environment (see tox.ini).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "packages" / "native-common"))

from gopher_native_build.platforms import host_platform  # noqa: E402


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", action="store_true", help="also install examples/auth")
    parser.add_argument("--wheelhouse", type=Path, help="where to build the wheels (default: a temporary directory)")
    args = parser.parse_args()

    version = (REPO / "GOPHER_ORCH_VERSION").read_text(encoding="utf-8").strip()
    platform = host_platform()
    if platform is None:
        print("install_local.py: no native wheel is built for this OS/architecture "
              f"({sys.platform}); supported: linux/macOS/Windows on x86-64 and ARM64",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gopher-wheels-") as tmp:
        wheelhouse = (args.wheelhouse or Path(tmp)).resolve()
        wheelhouse.mkdir(parents=True, exist_ok=True)
        for package in (f"native-{platform.name}", "gopher-mcp-python"):
            _pip("wheel", "--no-deps", "--wheel-dir", str(wheelhouse), str(REPO / "packages" / package))
        _pip("install", "--force-reinstall", "--no-index", "--find-links", str(wheelhouse),
             f"gopher-mcp-python=={version}")
    if args.example:
        _pip("install", str(REPO / "examples" / "auth"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
