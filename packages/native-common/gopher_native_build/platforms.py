"""The platforms we ship native wheels for, and what each one needs."""

from __future__ import annotations

import platform as _platform
import sys
from dataclasses import dataclass
from typing import Literal

BinaryFormat = Literal["elf", "macho", "pe"]
Arch = Literal["x86_64", "aarch64"]

DISTRIBUTION_PREFIX = "gopher-mcp-python-native-"
IMPORT_PREFIX = "gopher_mcp_python_native_"


@dataclass(frozen=True)
class Platform:
    """One native wheel: its name, Rust target, library file names and wheel-tag floor."""

    name: str
    """Short platform name, e.g. ``linux-x64``; also the extra name of the core package."""
    rust_target: str
    """Rust target triple the library is built for."""
    binary_format: BinaryFormat
    arch: Arch
    cargo_file: str
    """File name cargo gives the cdylib."""
    library_file: str
    """File name the wheel ships (DESIGN §3): what the Python loader looks for."""
    floor: tuple[int, int] | None
    """Oldest OS the tag promises: glibc for Linux, macOS version for macOS, None on Windows."""
    linux_cross_target: str | None = None
    """Rust target used instead of ``rust_target`` when this platform is cross-built on Linux
    for the pre-release checks (``scripts/platforms.py``): Windows has no MSVC linker there,
    so the same C ABI is built with mingw-w64 (``x86_64-pc-windows-gnu``). Releases always
    build ``rust_target``."""

    @property
    def distribution(self) -> str:
        """The PyPI distribution name, e.g. ``gopher-mcp-python-native-linux-x64``."""
        return DISTRIBUTION_PREFIX + self.name

    @property
    def import_name(self) -> str:
        """The importable package name, e.g. ``gopher_mcp_python_native_linux_x64``."""
        return IMPORT_PREFIX + self.name.replace("-", "_")

    @property
    def os(self) -> str:
        """``linux``, ``darwin`` or ``win``."""
        return self.name.split("-", 1)[0]

    @property
    def marker_environment(self) -> dict[str, str]:
        """The PEP 508 marker values an interpreter on this platform reports.

        pip's ``--platform`` changes only the wheel tags it accepts, never the environment
        markers; these values let a check on another machine evaluate the core package's
        requirements as that platform's pip would.
        """
        system = {"linux": "Linux", "darwin": "Darwin", "win": "Windows"}[self.os]
        sys_platform = {"linux": "linux", "darwin": "darwin", "win": "win32"}[self.os]
        if self.os == "win":
            machine = "AMD64" if self.arch == "x86_64" else "ARM64"
        elif self.os == "darwin":
            machine = "arm64" if self.arch == "aarch64" else "x86_64"
        else:
            machine = self.arch
        return {
            "sys_platform": sys_platform,
            "platform_system": system,
            "platform_machine": machine,
            "os_name": "nt" if self.os == "win" else "posix",
        }

    def wheel_tag(self, required: tuple[int, int] | None) -> str:
        """The ``py3-none-<platform>`` tag for a library that needs ``required`` at least.

        ``required`` is what the library itself demands (the newest glibc symbol version it
        references, or the macOS ``minos`` it was linked for). The tag promises the larger of
        that and the platform's floor, so it is never more generous than the binary allows.
        """
        if self.binary_format == "pe":
            return "py3-none-win_amd64"
        assert self.floor is not None
        major, minor = max(self.floor, required or self.floor)
        if self.binary_format == "elf":
            tag = f"manylinux_{major}_{minor}_{self.arch}"
            if (major, minor) == (2, 17):
                tag += f".manylinux2014_{self.arch}"
            return "py3-none-" + tag
        mac_arch = "arm64" if self.arch == "aarch64" else "x86_64"
        if major >= 11:
            minor = 0  # from macOS 11 on, pip matches wheels by major version only
        return f"py3-none-macosx_{major}_{minor}_{mac_arch}"


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("linux-x64", "x86_64-unknown-linux-gnu", "elf", "x86_64",
                 "libgopher_orch.so", "libgopher-orch.so", (2, 17)),
        Platform("linux-arm64", "aarch64-unknown-linux-gnu", "elf", "aarch64",
                 "libgopher_orch.so", "libgopher-orch.so", (2, 17)),
        Platform("darwin-arm64", "aarch64-apple-darwin", "macho", "aarch64",
                 "libgopher_orch.dylib", "libgopher-orch.dylib", (11, 0)),
        Platform("darwin-x64", "x86_64-apple-darwin", "macho", "x86_64",
                 "libgopher_orch.dylib", "libgopher-orch.dylib", (10, 12)),
        Platform("win-x64", "x86_64-pc-windows-msvc", "pe", "x86_64",
                 "gopher_orch.dll", "gopher-orch.dll", None,
                 linux_cross_target="x86_64-pc-windows-gnu"),
    )
}


def get_platform(name: str) -> Platform:
    """Look a platform up by its short name, with an error that lists the valid ones."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise ValueError(
            f"unknown native platform {name!r}; expected one of {', '.join(PLATFORMS)}"
        ) from None


def host_platform() -> Platform | None:
    """The platform of the running interpreter, or None when we ship no wheel for it."""
    machine = _platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    os_name = {"linux": "linux", "darwin": "darwin", "win32": "win"}.get(sys.platform)
    if arch is None or os_name is None:
        return None
    return PLATFORMS.get(f"{os_name}-{arch}")
