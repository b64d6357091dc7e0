"""The loader: every search place, every failure message, the ABI check, and that it is ours."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

import gopher_mcp_python
from gopher_mcp_python import (
    ABI_VERSION,
    NativeLibraryInfo,
    get_auth_functions,
    get_library,
    get_library_info,
    gopher_get_auth_library_version,
    is_auth_available,
    is_library_loaded,
    load_library,
)
from gopher_mcp_python.ffi.auth._platform import detect_platform
from isolated_python import make_sandbox, run_python

PLATFORM = detect_platform()

DESCRIBE = """
import gopher_mcp_python as g
try:
    info = g.load_library()
    report({"path": info.path, "source": info.source, "version": info.version,
            "abi": info.abi_version, "available": g.is_auth_available()})
except g.NativeLibraryError as exc:
    report({"error": str(exc), "available": g.is_auth_available(),
            "loaded": g.is_library_loaded()})
"""


def header_functions(repo_root: Path) -> set[str]:
    """Every function the C header declares."""
    text = (repo_root / "native" / "include" / "gopher_auth.h").read_text()
    return set(re.findall(r"^\S.*?\b(gopher_auth_\w+)\(", text, re.MULTILINE))


def c_compiler() -> str:
    """A C compiler for the fake libraries (every supported CI host but Windows has one)."""
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return found
    if sys.platform == "win32":
        pytest.skip("no C compiler on this Windows host to build the fake libraries")
    raise RuntimeError("no C compiler (cc/gcc/clang) found")


def build_fake_library(directory: Path, name: str, source: str) -> Path:
    """Compile ``source`` into a shared library ``directory/name``."""
    directory.mkdir(parents=True, exist_ok=True)
    c_file = directory / (name + ".c")
    c_file.write_text(source)
    output = directory / name
    subprocess.run(
        [c_compiler(), "-shared", "-fPIC", "-o", str(output), str(c_file)],
        check=True,
        capture_output=True,
    )
    return output


def copy_library(native_library: NativeLibraryInfo, destination: Path) -> Path:
    """A copy of the real library at ``destination``."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(native_library.path, destination)
    return destination


# --------------------------------------------------------------------------------- in-process


def test_the_loaded_library_is_ours(native_library: NativeLibraryInfo, repo_root: Path) -> None:
    """pip can never silently hand us upstream's 0.1.x library: version and ABI are ours."""
    header = (repo_root / "native" / "include" / "gopher_auth.h").read_text()
    header_abi = int(re.search(r"#define GOPHER_AUTH_ABI_VERSION (\d+)", header).group(1))  # type: ignore[union-attr]
    assert ABI_VERSION == header_abi == 3
    assert native_library.abi_version == ABI_VERSION
    assert get_auth_functions().gopher_auth_abi_version() == 3
    assert gopher_mcp_python.__version__ == "0.2.0"
    assert native_library.version == gopher_mcp_python.__version__
    assert gopher_get_auth_library_version() == gopher_mcp_python.__version__
    version_file = repo_root / "GOPHER_ORCH_VERSION"
    if version_file.exists():
        assert version_file.read_text().strip() == gopher_mcp_python.__version__


def test_every_function_of_the_header_is_bound_with_a_prototype(
    native_library: NativeLibraryInfo, repo_root: Path
) -> None:
    functions = get_auth_functions()
    declared = header_functions(repo_root)
    bound_names = {name for name in vars(functions) if name.startswith("gopher_auth_")}
    assert bound_names == declared
    assert len(declared) == 36
    for name in declared:
        bound = getattr(functions, name)
        assert bound.argtypes is not None, name
        assert bound.__name__ == name


def test_loader_queries(native_library: NativeLibraryInfo) -> None:
    assert is_library_loaded()
    assert is_auth_available()
    assert isinstance(get_library(), ctypes.CDLL)
    assert get_library_info() is load_library() is native_library
    assert Path(native_library.path).is_file()


# ------------------------------------------------------------------------- search places


def test_environment_override(native_library: NativeLibraryInfo, tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path)
    library = copy_library(native_library, tmp_path / "anywhere" / "custom-name.so")
    _, result = run_python(
        DESCRIBE, sandbox=sandbox, env={"GOPHER_ORCH_LIBRARY_PATH": str(library)}
    )
    assert result == {
        "path": str(library),
        "source": "GOPHER_ORCH_LIBRARY_PATH",
        "version": "0.2.0",
        "abi": 3,
        "available": True,
    }


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_environment_override_must_name_a_file(
    native_library: NativeLibraryInfo, tmp_path: Path, kind: str
) -> None:
    """An explicit override never falls back to another library."""
    target = tmp_path / "nowhere" / "libgopher-orch.so"
    if kind == "directory":
        target.mkdir(parents=True)
    sandbox = make_sandbox(tmp_path / "box")  # with a good platform package: never used
    library = copy_library(
        native_library, sandbox.site / PLATFORM.module_name / PLATFORM.wheel_library_name
    )
    sandbox.add_module(PLATFORM.module_name, platform_package_source(library))
    _, result = run_python(DESCRIBE, sandbox=sandbox, env={"GOPHER_ORCH_LIBRARY_PATH": str(target)})
    message = result["error"]
    assert "GOPHER_ORCH_LIBRARY_PATH" in message
    assert str(target) in message
    assert ("does not exist" if kind == "missing" else "is not a file") in message
    assert result["available"] is False
    assert result["loaded"] is False


def platform_package_source(library_path: Path) -> str:
    return (
        '"""A stand-in for the platform wheel, pointing at a copy of the real library."""\n'
        "__version__ = '0.2.0'\n"
        f"def get_library_path():\n    return {str(library_path)!r}\n"
    )


def test_installed_platform_package(native_library: NativeLibraryInfo, tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path)
    module = sandbox.site / PLATFORM.module_name
    library = copy_library(native_library, module / PLATFORM.wheel_library_name)
    sandbox.add_module(PLATFORM.module_name, platform_package_source(library))
    _, result = run_python(DESCRIBE, sandbox=sandbox)
    assert result["source"] == f"platform package {PLATFORM.module_name}"
    assert result["path"] == str(library)
    assert result["version"] == "0.2.0"


def test_real_platform_package_when_installed(native_library: NativeLibraryInfo) -> None:
    """When the platform wheel is installed, the library is found through it."""
    try:
        module = __import__(PLATFORM.module_name)
    except ModuleNotFoundError:
        assert native_library.source != f"platform package {PLATFORM.module_name}"
        return
    assert module.__version__ == gopher_mcp_python.__version__
    _, result = run_python(DESCRIBE, cwd=Path(module.__file__).parent)
    assert result["source"] in (f"platform package {PLATFORM.module_name}",)
    assert Path(result["path"]).name == PLATFORM.wheel_library_name


def make_checkout(root: Path, crate: str = "gopher-orch") -> Path:
    (root / "native").mkdir(parents=True)
    (root / "native" / "Cargo.toml").write_text(f'[package]\nname = "{crate}"\nversion = "0.2.0"\n')
    return root


def test_development_build(native_library: NativeLibraryInfo, tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path / "box")
    checkout = make_checkout(tmp_path / "checkout")
    release = copy_library(
        native_library, checkout / "native" / "target" / "release" / PLATFORM.cargo_library_name
    )
    cwd = checkout / "examples" / "deep"
    cwd.mkdir(parents=True)
    _, result = run_python(DESCRIBE, sandbox=sandbox, cwd=cwd)
    assert result["source"] == "development build"
    assert result["path"] == str(release)

    debug = copy_library(
        native_library, checkout / "native" / "target" / "debug" / PLATFORM.cargo_library_name
    )
    os.utime(release, (1_000_000_000, 1_000_000_000))  # the debug build is the newer one
    _, result = run_python(DESCRIBE, sandbox=sandbox, cwd=cwd)
    assert result["path"] == str(debug)


def test_development_build_of_this_checkout(
    native_library: NativeLibraryInfo, repo_root: Path
) -> None:
    """Without wheel or override, a cargo build of this repository is found from inside it."""
    builds = [
        repo_root / "native" / "target" / profile / PLATFORM.cargo_library_name
        for profile in ("release", "debug")
    ]
    if not any(build.is_file() for build in builds):
        assert native_library.source != "development build"
        return
    # inside the checkout (in cargo's ignored target dir), unique per run: runs may be parallel
    sandbox = make_sandbox(
        Path(tempfile.mkdtemp(prefix="pytest-loader-", dir=repo_root / "native" / "target")) / "box"
    )
    try:
        _, result = run_python(DESCRIBE, sandbox=sandbox, cwd=repo_root)
    finally:
        shutil.rmtree(sandbox.root.parent)
    assert result.get("source") == "development build", result
    assert Path(result["path"]) in builds


def test_system_loader_path(native_library: NativeLibraryInfo, tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path / "box")
    libdir = tmp_path / "syslib"
    copy_library(native_library, libdir / PLATFORM.wheel_library_name)
    variable = {"linux": "LD_LIBRARY_PATH", "darwin": "DYLD_LIBRARY_PATH"}.get(PLATFORM.os, "PATH")
    env = {variable: str(libdir) + os.pathsep + os.environ.get(variable, "")}
    _, result = run_python(DESCRIBE, sandbox=sandbox, env=env)
    assert result.get("source") == "system loader path", result
    assert result["version"] == "0.2.0"


def test_nothing_found_lists_every_place_and_the_fix(tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path)
    sandbox.add_module(PLATFORM.module_name, "# upstream-like: no get_library_path()\n")
    code = DESCRIBE + (
        "\ntry:\n    g.GopherAuthClient('', 'https://issuer.example/')\n"
        "except g.NativeLibraryError as exc:\n    report({'client_error': str(exc)})\n"
    )
    completed, _ = run_python(code, sandbox=sandbox)
    reports = [line for line in completed.stdout.splitlines() if line.startswith("REPORT:")]
    assert len(reports) == 2, completed.stderr
    import json

    first = json.loads(reports[0][len("REPORT:") :])
    message = first["error"]
    assert first["available"] is False
    assert PLATFORM.tag in message
    assert "Tried, in order" in message
    assert "1. GOPHER_ORCH_LIBRARY_PATH: not set" in message
    assert f"2. platform package {PLATFORM.module_name}:" in message
    assert "no get_library_path()" in message
    assert "3. development build: no gopher-orch checkout" in message
    assert "4. system loader path:" in message
    if PLATFORM.supported:
        assert f"pip install {PLATFORM.distribution_name}==0.2.0" in message
        assert f"pip install {PLATFORM.package_dir}" in message
    assert "cargo build --release --manifest-path native/Cargo.toml" in message
    assert json.loads(reports[1][len("REPORT:") :])["client_error"] == message


def test_platform_package_missing_is_named(tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path)
    _, result = run_python(DESCRIBE, sandbox=sandbox)
    assert f"{PLATFORM.distribution_name} is not installed" in result["error"]


def test_checkout_without_build_says_where_it_looked(tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path / "box")
    checkout = make_checkout(tmp_path / "checkout")
    make_checkout(tmp_path / "other", crate="someone-else")
    _, result = run_python(DESCRIBE, sandbox=sandbox, cwd=checkout)
    assert (
        f"no {PLATFORM.cargo_library_name} in {checkout}/native/target/{{release,debug}}"
        in result["error"]
    )
    _, result = run_python(DESCRIBE, sandbox=sandbox, cwd=tmp_path / "other")
    assert "no gopher-orch checkout" in result["error"]


# ------------------------------------------------------------------ libraries we must refuse


def test_abi_mismatch_is_refused_with_both_numbers_and_the_path(tmp_path: Path) -> None:
    fake = build_fake_library(
        tmp_path,
        "libgopher-orch-abi999.so",
        "int gopher_auth_abi_version(void) { return 999; }\n"
        'const char *gopher_auth_version(void) { return "9.9.9"; }\n',
    )
    _, result = run_python(
        DESCRIBE,
        sandbox=make_sandbox(tmp_path / "box"),
        env={"GOPHER_ORCH_LIBRARY_PATH": str(fake)},
    )
    message = result["error"]
    assert "ABI version mismatch" in message
    assert str(fake) in message
    assert "ABI version 999" in message
    assert "needs ABI version 3" in message
    assert result["available"] is False


def test_library_without_abi_function_is_refused_as_foreign(tmp_path: Path) -> None:
    fake = build_fake_library(
        tmp_path,
        "libupstream.so",
        'const char *gopher_auth_version(void) { return "0.1.2"; }\n'
        "int gopher_auth_init(void) { return 0; }\n",
    )
    _, result = run_python(
        DESCRIBE,
        sandbox=make_sandbox(tmp_path / "box"),
        env={"GOPHER_ORCH_LIBRARY_PATH": str(fake)},
    )
    assert "exports no gopher_auth_abi_version()" in result["error"]
    assert "upstream" in result["error"]


def test_missing_symbol_is_a_load_error(tmp_path: Path) -> None:
    fake = build_fake_library(
        tmp_path, "libpartial.so", "int gopher_auth_abi_version(void) { return 3; }\n"
    )
    _, result = run_python(
        DESCRIBE,
        sandbox=make_sandbox(tmp_path / "box"),
        env={"GOPHER_ORCH_LIBRARY_PATH": str(fake)},
    )
    assert "does not export gopher_auth_init()" in result["error"]
    assert result["loaded"] is False


def test_unloadable_file_is_reported(tmp_path: Path) -> None:
    junk = tmp_path / "libgopher-orch.so"
    junk.write_bytes(b"\x7fELF this is not a library")
    _, result = run_python(
        DESCRIBE,
        sandbox=make_sandbox(tmp_path / "box"),
        env={"GOPHER_ORCH_LIBRARY_PATH": str(junk)},
    )
    assert "could not be loaded" in result["error"]
    assert str(junk) in result["error"]


# ---------------------------------------------------------------------------- lazy, once


def test_import_is_lazy_and_loading_is_once_across_threads(
    native_library: NativeLibraryInfo, tmp_path: Path
) -> None:
    code = """
import threading
import gopher_mcp_python as g
before = g.is_library_loaded()
barrier = threading.Barrier(8)
seen = []
def load():
    barrier.wait()
    seen.append((id(g.load_library()), id(g.get_library()), id(g.get_auth_functions())))
threads = [threading.Thread(target=load) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
report({"before": before, "distinct": len(set(seen)), "count": len(seen)})
"""
    _, result = run_python(code, env={"GOPHER_ORCH_LIBRARY_PATH": native_library.path})
    assert result == {"before": False, "distinct": 1, "count": 8}


def test_in_process_threads_see_one_library(native_library: NativeLibraryInfo) -> None:
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(id(get_library()))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(seen) == {id(get_library())}
