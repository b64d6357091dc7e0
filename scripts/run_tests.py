#!/usr/bin/env python3
"""Run every test of this repository, as the README's test command (`make test`) and CI do.

    python3 scripts/run_tests.py [--only STEP ...] [--list]

Sets up what it needs first (a tools virtualenv with tox in .venv-tools/, the Pythons 3.10–3.13
from pyenv on PATH), then runs each step in order and keeps going after a failure, so one run
shows everything that is broken:

    workflows  actionlint on .github/workflows (scripts/actionlint.sh)
    rust       cargo test of the native engine (unit, integration, corpus, C smoke under valgrind),
               then cargo fmt --check and cargo clippy -D warnings
    build      tox -e build: release.py check, the release scripts' tests, every wheel built and
               install-tested in fresh virtualenvs of Python 3.10–3.13
    platforms  tox -e platforms: all five native wheels built here; linux-arm64 run under qemu-user,
               win-x64 under Wine, the macOS libraries inspected, release.yml's names, the install
               matrix (scripts/platforms.py; one line per platform says what was proven)
    fuzz       every cargo-fuzz target of native/fuzz for 60 s (scripts/fuzz_ci.sh; cargo-fuzz is
               installed when a nightly toolchain is there, else the stable counterparts run)
    tox        tox: lint, type, py310–py313 × {core, example}, fw-{mcp1, mcp2, fastmcp, starlette,
               fastapi} (each framework under uvicorn with its official client), e2e (two real IdPs +
               conformance suite), e2e-mcp2 (the official mcp 2.x client), browser (headless
               Chromium at the dev IdP's consent page; apt-get installs it),
               robustness (failure injection, soak, properties), docs (mkdocs build --strict)

It ends with one line `tests: N passed, M failed` counting every test case of every runner, and
exits non-zero when any step failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import venv
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOLS_VENV = REPO / ".venv-tools"
RESULTS = REPO / ".test-results"
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
TOX_REQUIREMENT = "tox==4.67.15"
CARGO_FUZZ = "cargo-fuzz@0.13.2"
TOX_ENVS = (
    ["lint", "type", "type-sdk"]
    + [f"py{v.replace('.', '')}-{s}" for v in PYTHONS for s in ("core", "example")]
    + [f"fw-{name}" for name in ("mcp1", "mcp2", "fastmcp", "starlette", "fastapi")]
    + ["e2e", "e2e-mcp2", "browser", "robustness", "docs"]
)


@dataclass
class Outcome:
    name: str
    ok: bool
    seconds: float
    passed: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)


def _run(cmd: list[str], env: dict[str, str], *, capture: bool = False) -> tuple[int, str]:
    print(f"\n$ {' '.join(cmd)}", flush=True)
    if not capture:
        return subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode, ""
    # Stream the output and keep it, so counts can be read from it.
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    return proc.wait(), "".join(lines)


def _pyenv_bins() -> list[str]:
    """bin directories of the pyenv-installed Pythons 3.10–3.13 (tox finds them on PATH)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = []
    for version in PYTHONS:
        candidates = sorted(root.glob(f"{version}.*/bin"), reverse=True)
        if candidates:
            found.append(str(candidates[0]))
    return found


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(TOOLS_VENV / "bin"), *_pyenv_bins(), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV", None)
    env.setdefault("CARGO_TERM_COLOR", "never")
    return env


def _setup(env: dict[str, str]) -> None:
    missing = [v for v in PYTHONS if shutil.which(f"python{v}", path=env["PATH"]) is None]
    if missing:
        raise SystemExit(f"run_tests.py: Python {', '.join(missing)} not found (pyenv install them, or put them on PATH)")
    if shutil.which("cargo", path=env["PATH"]) is None:
        raise SystemExit("run_tests.py: cargo not found; install Rust with rustup (https://rustup.rs)")
    if not (TOOLS_VENV / "bin" / "python").exists():
        venv.create(TOOLS_VENV, with_pip=True)
    code, _ = _run([str(TOOLS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", TOX_REQUIREMENT], env)
    if code:
        raise SystemExit("run_tests.py: could not install tox into .venv-tools")


def _cargo_counts(output: str) -> tuple[int, int]:
    passed = failed = 0
    for m in re.finditer(r"test result: \w+\. (\d+) passed; (\d+) failed", output):
        passed += int(m.group(1))
        failed += int(m.group(2))
    return passed, failed


def _junit_counts(paths: list[Path]) -> tuple[int, int]:
    passed = failed = 0
    for path in paths:
        if not path.exists():
            continue
        for suite in ET.parse(path).getroot().iter("testsuite"):
            total = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            passed += total - bad - skipped
            failed += bad
    return passed, failed


def step_workflows(env: dict[str, str]) -> Outcome:
    start = time.monotonic()
    code, _ = _run(["bash", "scripts/actionlint.sh"], env)
    return Outcome("workflows", code == 0, time.monotonic() - start)


def step_rust(env: dict[str, str]) -> Outcome:
    start = time.monotonic()
    manifest = ["--manifest-path", "native/Cargo.toml"]
    code, out = _run(["cargo", "test", "--locked", *manifest], env, capture=True)
    passed, failed = _cargo_counts(out)
    lint = [
        ["cargo", "fmt", *manifest, "--check"],
        ["cargo", "clippy", "--locked", "--all-targets", *manifest, "--", "-D", "warnings"],
    ]
    lint_ok = all(_run(cmd, env)[0] == 0 for cmd in lint)
    return Outcome("rust", code == 0 and lint_ok, time.monotonic() - start, passed, failed)


def _ensure_cargo_fuzz(env: dict[str, str]) -> None:
    """cargo-fuzz from crates.io when a nightly toolchain exists and it is missing."""
    def ok(cmd: list[str]) -> bool:
        return subprocess.run(cmd, env=env, capture_output=True, check=False).returncode == 0

    if ok(["cargo", "+nightly", "--version"]) and not ok(["cargo", "fuzz", "--version"]):
        _run(["cargo", "install", "--locked", CARGO_FUZZ], env)


def step_fuzz(env: dict[str, str]) -> Outcome:
    start = time.monotonic()
    _ensure_cargo_fuzz(env)
    code, _ = _run(["bash", "scripts/fuzz_ci.sh"], env)
    return Outcome("fuzz", code == 0, time.monotonic() - start)


def _tox(name: str, envs: list[str], env: dict[str, str]) -> Outcome:
    start = time.monotonic()
    junits = [RESULTS / f"{e}.xml" for e in envs]
    for path in junits:
        path.unlink(missing_ok=True)
    code, _ = _run(["tox", "run", "-e", ",".join(envs)], env)
    passed, failed = _junit_counts(junits)
    return Outcome(name, code == 0, time.monotonic() - start, passed, failed)


def step_build(env: dict[str, str]) -> Outcome:
    return _tox("build", ["build"], env)


def step_platforms(env: dict[str, str]) -> Outcome:
    return _tox("platforms", ["platforms"], env)


def step_tox(env: dict[str, str]) -> Outcome:
    return _tox("tox", TOX_ENVS, env)


STEPS: dict[str, Callable[[dict[str, str]], Outcome]] = {
    "workflows": step_workflows,
    "rust": step_rust,
    "fuzz": step_fuzz,
    "build": step_build,
    "platforms": step_platforms,
    "tox": step_tox,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(STEPS), help="run only these steps")
    args = parser.parse_args()
    env = _environment()
    _setup(env)
    RESULTS.mkdir(exist_ok=True)
    outcomes = [STEPS[name](env) for name in (args.only or list(STEPS))]

    print("\n" + "=" * 72)
    for o in outcomes:
        counts = f"{o.passed} passed, {o.failed} failed" if o.passed or o.failed else "no test cases counted"
        print(f"{'ok  ' if o.ok else 'FAIL'} {o.name:<10} {o.seconds:7.1f} s   {counts}")
    passed = sum(o.passed for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    broken = [o.name for o in outcomes if not o.ok]
    if broken and failed == 0:
        failed = len(broken)  # a step that failed outside any test case still counts as a failure
    print(f"tests: {passed} passed, {failed} failed")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
