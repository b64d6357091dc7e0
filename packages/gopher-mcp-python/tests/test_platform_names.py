"""The loader's idea of each platform, with the platform faked.

Only one platform runs these tests for real; the names the loader looks for on the others
(module of the platform wheel, library file inside it, cargo's file name) are checked here
with ``sys.platform`` and ``platform.machine()`` replaced, and the platform-package branch of
the search is run with a stand-in package whose library has the faked platform's file name.
``scripts/platforms.py`` checks the same names against the wheels actually built.
"""

from __future__ import annotations

import platform
import sys
import types
from pathlib import Path

import pytest

from gopher_mcp_python.ffi.auth import _platform, loader

# (sys.platform, platform.machine()) as each OS reports it -> what the loader must look for.
FAKED = [
    (
        "win32",
        "AMD64",
        "win-x64",
        "gopher_mcp_python_native_win_x64",
        "gopher-orch.dll",
        "gopher_orch.dll",
    ),
    (
        "linux",
        "aarch64",
        "linux-arm64",
        "gopher_mcp_python_native_linux_arm64",
        "libgopher-orch.so",
        "libgopher_orch.so",
    ),
    (
        "linux",
        "x86_64",
        "linux-x64",
        "gopher_mcp_python_native_linux_x64",
        "libgopher-orch.so",
        "libgopher_orch.so",
    ),
    (
        "darwin",
        "arm64",
        "darwin-arm64",
        "gopher_mcp_python_native_darwin_arm64",
        "libgopher-orch.dylib",
        "libgopher_orch.dylib",
    ),
    (
        "darwin",
        "x86_64",
        "darwin-x64",
        "gopher_mcp_python_native_darwin_x64",
        "libgopher-orch.dylib",
        "libgopher_orch.dylib",
    ),
]


def fake(
    monkeypatch: pytest.MonkeyPatch, sys_platform: str, machine: str
) -> _platform.PlatformInfo:
    monkeypatch.setattr(sys, "platform", sys_platform)
    monkeypatch.setattr(platform, "machine", lambda: machine)
    return _platform.detect_platform()


@pytest.mark.parametrize(
    ("sys_platform", "machine", "tag", "module", "wheel_file", "cargo_file"), FAKED
)
def test_names_on_each_platform(
    monkeypatch: pytest.MonkeyPatch,
    sys_platform: str,
    machine: str,
    tag: str,
    module: str,
    wheel_file: str,
    cargo_file: str,
) -> None:
    info = fake(monkeypatch, sys_platform, machine)
    assert (info.tag, info.supported) == (tag, True)
    assert info.module_name == module
    assert info.distribution_name == "gopher-mcp-python-native-" + tag
    assert info.wheel_library_name == wheel_file
    assert info.cargo_library_name == cargo_file


def test_windows_arm64_and_32_bit_are_not_supported(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not fake(monkeypatch, "win32", "ARM64").supported
    monkeypatch.setattr(_platform.struct, "calcsize", lambda _fmt: 4)
    assert fake(monkeypatch, "win32", "AMD64").arch == "32-bit"


def test_windows_platform_package_hands_over_its_dll(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On Windows the loader imports the win-x64 package and takes the gopher-orch.dll it names."""
    info = fake(monkeypatch, "win32", "AMD64")
    dll = tmp_path / info.module_name / info.wheel_library_name
    dll.parent.mkdir()
    dll.write_bytes(b"MZ")
    package = types.ModuleType(info.module_name)
    package.get_library_path = lambda: str(dll)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, info.module_name, package)
    found = loader._from_platform_package(info)
    assert Path(found) == dll.resolve()
    assert Path(found).name == "gopher-orch.dll"


def test_windows_without_its_package_names_the_wheel_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    info = fake(monkeypatch, "win32", "AMD64")
    monkeypatch.setitem(
        sys.modules, info.module_name, None
    )  # importing it raises ModuleNotFoundError
    with pytest.raises(Exception, match="gopher-mcp-python-native-win-x64 is not installed"):
        loader._from_platform_package(info)
    assert "pip install gopher-mcp-python-native-win-x64==0.2.0" in loader._fix_advice(info)
