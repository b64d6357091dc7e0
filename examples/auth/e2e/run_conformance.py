"""Run the MCP conformance suite against the example's `--conformance` mode.

    python examples/auth/e2e/run_conformance.py [--results DIR] [--scenario NAME ...]
    python examples/auth/e2e/run_conformance.py --requirements 2026-07-28

1. provisions Node 22 and the pinned `@modelcontextprotocol/conformance` (`node_toolchain.py`);
2. starts `python -m py_auth_mcp_server --conformance --port <free port>` (auth off, loopback,
   one process: server->client requests need the answering POST to reach the same process);
3. runs the suite's active server scenarios against `http://127.0.0.1:<port>/mcp`;
4. reads every scenario's `checks.json`: a scenario passes when none of its checks is a FAILURE
   or a WARNING (the suite's own baseline rule);
5. compares with `conformance-baseline.yml` (scenarios deliberately left out, a reason each) and
   exits 0 only if every scenario outside the baseline passed and every baseline entry still
   fails (a passing baseline entry is stale and must be removed).

It prints `N/M passed` (M = scenarios run; the pinned suite's active server suite has 30).

With `--requirements REV` the newer suite (`REQUIREMENTS_PACKAGE`, pinned in package.json) runs
exactly the scenarios revision REV requires, each scored scenario must pass (baseline:
`conformance-baseline-REV.yml`), and the scenarios the suite does not score for REV
(extensions, pending) are run and reported but not required.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from managed_process import free_port, start, wait_for_http
from node_toolchain import E2E_DIR, ensure_node_toolchain

BASELINE_FILE = E2E_DIR / "conformance-baseline.yml"
CONFORMANCE_PACKAGE = "@modelcontextprotocol/conformance"
CONFORMANCE_ENTRY = "dist/index.js"
#: The suite that knows `--requirements` (an npm alias of @modelcontextprotocol/conformance
#: 0.2.0-alpha.12, pinned in package.json next to the older default suite).
REQUIREMENTS_PACKAGE = "mcp-conformance-authorization"
_UNSCORED = re.compile(r"^  [✓✗] (?P<scenario>\S+) \((?P<why>[a-z-]+)\)$", flags=re.MULTILINE)
SUITE_TIMEOUT_S = 900
EXPECTED_ACTIVE_SCENARIOS = 30
_RESULT_DIR = re.compile(r"^server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T[0-9-]+Z$")
_BASELINE_ENTRY = re.compile(r"^  - (?P<scenario>[a-z0-9][a-z0-9-]*)\s+#\s*(?P<reason>\S.*)$")


class BaselineError(ValueError):
    """The baseline file is malformed."""


@dataclass(frozen=True)
class ScenarioResult:
    """One scenario's outcome from its checks.json."""

    scenario: str
    passed: bool
    problems: tuple[str, ...]


def read_baseline(path: Path = BASELINE_FILE) -> dict[str, str]:
    """Read the baseline: scenario -> reason.

    The format, also valid for the suite's own `--expected-failures`:

    server:
      - scenario-name  # why it is left out
    """
    entries: dict[str, str] = {}
    in_server = False
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        if line in ("server:", "server: []"):
            in_server = True
            continue
        match = _BASELINE_ENTRY.match(line)
        if not in_server or match is None:
            raise BaselineError(
                f"{path}:{number}: expected '  - <scenario>  # <reason>' under 'server:', "
                f"got {raw!r}"
            )
        if match["scenario"] in entries:
            raise BaselineError(f"{path}:{number}: {match['scenario']} is listed twice")
        entries[match["scenario"]] = match["reason"]
    return entries


def read_results(results_dir: Path) -> dict[str, ScenarioResult]:
    """Parse every `server-<scenario>-<timestamp>/checks.json` under `results_dir`."""
    results: dict[str, ScenarioResult] = {}
    for checks_file in sorted(results_dir.glob("server-*/checks.json")):
        match = _RESULT_DIR.match(checks_file.parent.name)
        if match is None:
            continue
        checks = json.loads(checks_file.read_text(encoding="utf-8"))
        problems = tuple(
            f"{check.get('status')}: {check.get('id')}: "
            f"{check.get('errorMessage') or check.get('description')}"
            for check in checks
            if check.get("status") in ("FAILURE", "WARNING")
        )
        scenario = match["scenario"]
        results[scenario] = ScenarioResult(scenario, passed=not problems, problems=problems)
    return results


def _scenarios_run(stdout: str) -> list[str]:
    return re.findall(r"^=== Running scenario: (\S+) ===$", stdout, flags=re.MULTILINE)


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(text)


def baseline_file(requirements: str | None) -> Path:
    """The baseline of the default suite, or of one `--requirements` revision."""
    if requirements is None:
        return BASELINE_FILE
    return E2E_DIR / f"conformance-baseline-{requirements}.yml"


def unscored(stdout: str) -> dict[str, str]:
    """Scenarios the suite ran but does not score for the revision: name -> why (extension…)."""
    return {m["scenario"]: m["why"] for m in _UNSCORED.finditer(stdout)}


def run_suite(
    results_dir: Path, scenarios: list[str], requirements: str | None = None
) -> tuple[list[str], dict[str, ScenarioResult]]:
    """Start the conformance server, run the suite, return (scenarios run, results)."""
    toolchain = ensure_node_toolchain()
    package = CONFORMANCE_PACKAGE if requirements is None else REQUIREMENTS_PACKAGE
    suite = toolchain.package_bin(package, CONFORMANCE_ENTRY)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start(
        "conformance-server",
        [sys.executable, "-m", "py_auth_mcp_server", "--conformance", "--port", str(port)],
        log_dir=results_dir,
    )
    try:
        wait_for_http(server, f"{base_url}/health")
        if scenarios:
            runs = [["--scenario", name] for name in scenarios]
        elif requirements is not None:
            runs = [["--requirements", requirements]]
        else:
            runs = [["--suite", "active"]]
        run_names: list[str] = []
        for extra in runs:
            command = [*suite, "server", "--url", f"{base_url}/mcp", "-o", str(results_dir), *extra]
            completed = subprocess.run(
                command,
                cwd=E2E_DIR,
                capture_output=True,
                text=True,
                timeout=SUITE_TIMEOUT_S,
                check=False,
            )
            _append(results_dir / "suite-stdout.txt", completed.stdout)
            _append(results_dir / "suite-stderr.txt", completed.stderr)
            run_names += _scenarios_run(completed.stdout) or extra[1:2]
    finally:
        server.stop()
    return run_names, read_results(results_dir)


def judge(
    run_names: list[str],
    results: dict[str, ScenarioResult],
    baseline: dict[str, str],
    not_scored: dict[str, str] | None = None,
) -> tuple[int, list[str]]:
    """(passed count, list of reasons to fail the run); ``not_scored`` scenarios never fail it."""
    errors: list[str] = []
    passed = 0
    not_scored = not_scored or {}
    for scenario in run_names:
        if scenario in not_scored:
            continue
        result = results.get(scenario)
        if result is None:
            errors.append(f"{scenario}: no checks.json was written (the suite crashed?)")
            continue
        if result.passed:
            passed += 1
            if scenario in baseline:
                errors.append(f"{scenario}: passes but is in the baseline; remove the entry")
        elif scenario not in baseline:
            errors.append(f"{scenario}: FAILED\n      " + "\n      ".join(result.problems))
    unknown = sorted(set(baseline) - set(run_names))
    if unknown and len(run_names) >= EXPECTED_ACTIVE_SCENARIOS:
        errors.append(f"baseline names scenarios the suite did not run: {', '.join(unknown)}")
    return passed, errors


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--results", type=Path, help="keep the suite's results in this directory")
    parser.add_argument("--scenario", action="append", default=[], help="run only this scenario")
    parser.add_argument(
        "--requirements", metavar="REV", help="run what revision REV requires (e.g. 2026-07-28)"
    )
    args = parser.parse_args(argv)

    baseline = read_baseline(baseline_file(args.requirements))
    results_dir = args.results or Path(tempfile.mkdtemp(prefix="mcp-conformance-"))
    if results_dir.exists() and args.results:
        shutil.rmtree(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    run_names, results = run_suite(results_dir, args.scenario, args.requirements)
    elapsed = time.monotonic() - started
    stdout_file = results_dir / "suite-stdout.txt"
    stdout = stdout_file.read_text(encoding="utf-8") if stdout_file.exists() else ""
    not_scored = unscored(stdout) if args.requirements else {}
    passed, errors = judge(run_names, results, baseline, not_scored)

    for scenario in run_names:
        result = results.get(scenario)
        mark = "PASS" if result is not None and result.passed else "FAIL"
        note = f"  (baseline: {baseline[scenario]})" if scenario in baseline else ""
        note += f"  (not scored: {not_scored[scenario]})" if scenario in not_scored else ""
        print(f"  {mark}  {scenario}{note}")
    scored = len(run_names) - len(not_scored)
    what = f"--requirements {args.requirements}" if args.requirements else "active suite"
    print(
        f"\nMCP conformance (server, {what}, suite pinned in package.json): "
        f"{passed}/{scored} scored scenarios passed, {len(baseline)} baselined, "
        f"{len(not_scored)} not scored, {elapsed:.0f} s"
    )
    checks = [line for line in stdout.splitlines() if line.startswith("Total:")]
    if checks:
        print(f"checks: {checks[-1].removeprefix('Total: ')}")
    print(f"results: {results_dir}")
    if not args.scenario and not args.requirements and len(run_names) != EXPECTED_ACTIVE_SCENARIOS:
        errors.append(
            f"the active suite ran {len(run_names)} scenarios, expected {EXPECTED_ACTIVE_SCENARIOS}"
            " (a new suite version? update EXPECTED_ACTIVE_SCENARIOS and the baseline)"
        )
    if errors:
        print("\nCONFORMANCE RUN FAILED:", file=sys.stderr)
        for error in errors:
            print(f"  - {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
