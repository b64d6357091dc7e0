#!/usr/bin/env python3
"""Verify the distributions in a dist/ directory before anyone installs them.

    python scripts/dist_verify.py [dist] [--python 3.12 ...]

Checks: ``twine check --strict``; every wheel's tags (file name and WHEEL agree, native wheels
are ``py3-none-<platform>`` with the tag the library itself supports, the core wheel is
``py3-none-any``); contents (the library under its DESIGN name and for the right CPU, the
generated module, nothing else; no binary in the core wheel or sdist); ``auditwheel show`` on
Linux wheels; the arm64 ``pip download --platform`` resolution; and, for each Python, a fresh
venv that installs gopher-mcp-python from dist/ alone (``--no-index``), receives the native
wheel through its markers, and passes scripts/verify_install.py from another directory.
Prints ``N passed, N failed`` last; exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import email.parser
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import parse_sdist_filename, parse_wheel_filename

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "packages" / "native-common"))

from gopher_native_build.binary import LibraryError, check_library  # noqa: E402
from gopher_native_build.platforms import (  # noqa: E402
    DISTRIBUTION_PREFIX,
    PLATFORMS,
    Platform,
    host_platform,
)

CORE = "gopher-mcp-python"
DEFAULT_PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
BINARY_SUFFIXES = (".so", ".dylib", ".dll", ".pyd", ".exe", ".a", ".lib")


class CheckError(Exception):
    """One verification failed; the message says what and where."""


class Report:
    """Counts and prints check outcomes."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, label: str, func: Callable[[], str | None]) -> None:
        try:
            detail = func()
        except (CheckError, LibraryError, subprocess.CalledProcessError, OSError) as exc:
            self.failed += 1
            print(f"FAIL {label}: {exc}", flush=True)
            return
        self.passed += 1
        print(f"ok   {label}{': ' + detail if detail else ''}", flush=True)


def _run(command: list[str], **kwargs: object) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise CheckError(f"{' '.join(map(str, command))} exited {proc.returncode}:\n"
                          f"{proc.stdout}{proc.stderr}".rstrip())
    return str(proc.stdout)


def _wheel_meta(wheel: Path, name: str) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        info = next((n for n in archive.namelist()
                     if n.endswith(f".dist-info/{name}") and n.count("/") == 1), None)
        if info is None:
            raise CheckError(f"{wheel.name} has no {name}")
        return email.parser.Parser().parsestr(archive.read(info).decode("utf-8"))


def _native_platform(distribution: str) -> Platform | None:
    name = distribution.removeprefix(DISTRIBUTION_PREFIX)
    return PLATFORMS.get(name) if distribution.startswith(DISTRIBUTION_PREFIX) else None


def check_wheel_tags(wheel: Path) -> str:
    """File-name tags == WHEEL tags; py3-none-*; purelib only for the core."""
    name, _version, _build, tags = parse_wheel_filename(wheel.name)
    wheel_file = _wheel_meta(wheel, "WHEEL")
    declared = set(wheel_file.get_all("Tag") or [])
    if declared != {str(t) for t in tags}:
        raise CheckError(f"file name tags {sorted(map(str, tags))} != WHEEL tags {sorted(declared)}")
    if {(t.interpreter, t.abi) for t in tags} != {("py3", "none")}:
        raise CheckError(f"tags {sorted(map(str, tags))} are not py3-none-*")
    purelib = wheel_file.get("Root-Is-Purelib", "").strip().lower()
    if name == CORE:
        if {t.platform for t in tags} != {"any"} or purelib != "true":
            raise CheckError(f"core wheel must be py3-none-any and purelib, got {wheel.name}")
    elif purelib != "false" or "any" in {t.platform for t in tags}:
        raise CheckError("a native wheel must be platform-specific (Root-Is-Purelib: false)")
    return ", ".join(sorted(map(str, tags)))


def check_native_contents(wheel: Path, platform: Platform, version: str) -> str:
    """Exactly the generated module, py.typed and the right library; tag fits the library."""
    imp = platform.import_name
    expected = {f"{imp}/__init__.py", f"{imp}/py.typed", f"{imp}/{platform.library_file}"}
    with zipfile.ZipFile(wheel) as archive, tempfile.TemporaryDirectory() as scratch:
        names = set(archive.namelist())
        payload = {n for n in names if ".dist-info/" not in n}
        if payload != expected:
            raise CheckError(f"payload {sorted(payload)} != {sorted(expected)}")
        init = archive.read(f"{imp}/__init__.py").decode()
        if f'__version__ = "{version}"' not in init or "def get_library_path" not in init:
            raise CheckError(f"{imp}/__init__.py lacks __version__ {version} or get_library_path")
        library = Path(archive.extract(f"{imp}/{platform.library_file}", scratch))
        info = check_library(library, platform)
    _name, _v, _b, tags = parse_wheel_filename(wheel.name)
    wanted = platform.wheel_tag(info.requires).removeprefix("py3-none-").split(".")
    if {t.platform for t in tags} != set(wanted):
        raise CheckError(f"library needs {wanted}, wheel says {sorted(t.platform for t in tags)}")
    return f"{platform.library_file}: {info.describe()}, needs {info.requires}"


def check_core_contents(wheel: Path, version: str) -> str:
    """Only gopher_mcp_python + dist-info, no binaries, and pins on all five native wheels."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    allowed = ("gopher_mcp_python/", f"gopher_mcp_python-{version}.dist-info/")
    strays = [n for n in names if not n.startswith(allowed)]
    binaries = [n for n in names if n.endswith(BINARY_SUFFIXES)]
    if strays or binaries:
        raise CheckError(f"unexpected files: {strays + binaries}")
    if "gopher_mcp_python/py.typed" not in names:
        raise CheckError("gopher_mcp_python/py.typed missing")
    requirements = [Requirement(r) for r in _wheel_meta(wheel, "METADATA").get_all("Requires-Dist") or []]
    pinned = {r.name for r in requirements
              if r.name.startswith(DISTRIBUTION_PREFIX) and str(r.specifier) == f"=={version}"}
    missing = {p.distribution for p in PLATFORMS.values()} - pinned
    if missing:
        raise CheckError(f"no =={version} requirement on {sorted(missing)}")
    return f"{len(names)} files, pins all {len(PLATFORMS)} native wheels =={version}"


def check_sdist(sdist: Path, version: str) -> str:
    """The sdist builds the core package: sources present, no binaries."""
    name, sdist_version = parse_sdist_filename(sdist.name)
    if (name, str(sdist_version)) != (CORE, version):
        raise CheckError(f"unexpected sdist {sdist.name}")
    top = f"gopher_mcp_python-{version}/"
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    for required in ("PKG-INFO", "pyproject.toml", "src/gopher_mcp_python/__init__.py"):
        if top + required not in names:
            raise CheckError(f"{required} missing")
    binaries = [n for n in names if n.endswith(BINARY_SUFFIXES)]
    if binaries or any(not n.startswith(top.rstrip("/")) for n in names):
        raise CheckError(f"unexpected files: {binaries}")
    return f"{len(names)} files"


def check_auditwheel(wheel: Path) -> str:
    """``auditwheel show`` agrees with the most specific manylinux tag of the file name."""
    output = _run([sys.executable, "-m", "auditwheel", "show", str(wheel)])
    match = re.search(r'consistent with the following platform tag:\s*"([^"]+)"', output)
    if match is None:
        raise CheckError(f"cannot read auditwheel's verdict:\n{output}")
    _n, _v, _b, tags = parse_wheel_filename(wheel.name)
    ours = sorted(t.platform for t in tags if t.platform.startswith("manylinux_"))
    if [match.group(1)] != ours:
        raise CheckError(f"auditwheel says {match.group(1)}, the wheel says {ours}")
    return f"consistent with {match.group(1)}"


def _isolated_pip_env() -> dict[str, str]:
    """pip settings that can only see dist/: no index, no configured find-links."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PIP_") and k != "GOPHER_ORCH_LIBRARY_PATH"}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def check_arm64_download(dist: Path) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--platform",
              "manylinux2014_aarch64", "--only-binary=:all:", "--no-index", "--find-links",
              str(dist), "--dest", scratch, "gopher-mcp-python-native-linux-arm64"],
             env=_isolated_pip_env())
        return ", ".join(sorted(os.listdir(scratch)))


def find_python(version: str) -> str | None:
    """An interpreter for ``version``: pyenv's first, then ``python3.X`` on PATH."""
    home = Path.home()
    for candidate in sorted(glob.glob(str(home / f".pyenv/versions/{version}.*/bin/python"))):
        return candidate
    return shutil.which(f"python{version}")


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def install_test(dist: Path, python: str, version: str, core_wheel: Path) -> str:
    """Fresh venv; third-party deps from PyPI; ours from dist/ only; verify from elsewhere."""
    host = host_platform()
    if host is None:
        raise CheckError("this machine has no native wheel platform")
    third_party = [str(r) for r in (Requirement(s) for s in
                   _wheel_meta(core_wheel, "METADATA").get_all("Requires-Dist") or [])
                   if not r.name.startswith(CORE) and "extra" not in str(r.marker or "")]
    with tempfile.TemporaryDirectory(prefix="gopher-install-") as scratch:
        venv = Path(scratch) / "venv"
        _run([python, "-m", "venv", str(venv)])
        vpy = str(_venv_python(venv))
        _run([vpy, "-m", "pip", "install", "-q", "cryptography", *third_party])
        _run([vpy, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(dist),
              f"{CORE}=={version}"], env=_isolated_pip_env())
        installed = _run([vpy, "-c", "import importlib.metadata as m; "
                          f"print(m.version({host.distribution!r}))"]).strip()
        if installed != version:
            raise CheckError(f"{host.distribution} {installed} installed, expected {version}")
        out = _run([vpy, str(REPO / "scripts" / "verify_install.py"),
                    "--expect-version", version], cwd=scratch, env=_isolated_pip_env())
        return out.strip().splitlines()[-1]


def verify(dist: Path, pythons: list[str], expect_version: str, *,
           install: bool = True, all_platforms: bool = False) -> tuple[int, int]:
    """Run every check on ``dist``; returns (passed, failed).

    ``install=False`` skips the fresh-venv installs (a release job that gathers wheels of
    every platform checks them on Linux; each platform is install-tested on its own runner);
    ``all_platforms=True`` requires a wheel for every native platform.
    """
    report = Report()
    files = sorted(p for p in dist.iterdir() if p.is_file())
    wheels = [p for p in files if p.suffix == ".whl"]
    sdists = [p for p in files if p.name.endswith(".tar.gz")]
    print(f"\n== verifying {len(files)} files in {dist}", flush=True)
    report.check("only wheels and sdists in dist/", partial(_only_distributions, files, wheels, sdists))
    report.check("twine check --strict", partial(_twine_check, files))
    core_wheels: list[Path] = []
    names: set[str] = set()
    for wheel in wheels:
        name, version, _b, _t = parse_wheel_filename(wheel.name)
        names.add(str(name))
        report.check(f"{wheel.name} version", partial(_expect, str(version), expect_version))
        report.check(f"{wheel.name} tags", partial(check_wheel_tags, wheel))
        platform = _native_platform(name)
        if platform is not None:
            report.check(f"{wheel.name} contents",
                         partial(check_native_contents, wheel, platform, expect_version))
            if platform.os == "linux" and sys.platform == "linux":
                report.check(f"{wheel.name} auditwheel", partial(check_auditwheel, wheel))
            if platform.name == "linux-arm64":
                report.check("pip download --platform manylinux2014_aarch64 resolves",
                             partial(check_arm64_download, dist))
        elif name == CORE:
            core_wheels.append(wheel)
            report.check(f"{wheel.name} contents", partial(check_core_contents, wheel, expect_version))
        else:
            report.check(f"{wheel.name} is ours", partial(_fail, f"unknown distribution {name}"))
    for sdist in sdists:
        report.check(f"{sdist.name} contents", partial(check_sdist, sdist, expect_version))
    report.check("core sdist and wheel present",
                 partial(_expect, f"{len(sdists)} sdist, {len(core_wheels)} wheel", "1 sdist, 1 wheel"))
    if all_platforms:
        for platform in PLATFORMS.values():
            report.check(f"{platform.distribution} wheel present",
                         partial(_expect, str(platform.distribution in names), "True"))
    if install:
        host = host_platform()
        report.check("this machine's native wheel present",
                     partial(_expect, str(host is not None and host.distribution in names), "True"))
        for wanted in pythons if core_wheels else []:
            python = find_python(wanted)
            check = (partial(install_test, dist, python, expect_version, core_wheels[0]) if python
                     else partial(_fail, f"no Python {wanted} found (pyenv or python{wanted} on PATH)"))
            report.check(f"install + verify on Python {wanted}", check)
    print(f"\ndist_verify: {report.passed} passed, {report.failed} failed", flush=True)
    return report.passed, report.failed


def _expect(got: str, want: str) -> str:
    if got != want:
        raise CheckError(f"got {got}, expected {want}")
    return got


def _fail(message: str) -> str:
    raise CheckError(message)


def _twine_check(files: list[Path]) -> str:
    output = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)])
    return f"{output.count('PASSED')} PASSED"


def _only_distributions(files: list[Path], wheels: list[Path], sdists: list[Path]) -> str:
    strays = sorted(set(files) - set(wheels) - set(sdists))
    if strays:
        raise CheckError(f"stray files: {[p.name for p in strays]}")
    return f"{len(wheels)} wheels, {len(sdists)} sdist"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dist", nargs="?", type=Path, default=REPO / "dist")
    parser.add_argument("--python", action="append", dest="pythons")
    parser.add_argument("--skip-install", action="store_true",
                        help="no fresh-venv installs (wheels of other platforms are checked only)")
    parser.add_argument("--require-all-platforms", action="store_true",
                        help="fail unless every native platform has a wheel")
    args = parser.parse_args(argv)
    _passed, failed = verify(args.dist.resolve(), args.pythons or DEFAULT_PYTHONS,
                             (REPO / "GOPHER_ORCH_VERSION").read_text().strip(),
                             install=not args.skip_install,
                             all_platforms=args.require_all_platforms)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
