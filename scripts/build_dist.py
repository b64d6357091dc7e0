#!/usr/bin/env python3
"""Build every distribution this machine can build into dist/, then verify them all.

    python scripts/build_dist.py [--out dist] [--python 3.10 ...] [--no-zig]

Builds the gopher-orch library once per platform (``cargo zigbuild`` against glibc 2.17 when
cargo-zigbuild + ziglang are installed, so the Linux wheels are manylinux2014; plain cargo
otherwise, tagged with whatever the binary needs), hands each library to its native
package's build hook through GOPHER_ORCH_PREBUILT_LIBRARY, builds the core package's sdist and
wheel, and runs scripts/dist_verify.py on the result (twine, tags, contents, auditwheel,
fresh-venv installs with a real token validation). Platforms it cannot build here are listed
with the reason. Needs the packages in scripts/requirements-build.txt.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "packages" / "native-common"))
sys.path.insert(0, str(REPO / "scripts"))

from gopher_native_build.cargo import CargoBuildError, build_library, host_target  # noqa: E402
from gopher_native_build.platforms import PLATFORMS, Platform  # noqa: E402

from dist_verify import DEFAULT_PYTHONS, verify  # noqa: E402

CORE = REPO / "packages" / "gopher-mcp-python"
AARCH64_GCC = "aarch64-linux-gnu-gcc"


@dataclass
class Plan:
    """What to build for one platform on this machine, or why not."""

    platform: Platform
    zig: bool = False
    env: dict[str, str] | None = None
    skip: str | None = None


def _installed_rust_targets() -> set[str]:
    try:
        out = subprocess.run(["rustup", "target", "list", "--installed"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {host_target()}
    return set(out.split())


def _add_rust_target(target: str) -> bool:
    """Install a cross target's standard library with rustup (once per machine)."""
    print(f"== rustup target add {target}", flush=True)
    try:
        proc = subprocess.run(["rustup", "target", "add", target], capture_output=True, text=True)
    except OSError:
        return False
    if proc.returncode != 0:
        print(proc.stderr.strip(), file=sys.stderr)
    return proc.returncode == 0


def _zig_available() -> bool:
    """cargo-zigbuild and ziglang are installed (in this environment or on PATH)."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        # Run as <venv>/bin/python without activating: its tools are still this env's tools.
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
    if importlib.util.find_spec("ziglang") is None:
        return False
    return shutil.which("cargo-zigbuild") is not None


def plan_builds(use_zig: bool) -> list[Plan]:
    """Decide, per platform, whether and how this machine builds it."""
    host = host_target()
    targets = _installed_rust_targets()
    zig = use_zig and _zig_available()
    plans: list[Plan] = []
    for platform in PLATFORMS.values():
        plan = Plan(platform)
        if platform.rust_target == host:
            plan.zig = zig and platform.os == "linux"
        elif platform.os != "linux" or not host.endswith("-linux-gnu"):
            plan.skip = (f"needs a {platform.os} build machine (SDK and linker); "
                         "built by cibuildwheel in release.yml")
        elif platform.rust_target not in targets and not _add_rust_target(platform.rust_target):
            plan.skip = (f"Rust target {platform.rust_target} not installed and "
                         f"`rustup target add {platform.rust_target}` failed")
        elif zig:
            plan.zig = True
        elif platform.arch == "aarch64" and shutil.which(AARCH64_GCC):
            plan.env = {"CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER": AARCH64_GCC,
                        "CC_aarch64_unknown_linux_gnu": AARCH64_GCC}
        else:
            plan.skip = ("no cross linker: pip install cargo-zigbuild ziglang, "
                         "or apt-get install gcc-aarch64-linux-gnu")
        plans.append(plan)
    return plans


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, env=env)


def build_native_wheel(plan: Plan, out: Path) -> Path:
    """Build the library for ``plan`` once and package it with the shared hook."""
    env = {**os.environ, **(plan.env or {})}
    print(f"== {plan.platform.distribution}: cargo {'zigbuild' if plan.zig else 'build'}"
          f" for {plan.platform.rust_target}", flush=True)
    library = build_library(REPO, plan.platform, zig=plan.zig, env=env)
    env["GOPHER_ORCH_PREBUILT_LIBRARY"] = str(library)
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(REPO / "packages" / f"native-{plan.platform.name}")], env=env)
    return library


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--python", action="append", dest="pythons",
                        help=f"Python versions to install-test (default {' '.join(DEFAULT_PYTHONS)})")
    parser.add_argument("--no-zig", action="store_true",
                        help="use plain cargo even when cargo-zigbuild is available")
    args = parser.parse_args(argv)
    started = time.monotonic()
    out: Path = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    plans = plan_builds(use_zig=not args.no_zig)
    built: list[str] = []
    for plan in plans:
        if plan.skip:
            continue
        try:
            build_native_wheel(plan, out)
            built.append(plan.platform.name)
        except (CargoBuildError, subprocess.CalledProcessError) as exc:
            plan.skip = f"build failed: {exc}"
            print(f"!! {plan.platform.distribution}: {plan.skip}", file=sys.stderr)
    print("== gopher-mcp-python: sdist, then the wheel from the sdist", flush=True)
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(CORE)])

    print("\n== not built on this machine:")
    for plan in plans:
        if plan.skip:
            print(f"   {plan.platform.distribution}: {plan.skip}")
    host_failed = [p for p in plans if p.skip and p.platform.rust_target == host_target()]
    passed, failed = verify(out, pythons=args.pythons or DEFAULT_PYTHONS,
                            expect_version=(REPO / "GOPHER_ORCH_VERSION").read_text().strip())
    for plan in host_failed:
        failed += 1
        print(f"FAIL {plan.platform.distribution} is this machine's own platform and did not build")
    print(f"\nbuild_dist: built {', '.join(built) or 'no native wheel'} + core "
          f"in {time.monotonic() - started:.0f} s")
    print(f"build_dist: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
