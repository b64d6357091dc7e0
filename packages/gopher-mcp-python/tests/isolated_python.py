"""Run Python code in a fresh interpreter, optionally with a copy of the package outside the repo.

The loader keeps per-process state and searches the environment, the installed packages, the
checkout and the system; each loader scenario therefore runs in its own interpreter. With
``isolated=True`` the interpreter runs with ``-S`` (no site-packages, so no installed platform
package and no editable install) and imports a copy of ``gopher_mcp_python`` placed outside
this repository, so no development build can be found either — unless the test builds one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gopher_mcp_python

_REPORT_PREFIX = "REPORT:"


@dataclass
class Sandbox:
    """A directory outside the repository: ``site/`` (importable) and ``work/`` (the cwd)."""

    root: Path

    @property
    def site(self) -> Path:
        """Put on PYTHONPATH of the isolated interpreter."""
        return self.root / "site"

    @property
    def work(self) -> Path:
        """The working directory of the isolated interpreter."""
        return self.root / "work"

    def add_module(self, name: str, source: str) -> Path:
        """Create package ``name`` in ``site/`` whose ``__init__.py`` is ``source``."""
        package = self.site / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(source)
        return package


def make_sandbox(root: Path) -> Sandbox:
    """A sandbox under ``root`` holding a copy of the package under test."""
    sandbox = Sandbox(root)
    sandbox.work.mkdir(parents=True)
    source = Path(gopher_mcp_python.__file__).parent
    shutil.copytree(
        source, sandbox.site / "gopher_mcp_python", ignore=shutil.ignore_patterns("__pycache__")
    )
    return sandbox


def run_python(
    code: str,
    *,
    sandbox: Sandbox | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run ``code``; it may call ``report(value)`` once to hand back a JSON value.

    Without a sandbox the interpreter sees the same packages as the tests; with one it runs
    isolated (``-S``, PYTHONPATH = the sandbox). ``GOPHER_ORCH_LIBRARY_PATH`` is removed from
    the environment unless ``env`` sets it.
    """
    prelude = (
        "import json as _json\n"
        f"def report(value):\n    print({_REPORT_PREFIX!r} + _json.dumps(value), flush=True)\n"
    )
    full_env = {k: v for k, v in os.environ.items() if k != "GOPHER_ORCH_LIBRARY_PATH"}
    command = [sys.executable]
    if sandbox is not None:
        command.append("-S")
        full_env["PYTHONPATH"] = str(sandbox.site)
        cwd = cwd or sandbox.work
    full_env.update(env or {})
    completed = subprocess.run(
        [*command, "-c", prelude + code],
        env=full_env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    reported = None
    for line in completed.stdout.splitlines():
        if line.startswith(_REPORT_PREFIX):
            reported = json.loads(line[len(_REPORT_PREFIX) :])
    return completed, reported
