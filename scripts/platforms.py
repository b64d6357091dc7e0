#!/usr/bin/env python3
"""Build every platform wheel here and prove what can be proven of each before a tag.

    python scripts/platforms.py [--junit FILE] [--no-install]

One machine (Linux x86_64), five native wheels, each through the same build hook that
release.yml's cibuildwheel jobs call (``python -m build --wheel packages/native-<platform>``
with the library handed over in GOPHER_ORCH_PREBUILT_LIBRARY):

    linux-x64     built with cargo-zigbuild against glibc 2.17; tags, contents, auditwheel
    linux-arm64   cross-built the same way, then EXECUTED under qemu-user with Debian's aarch64
                  Python (an arm64 root file system made by mmdebstrap): pip installs the wheels
                  --no-index (the markers pick the arm64 wheel), then the loader tests and the
                  attack corpus run through the Python API
    win-x64       built for x86_64-pc-windows-gnu with Debian's mingw-w64; DLL exports == the
                  header; the C smoke test and the attack corpus through the C ABI EXECUTED
                  under Wine; the wheel's tag and contents
    darwin-*      cross-linked with cargo-zigbuild (no Apple SDK); Mach-O CPU, minos == the
                  wheel tag, exports == the header, only system libraries linked, install name
    release       the file names release.yml would publish == the ones built here
    install       pip download --platform <tag> --no-index for each platform resolves its
                  native wheel through the markers, and through the explicit extra

Tools come from Debian (qemu-user-static, mmdebstrap, gcc-aarch64-linux-gnu, wine64,
gcc-mingw-w64-x86-64, llvm) and rustup (cross targets), installed when missing (root + apt;
--no-install to forbid). A platform that cannot be checked is a failure with the reason,
never a skip. Writes a JUnit file (--junit) and ends with ``platforms: N passed, N failed``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import tomllib

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "packages" / "native-common"))
sys.path.insert(0, str(REPO / "scripts"))

from gopher_native_build.binary import inspect_library  # noqa: E402
from gopher_native_build.cargo import CargoBuildError  # noqa: E402
from gopher_native_build.platforms import PLATFORMS, Platform  # noqa: E402

from build_dist import CORE as CORE_DIR  # noqa: E402
from build_dist import (  # noqa: E402
    Plan,
    _add_rust_target,
    _installed_rust_targets,
    _zig_available,
    build_native_wheel,
    run,
)
from dist_verify import verify  # noqa: E402

WORK = REPO / "target" / "platforms"
DIST = WORK / "dist"
HEADER = REPO / "native" / "include" / "gopher_auth.h"
CORPUS = REPO / "native" / "tests" / "data" / "corpus.json"
CORE = "gopher-mcp-python"
CORE_TESTS = REPO / "packages" / CORE / "tests"
VERSION = (REPO / "GOPHER_ORCH_VERSION").read_text().strip()

# Debian package -> the command it provides.
APT_TOOLS = {
    "qemu-user-static": "qemu-aarch64-static",
    "mmdebstrap": "mmdebstrap",
    "gcc-aarch64-linux-gnu": "aarch64-linux-gnu-gcc",
    "wine64": "/usr/lib/wine/wine64",  # Debian's wine64 has no command on PATH
    "gcc-mingw-w64-x86-64": "x86_64-w64-mingw32-gcc",
    "llvm": "llvm-objdump",
}
ARM64_SUITE = "bookworm"
ARM64_PACKAGES = ("python3", "python3-pip", "python3-pytest", "python3-cryptography")
ARM64_TESTS = ("test_loader.py", "test_attack_corpus.py")
MINGW = "x86_64-w64-mingw32-gcc"
WINE = APT_TOOLS["wine64"]
WINE_ENV = {"WINEDEBUG": "-all", "WINEDLLOVERRIDES": "mscoree,mshtml="}
# aws-lc's bundled jitterentropy declares its functions __declspec(dllexport) on any Windows
# compiler (jitterentropy.h, JENT_PRIVATE_STATIC), and a DLL link honours that beside the .def
# file rustc writes: the Windows DLL exports these nine internal names too (MSVC as well as
# mingw). Known and reported; any other extra export fails the check.
KNOWN_PE_EXTRA_EXPORT = re.compile(r"^aws_lc_\d+_\d+_\d+_jent_\w+$")
SYSTEM_DYLIB_PREFIXES = ("/usr/lib/", "/System/Library/Frameworks/")


class CheckError(Exception):
    """A check failed; the message says what was seen."""


@dataclasses.dataclass
class Case:
    platform: str
    name: str
    ok: bool
    detail: str
    seconds: float


class Results:
    """Every check, grouped by platform; printed as it runs and written as JUnit."""

    def __init__(self) -> None:
        self.cases: list[Case] = []

    def check(self, platform: str, name: str, func: Callable[[], str]) -> bool:
        start = time.monotonic()
        try:
            detail, ok = func(), True
        except (CheckError, CargoBuildError, subprocess.CalledProcessError, OSError,
                ValueError, KeyError) as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        self.cases.append(Case(platform, name, ok, detail, time.monotonic() - start))
        print(f"{'ok  ' if ok else 'FAIL'} [{platform}] {name}: {detail}", flush=True)
        return ok

    def fail(self, platform: str, name: str, reason: str) -> None:
        self.cases.append(Case(platform, name, False, reason, 0.0))
        print(f"FAIL [{platform}] {name}: {reason}", flush=True)

    def platform_ok(self, platform: str) -> bool:
        mine = [c for c in self.cases if c.platform == platform]
        return bool(mine) and all(c.ok for c in mine)

    def write_junit(self, path: Path) -> None:
        suite = ET.Element("testsuite", name="platforms", tests=str(len(self.cases)),
                           failures=str(sum(not c.ok for c in self.cases)), errors="0",
                           skipped="0")
        for case in self.cases:
            element = ET.SubElement(suite, "testcase", classname=f"platforms.{case.platform}",
                                    name=case.name, time=f"{case.seconds:.3f}")
            if not case.ok:
                ET.SubElement(element, "failure", message=case.detail[:500]).text = case.detail
        root = ET.Element("testsuites")
        root.append(suite)
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _run(command: list[str], **kwargs: object) -> str:
    """Run ``command``; its stdout, or CheckError with everything it printed."""
    proc = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise CheckError(f"{' '.join(map(str, command[:6]))} … exited {proc.returncode}:\n"
                         f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}".rstrip())
    return str(proc.stdout)


def header_functions() -> set[str]:
    """Every function gopher_auth.h declares."""
    return set(re.findall(r"^\S.*?\b(gopher_auth_\w+)\(", HEADER.read_text(), re.MULTILINE))


def _same_as_header(exported: set[str]) -> str:
    declared = header_functions()
    if exported != declared:
        raise CheckError(f"missing {sorted(declared - exported)}, extra {sorted(exported - declared)}")
    return f"gopher_auth_* exports == header ({len(declared)} functions)"


# ------------------------------------------------------------------------------- the tools


def _have(command: str) -> bool:
    return shutil.which(command) is not None or Path(command).is_file()


def ensure_tools(install: bool) -> dict[str, str]:
    """Install the Debian packages and rustup targets this step needs; map tool -> why missing."""
    missing = {pkg: cmd for pkg, cmd in APT_TOOLS.items() if not _have(cmd)}
    problems: dict[str, str] = {}
    refused = ""
    if missing and install and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"== apt-get install {' '.join(missing)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        update = subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, text=True)
        proc = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                              env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            refused = " | ".join((update.stderr + proc.stderr).strip().splitlines()[-3:])
            print(f"!! apt-get install refused: {refused}", file=sys.stderr)
    for pkg, cmd in APT_TOOLS.items():
        if not _have(cmd):
            how = f" (apt-get: {refused})" if refused else "" if install else " (--no-install)"
            if install and os.geteuid() != 0:
                how = " (not root: cannot apt-get install)"
            problems[cmd] = f"{cmd} missing: Debian package {pkg} not installed{how}"
    installed = _installed_rust_targets()
    for platform in PLATFORMS.values():
        target = platform.linux_cross_target or platform.rust_target
        if target not in installed and not (install and _add_rust_target(target)):
            problems[target] = f"Rust target {target} missing and `rustup target add {target}` failed"
    if not _zig_available():
        problems["zig"] = "cargo-zigbuild/ziglang not installed (pip install -r scripts/requirements-build.txt)"
    return problems


# ------------------------------------------------------------------------------- building

_FRAMEWORK_LINK = re.compile(r'name\s*=\s*"(\w+)"\s*,\s*kind\s*=\s*"framework"')
_EXTERN_ITEM = re.compile(r"\b(?:fn|static(?:\s+mut)?)\s+(\w+)\s*[(:<]")
# Constants some -sys crates declare through macros (security-framework-sys' key algorithms).
_MACRO_CONSTANT = re.compile(r"\b(k(?:Sec|CF)[A-Z]\w+)\b")


def _extern_symbols(source: str, sys_crate: bool) -> set[str]:
    """Names declared inside ``extern "C" { ... }`` blocks of a Rust file."""
    names: set[str] = set()
    for match in re.finditer(r'extern\s+"C"\s*\{', source):
        depth, at = 1, match.end()
        while depth and at < len(source):
            depth += {"{": 1, "}": -1}.get(source[at], 0)
            at += 1
        names |= set(_EXTERN_ITEM.findall(source[match.end():at]))
    if "macro_rules!" in source and sys_crate:
        names |= set(_MACRO_CONSTANT.findall(source))
    return names


def macos_stub_sdk() -> Path:
    """A stand-in for the parts of the macOS SDK the link needs: text stubs (.tbd) of the system
    frameworks our dependencies link (Security, CoreFoundation, …), each listing the C symbols
    those crates declare, under the framework's real install name.

    zig ships libSystem's stubs but no frameworks; with these, cargo-zigbuild links the dylib
    with the same load commands an Xcode link would record. Releases link against the real SDK
    on a macOS runner; this is for the pre-release inspection only.
    """
    metadata = json.loads(_run(["cargo", "metadata", "--format-version", "1", "--locked",
                                "--filter-platform", "aarch64-apple-darwin",
                                "--manifest-path", str(REPO / "native" / "Cargo.toml")]))
    resolved = {node["id"] for node in metadata["resolve"]["nodes"]}
    frameworks: dict[str, set[str]] = {}
    for package in metadata["packages"]:
        if package["id"] not in resolved:
            continue
        sources = [f.read_text(errors="replace")
                   for f in Path(package["manifest_path"]).parent.rglob("src/**/*.rs")]
        linked = {name for text in sources for name in _FRAMEWORK_LINK.findall(text)}
        if len(linked) > 1:
            raise CheckError(f"{package['name']} links {sorted(linked)}: cannot tell whose symbols are whose")
        for name in linked:
            frameworks.setdefault(name, set()).update(
                *(_extern_symbols(t, package["name"].endswith("-sys")) for t in sources))
    sdk = WORK / "macos-sdk"
    if sdk.exists():
        shutil.rmtree(sdk)
    for name, symbols in frameworks.items():
        folder = sdk / "System" / "Library" / "Frameworks" / f"{name}.framework"
        folder.mkdir(parents=True)
        listed = ", ".join(f"_{s}" for s in sorted(symbols))
        (folder / f"{name}.tbd").write_text(
            "--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos, arm64-macos ]\n"
            f"install-name: '/System/Library/Frameworks/{name}.framework/Versions/A/{name}'\n"
            "exports:\n  - targets: [ x86_64-macos, arm64-macos ]\n"
            f"    symbols: [ {listed} ]\n...\n")
    print(f"== macOS framework stubs: {', '.join(f'{n} ({len(s)} symbols)' for n, s in frameworks.items())}")
    return sdk



def build_all(results: Results, problems: dict[str, str]) -> dict[str, Path]:
    """Each platform's library, built once and packed by the shared hook; the core wheel+sdist."""
    if DIST.exists():
        shutil.rmtree(DIST)
    DIST.mkdir(parents=True)
    libraries: dict[str, Path] = {}
    stub_sdk: list[Path] = []
    for platform in PLATFORMS.values():
        target = platform.linux_cross_target or platform.rust_target
        blockers = [problems[k] for k in (target, "zig") if k in problems]
        if platform.os == "win" and MINGW in problems:
            blockers.append(problems[MINGW])
        if blockers:
            results.fail(platform.name, "build library and wheel (the release hook)", "; ".join(blockers))
            continue

        cross = dataclasses.replace(platform, rust_target=target)

        def build(built: Platform = cross) -> str:
            # zig for Linux (glibc 2.17) and macOS (links without an Apple SDK); mingw for Windows
            env = None
            if built.os == "win":
                env = {f"CARGO_TARGET_{built.rust_target.upper().replace('-', '_')}_LINKER": MINGW}
            elif built.os == "darwin":
                if not stub_sdk:
                    stub_sdk.append(macos_stub_sdk())
                env = {"SDKROOT": str(stub_sdk[0])}
            library = build_native_wheel(Plan(built, zig=built.os != "win", env=env), DIST)
            libraries[built.name] = library
            return f"{built.rust_target}: {library.relative_to(REPO)}"

        results.check(platform.name, "build library and wheel (the release hook)", build)
    print("== gopher-mcp-python: sdist, then the wheel from the sdist", flush=True)

    def core() -> str:
        run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(DIST), str(CORE_DIR)])
        return ", ".join(sorted(p.name for p in DIST.glob("gopher_mcp_python-*")))

    results.check("core", "build sdist and wheel", core)
    return libraries


def wheel_of(platform: Platform) -> Path:
    found = sorted(DIST.glob(f"{platform.import_name}-{VERSION}-*.whl"))
    if len(found) != 1:
        raise CheckError(f"expected one {platform.distribution} wheel in {DIST}, found {found}")
    return found[0]


def extract_library(platform: Platform, into: Path) -> Path:
    """The library exactly as the wheel ships it."""
    with zipfile.ZipFile(wheel_of(platform)) as archive:
        return Path(archive.extract(f"{platform.import_name}/{platform.library_file}", into))


# ---------------------------------------------------------------------- loader <-> wheel names


def loader_names(platform: Platform) -> tuple[str, str]:
    """(module, library file) the core package's loader looks for, on ``platform`` (faked)."""
    code = (
        "import sys, platform, json\n"
        f"env = {platform.marker_environment!r}\n"
        "sys.platform = env['sys_platform']\n"
        "platform.machine = lambda: env['platform_machine']\n"
        "from gopher_mcp_python.ffi.auth._platform import detect_platform\n"
        "p = detect_platform()\n"
        "print(json.dumps([p.tag, p.module_name, p.wheel_library_name]))\n"
    )
    src = REPO / "packages" / "gopher-mcp-python" / "src"
    out = _run([sys.executable, "-S", "-c", code], env={**os.environ, "PYTHONPATH": str(src)})
    tag, module, library = json.loads(out)
    if tag != platform.name:
        raise CheckError(f"the loader calls this platform {tag}, the wheel table {platform.name}")
    return module, library


def check_wheel_matches_loader(platform: Platform) -> str:
    module, library = loader_names(platform)
    with zipfile.ZipFile(wheel_of(platform)) as archive:
        names = set(archive.namelist())
    if f"{module}/{library}" not in names or f"{module}/__init__.py" not in names:
        raise CheckError(f"the loader looks for {module}/{library}; the wheel holds {sorted(names)}")
    return f"the loader (platform faked as {platform.marker_environment['sys_platform']}/"\
           f"{platform.marker_environment['platform_machine']}) looks for {module}/{library}: in the wheel"


# ---------------------------------------------------------------------------- linux-arm64


def arm64_root() -> Path:
    """An arm64 Debian root file system with Python, pip, pytest and cryptography (cached)."""
    root = WORK / "arm64-root"
    stamp = root / ".gopher-packages"
    wanted = f"{ARM64_SUITE} {' '.join(ARM64_PACKAGES)}"
    if stamp.is_file() and stamp.read_text() == wanted:
        return root
    if root.exists():
        shutil.rmtree(root)
    # extract: unpack the packages and their dependencies without running maintainer scripts,
    # which would need an arm64 CPU (or binfmt_misc, which containers often lack).
    _run(["mmdebstrap", "--variant=extract", "--arch=arm64", f"--include={','.join(ARM64_PACKAGES)}",
          ARM64_SUITE, str(root), f"deb http://deb.debian.org/debian {ARM64_SUITE} main"])
    stamp.write_text(wanted)
    return root


def arm64_python(root: Path) -> tuple[Path, dict[str, str]]:
    """A fresh venv of the arm64 Python, and its launcher: a shell script running qemu.

    The launcher is also ``sys.executable`` inside (qemu's -0 sets argv[0]), so the loader
    tests' fresh interpreters run under qemu too without binfmt_misc. ``cc``/``gcc``/``ld``
    on PATH are the aarch64 cross tools, as a native arm64 machine would have.
    """
    venv = WORK / "arm64-venv"
    if venv.exists():
        shutil.rmtree(venv)
    qemu = shutil.which("qemu-aarch64-static")
    if qemu is None:
        raise CheckError("qemu-aarch64-static missing")
    python = root / "usr" / "bin" / "python3"
    _run([qemu, "-L", str(root), str(python), "-m", "venv", "--without-pip",
          "--system-site-packages", str(venv)])
    launcher = venv / "bin" / "python-qemu"
    launcher.write_text(f'#!/bin/sh\nexec {qemu} -L {root} -0 "$0" {venv}/bin/python3 "$@"\n')
    launcher.chmod(0o755)
    tools = WORK / "arm64-tools"
    tools.mkdir(exist_ok=True)
    for name, cross in (("cc", "aarch64-linux-gnu-gcc"), ("gcc", "aarch64-linux-gnu-gcc"),
                        ("ld", "aarch64-linux-gnu-ld")):
        link = tools / name
        link.unlink(missing_ok=True)
        link.symlink_to(shutil.which(cross) or cross)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "GOPHER_ORCH_"))}
    env.update(PATH=f"{tools}{os.pathsep}{env.get('PATH', '')}", PIP_CONFIG_FILE=os.devnull,
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1", PYTHONDONTWRITEBYTECODE="1")
    return launcher, env


def arm64_tree(library: Path | None) -> Path:
    """A checkout as a fresh arm64 clone sees it: header, corpus, tests; no x86_64 builds.

    The tests find their repository by ``native/Cargo.toml``; in this one the only cargo
    build is the arm64 library, so the loader's development-build branch is run with it.
    """
    tree = WORK / "arm64-tree"
    if tree.exists():
        shutil.rmtree(tree)
    for relative in ("GOPHER_ORCH_VERSION", "native/Cargo.toml", "native/include/gopher_auth.h",
                     "native/tests/data/corpus.json", "packages/gopher-mcp-python/pyproject.toml"):
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / relative, tree / relative)
    shutil.copytree(CORE_TESTS, tree / "packages" / "gopher-mcp-python" / "tests",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if library is not None:
        release = tree / "native" / "target" / "release"
        release.mkdir(parents=True)
        shutil.copyfile(library, release / library.name)
    return tree


def check_linux_arm64(results: Results, library: Path | None) -> None:
    name = "linux-arm64"
    state: dict[str, object] = {}

    def rootfs() -> str:
        root = arm64_root()
        launcher, env = arm64_python(root)
        state.update(launcher=launcher, env=env)
        out = _run([str(launcher), "-c", "import platform, sys; print(platform.machine(), sys.version.split()[0])"],
                   env=env)
        if not out.startswith("aarch64 "):
            raise CheckError(f"the emulated Python says {out!r}")
        return f"Debian {ARM64_SUITE} arm64 Python {out.split()[1]} runs under qemu-user"

    if not results.check(name, "arm64 Python under qemu", rootfs):
        return
    launcher, env = Path(str(state["launcher"])), dict(state["env"])  # type: ignore[call-overload]

    def install() -> str:
        _run([str(launcher), "-m", "pip", "install", "-q", "--no-index", "--find-links", str(DIST),
              f"{CORE}=={VERSION}"], env=env)
        out = _run([str(launcher), "-c",
                    "import importlib.metadata as m, gopher_mcp_python as g; info = g.load_library(); "
                    f"print(m.version('{PLATFORMS[name].distribution}'), info.source, info.version)"],
                   env=env, cwd=str(WORK))
        version, *source, engine = out.split()
        if version != VERSION or engine != VERSION or PLATFORMS[name].import_name not in " ".join(source):
            raise CheckError(f"installed/loaded: {out.strip()}")
        return f"pip --no-index installed {CORE} + {PLATFORMS[name].distribution} {version} (markers); loads it"

    if not results.check(name, "install the wheels and load", install):
        return

    def tests() -> str:
        tree = arm64_tree(library)
        junit = WORK / "arm64-pytest.xml"
        tests_dir = tree / "packages" / "gopher-mcp-python" / "tests"
        proc = subprocess.run(
            [str(launcher), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
             *[str(tests_dir / t) for t in ARM64_TESTS]],
            env=env, cwd=str(tree / "packages" / "gopher-mcp-python"), capture_output=True, text=True)
        if not junit.is_file():
            raise CheckError(f"pytest wrote no report:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        suite = next(ET.parse(junit).getroot().iter("testsuite"))
        total, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
        bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        corpus = len(json.loads(CORPUS.read_text())["cases"])
        if proc.returncode != 0 or bad or skipped or total < corpus:
            raise CheckError(f"{total} tests, {bad} failed, {skipped} skipped:\n{proc.stdout[-4000:]}")
        return f"{total} tests passed under emulation (loader tests + {corpus} corpus cases)"

    results.check(name, "loader tests and attack corpus (Python API)", tests)


# -------------------------------------------------------------------------------- win-x64


def wine(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **WINE_ENV, "WINEPREFIX": str(WORK / "wine")}
    return subprocess.run([WINE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)


def import_library(dll: Path) -> Path:
    """An import library for the DLL under its shipped name, from the header's functions: how a
    C program on Windows links against gopher-orch.dll (the DLL calls itself gopher_orch.dll,
    cargo's name, so linking against the file itself would import that name)."""
    definition = dll.with_suffix(".def")
    definition.write_text(f"LIBRARY {dll.name}\nEXPORTS\n" + "".join(f"    {f}\n" for f in sorted(header_functions())))
    library = dll.parent / f"lib{dll.stem}.dll.a"
    _run(["x86_64-w64-mingw32-dlltool", "-d", str(definition), "-D", dll.name, "-l", str(library)])
    return library


def mingw_compile(source: Path, exe: Path, imports: Path) -> None:
    _run([MINGW, "-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-static-libgcc",
          "-I", str(HEADER.parent), str(source), "-o", str(exe), str(imports)])


C_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def corpus_lines() -> tuple[list[str], dict[str, str]]:
    """The corpus as corpus_runner.c reads it, and each case's expected verdict."""
    corpus = json.loads(CORPUS.read_text())
    algs = ",".join(corpus["policy"]["allowed_algs"])
    lines, expected = [], {}
    for case in corpus["cases"]:
        token = case["token"] if isinstance(case["token"], str) else "".join(
            p if isinstance(p, str) else p["repeat"] * p["count"] for p in case["token"]["generate"])
        if hashlib.sha256(token.encode()).hexdigest() != case["token_sha256"]:
            raise CheckError(f"{case['name']}: token does not match its sha256")
        checks = case["required_checks"]
        fields = [case["name"], checks["issuer"], checks.get("audience") or "",
                  " ".join(checks["required_scopes"]), str(checks["clock_skew_s"]), str(checks["now"]),
                  algs, token]
        if any("\0" in f for f in fields):
            raise CheckError(f"{case['name']}: a NUL byte cannot pass through a C string")
        lines.append("\t".join(f.translate(C_ESCAPES) for f in fields))
        expected[case["name"]] = case["expected"]
    return lines, expected


def smoke_tokens() -> list[str]:
    """JWKS, a good and a badly signed token, issuer, audience, as smoke.c wants them."""
    sys.path.insert(0, str(CORE_TESTS))
    from jose_mint import generate_key, jwks, mint  # type: ignore[import-not-found]

    issuer, audience = "https://idp.test.example", "https://mcp.test.example"
    key, other = generate_key("EdDSA", kid="smoke-key"), generate_key("EdDSA", kid="smoke-key")
    now = int(time.time())
    claims = {"iss": issuer, "sub": "alice", "aud": audience, "exp": now + 3600, "iat": now,
              "scope": "mcp:read mcp:write mcp:read"}
    good, bad = mint(key, claims), mint(other, {**claims, "scope": "mcp:read"})
    return [json.dumps(jwks(key)), good, bad, issuer, audience]


def check_win_x64(results: Results, library: Path | None) -> None:
    name = "win-x64"
    platform = PLATFORMS[name]
    stage = WORK / "win"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    state: dict[str, Path] = {}

    def exports() -> str:
        dll = extract_library(platform, stage / "wheel")
        state["dll"] = import_library(shutil.copyfile(dll, stage / platform.library_file))
        # Wine 8.0 lacks bcryptprimitives.dll (Rust's std takes random numbers from it on Windows)
        _run([MINGW, "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-shared", "-static-libgcc",
              "-o", str(stage / "bcryptprimitives.dll"), str(REPO / "scripts" / "wine" / "bcryptprimitives.c"),
              "-ladvapi32"])
        out = _run(["llvm-readobj", "--coff-exports", str(dll)])
        exported = set(re.findall(r"^\s*Name: (\S+)$", out, re.MULTILINE))
        known = {e for e in exported if KNOWN_PE_EXTRA_EXPORT.match(e)}
        exported -= known
        imports = sorted(set(re.findall(r"^\s*Name: (\S+\.dll)$",
                                        _run(["llvm-readobj", "--coff-imports", str(dll)]),
                                        re.MULTILINE | re.IGNORECASE)))
        foreign = [i for i in imports if i.lower().startswith(("libgcc", "libwinpthread", "libstdc"))]
        if foreign:
            raise CheckError(f"the DLL needs mingw runtime DLLs the wheel does not ship: {foreign}")
        extra = f", + {len(known)} aws-lc jent_* (dllexport in aws-lc, KNOWN DEFECT)" if known else ", nothing else"
        return _same_as_header(exported) + f"{extra}; imports only {', '.join(imports)}"

    if not results.check(name, "DLL exports vs gopher_auth.h", exports):
        return

    def smoke() -> str:
        exe = stage / "smoke.exe"
        mingw_compile(REPO / "native" / "tests" / "c" / "smoke.c", exe, state["dll"])
        proc = wine([exe.name, *smoke_tokens()], cwd=stage)
        if proc.returncode != 0 or "all checks passed" not in proc.stdout:
            raise CheckError(f"exit {proc.returncode}:\n{proc.stdout}{proc.stderr[-3000:]}")
        return "smoke.c (mingw-w64) against gopher-orch.dll under Wine: all checks passed"

    results.check(name, "C smoke test under Wine", smoke)

    def corpus() -> str:
        exe = stage / "corpus_runner.exe"
        mingw_compile(REPO / "native" / "tests" / "c" / "corpus_runner.c", exe, state["dll"])
        lines, expected = corpus_lines()
        (stage / "cases.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (stage / "jwks.json").write_text(json.dumps(json.loads(CORPUS.read_text())["jwks"]))
        proc = wine([exe.name, "jwks.json", "cases.tsv"], cwd=stage)
        if proc.returncode != 0:
            raise CheckError(f"exit {proc.returncode}:\n{proc.stderr[-3000:]}")
        verdicts = {}
        for row in proc.stdout.splitlines():
            case, first, second = row.rsplit("\t", 2)
            verdicts[case] = (int(first), int(second))
        wrong = [f"{case}: expected {want}, got {verdicts.get(case)}" for case, want in expected.items()
                 if case not in verdicts or (verdicts[case][0] == 0) != (want == "valid")
                 or verdicts[case][0] != verdicts[case][1]]
        if wrong or len(verdicts) != len(expected):
            raise CheckError(f"{len(wrong)} wrong verdicts of {len(expected)}: {wrong[:10]}")
        valid = sum(v == "valid" for v in expected.values())
        return (f"{len(expected)} corpus cases through the C ABI under Wine, every verdict right "
                f"({valid} valid, {len(expected) - valid} rejected; cache verdict == first)")

    results.check(name, "attack corpus through the C ABI under Wine", corpus)


# -------------------------------------------------------------------------------- darwin


def check_darwin(results: Results, platform: Platform) -> None:
    name = platform.name

    def inspect() -> str:
        scratch = Path(tempfile.mkdtemp(prefix="gopher-macho-", dir=WORK))
        try:
            dylib = extract_library(platform, scratch)
            info = inspect_library(dylib)
            tag = wheel_of(platform).name.rsplit("-", 1)[1].removesuffix(".whl")
            mac_arch = "arm64" if platform.arch == "aarch64" else "x86_64"
            if info.arch != platform.arch or info.requires is None:
                raise CheckError(f"{info.describe()}, minos {info.requires}")
            promised = platform.wheel_tag(None).removeprefix("py3-none-")
            if tag != promised or info.requires > (platform.floor or (0, 0)):
                raise CheckError(f"minos {info.requires}, wheel tag {tag}, table floor says {promised}")
            trie = _run(["llvm-objdump", "--macho", "--exports-trie", str(dylib)])
            exported = {m.removeprefix("_") for m in re.findall(r"^0x[0-9A-Fa-f]+\s+(\S+)", trie, re.MULTILINE)}
            ours = {e for e in exported if e.startswith("gopher_auth_")}
            # zig's Mach-O linker ignores rustc's -exported_symbols_list, so Rust's internal
            # symbols are exported too; Apple's ld (the release link) honours it. Only the
            # C ABI names are compared here; "nothing else" is proven on ELF and PE.
            header = _same_as_header(ours) + f" (+{len(exported) - len(ours)} Rust-internal: zig link)"
            used = _run(["llvm-objdump", "--macho", "--dylibs-used", str(dylib)]).splitlines()[1:]
            dylib_id = _run(["llvm-objdump", "--macho", "--dylib-id", str(dylib)]).split()[-1]
            dylibs = [d for d in (line.split(" (")[0].strip() for line in used if line.strip()) if d != dylib_id]
            outside = [d for d in dylibs if not d.startswith(SYSTEM_DYLIB_PREFIXES)
                       or re.search(r"ssl|crypto|homebrew|/usr/local|/opt/", d)]
            if outside or not any("libSystem" in d for d in dylibs):
                raise CheckError(f"links {dylibs}; not system libraries: {outside}")
            if dylib_id != "@rpath/libgopher-orch.dylib":
                raise CheckError(f"install name {dylib_id}")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        short = ", ".join(d.rsplit("/", 1)[-1] for d in dylibs)
        return (f"Mach-O {mac_arch} dylib, minos {info.requires[0]}.{info.requires[1]} fits {tag}; {header}; "
                f"links only {short}; install name {dylib_id}")

    results.check(name, "Mach-O inspection", inspect)


# ---------------------------------------------------------------------- release and install


def release_names() -> set[str]:
    """The file names release.yml publishes: its five cibuildwheel jobs (MACOSX_DEPLOYMENT_TARGET
    from cibuildwheel.toml) and the core job."""
    config = tomllib.loads((REPO / "packages" / "native-common" / "cibuildwheel.toml").read_text())
    targets = {o["select"]: o["environment"]["MACOSX_DEPLOYMENT_TARGET"]
               for o in config["tool"]["cibuildwheel"]["overrides"]}
    names = {f"gopher_mcp_python-{VERSION}-py3-none-any.whl", f"gopher_mcp_python-{VERSION}.tar.gz"}
    for platform in PLATFORMS.values():
        required = None
        if platform.os == "darwin":
            mac_arch = "arm64" if platform.arch == "aarch64" else "x86_64"
            major, minor = targets[f"*-macosx_{mac_arch}"].split(".")
            required = (int(major), int(minor))
        names.add(f"{platform.import_name}-{VERSION}-{platform.wheel_tag(required)}.whl")
    return names


def check_release_names() -> str:
    built = {p.name for p in DIST.iterdir()}
    wanted = release_names()
    if built != wanted:
        raise CheckError(f"built here only: {sorted(built - wanted)}; release only: {sorted(wanted - built)}")
    return f"the {len(wanted)} files release.yml publishes, by name: {', '.join(sorted(wanted))}"


PIP_WITH_MARKERS = """
import sys
from pip._vendor.packaging import markers
env = {**markers.default_environment(), **__ENV__}
markers.default_environment = lambda: dict(env)
from pip._internal.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def pip_download(platform: Platform, requirement: str) -> list[str]:
    """``pip download --platform <tag>`` with the platform's marker values; the files it took."""
    tag = wheel_of(platform).name.rsplit("-", 1)[1].removesuffix(".whl").split(".")[0]
    code = PIP_WITH_MARKERS.replace("__ENV__", repr(platform.marker_environment))
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
        env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
        _run([sys.executable, "-c", code, "download", "--only-binary", ":all:", "--platform", tag,
              "--python-version", "3.12", "--no-index", "--find-links", str(DIST), "--dest", scratch,
              requirement], env=env)
        return sorted(os.listdir(scratch))


def check_install_matrix(platform: Platform) -> str:
    native = wheel_of(platform).name
    core = f"gopher_mcp_python-{VERSION}-py3-none-any.whl"
    by_markers = pip_download(platform, f"{CORE}=={VERSION}")
    by_extra = pip_download(platform, f"{CORE}[{platform.name}]=={VERSION}")
    for how, got in (("markers", by_markers), ("extra", by_extra)):
        if got != sorted([core, native]):
            raise CheckError(f"through the {how}, pip took {got}, expected {sorted([core, native])}")
    return f"pip download --platform resolves {native} (markers and extra [{platform.name}])"


# ----------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--junit", type=Path, default=REPO / ".test-results" / "platforms.xml")
    parser.add_argument("--no-install", action="store_true", help="install no apt package or rustup target")
    parser.add_argument("--only", nargs="+", choices=list(PLATFORMS), metavar="PLATFORM",
                        help="build everything, but run the per-platform checks of these only (development)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    results = Results()
    problems = ensure_tools(install=not args.no_install)
    for problem in problems.values():
        print(f"!! {problem}", flush=True)
    libraries = build_all(results, problems)
    passed, failed = verify(DIST, pythons=[], expect_version=VERSION, install=False, all_platforms=True)
    results.cases.append(Case("release", "dist_verify: twine, tags, contents, auditwheel",
                              failed == 0, f"{passed} passed, {failed} failed", 0.0))
    results.check("release", "same file names as release.yml", check_release_names)
    for platform in PLATFORMS.values():
        if platform.name not in libraries or (args.only and platform.name not in args.only):
            continue
        results.check(platform.name, "wheel where the loader looks", partial_(check_wheel_matches_loader, platform))
        results.check(platform.name, "install matrix", partial_(check_install_matrix, platform))
        if platform.name == "linux-arm64":
            if "qemu-aarch64-static" in problems or "mmdebstrap" in problems:
                results.fail(platform.name, "execute under qemu", problems.get("qemu-aarch64-static")
                             or problems["mmdebstrap"])
            else:
                check_linux_arm64(results, libraries.get(platform.name))
        elif platform.name == "win-x64":
            missing = [problems[t] for t in (WINE, "llvm-objdump") if t in problems]
            if missing:
                results.fail(platform.name, "execute under Wine", "; ".join(missing))
            else:
                check_win_x64(results, libraries.get(platform.name))
        elif platform.os == "darwin":
            if "llvm-objdump" in problems:
                results.fail(platform.name, "Mach-O inspection", problems["llvm-objdump"])
            else:
                check_darwin(results, platform)
    results.write_junit(args.junit)

    proofs = {
        "linux-x64": "built (zig, glibc 2.17), tag + auditwheel; executed by the build and tox steps",
        "linux-arm64": "built (zig, glibc 2.17), installed by an aarch64 pip, loader tests + corpus "
                       "executed under qemu-user",
        "win-x64": "built (mingw-w64), gopher_auth_* exports == header (+9 known aws-lc jent_*), wheel "
                   "win_amd64 with gopher-orch.dll, C smoke + corpus executed under Wine",
        "darwin-arm64": "cross-linked (zig), Mach-O arm64, minos/tag, exports, system libraries only",
        "darwin-x64": "cross-linked (zig), Mach-O x86_64, minos/tag, exports, system libraries only",
    }
    print("\n== what each platform proved")
    for platform in PLATFORMS.values():
        if args.only and platform.name not in args.only:
            print(f"------ {platform.name:<13} built only (--only)")
            continue
        mine = [c for c in results.cases if c.platform == platform.name]
        if results.platform_ok(platform.name):
            print(f"PROVEN {platform.name:<13} {proofs[platform.name]} ({len(mine)} checks)")
        else:
            first = next((c for c in mine if not c.ok), None)
            why = f"{first.name}: {first.detail.splitlines()[0]}" if first else "nothing ran"
            print(f"FAILED {platform.name:<13} {why}")
    for other in ("release", "core"):
        print(f"{'PROVEN' if results.platform_ok(other) else 'FAILED'} {other:<13} "
              + "; ".join(c.name for c in results.cases if c.platform == other))
    passed = sum(c.ok for c in results.cases)
    failed = len(results.cases) - passed
    print(f"\nplatforms: {time.monotonic() - started:.0f} s")
    print(f"platforms: {passed} passed, {failed} failed")
    return 1 if failed else 0


def partial_(func: Callable[[Platform], str], platform: Platform) -> Callable[[], str]:
    return lambda: func(platform)


if __name__ == "__main__":
    sys.exit(main())
