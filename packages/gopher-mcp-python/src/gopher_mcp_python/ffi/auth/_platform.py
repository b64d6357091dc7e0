"""Which native package and library file belong to the running interpreter's platform."""

from __future__ import annotations

import platform
import struct
import sys
from dataclasses import dataclass

__all__ = ["SUPPORTED_TAGS", "PlatformInfo", "detect_platform"]

#: The platforms a native wheel is published for (``<os>-<arch>``).
SUPPORTED_TAGS = ("linux-x64", "linux-arm64", "darwin-arm64", "darwin-x64", "win-x64")

_OS_BY_SYS_PLATFORM = {"linux": "linux", "darwin": "darwin", "win32": "win", "cygwin": "win"}
_ARCH_BY_MACHINE = {
    "x86_64": "x64",
    "amd64": "x64",
    "x64": "x64",
    "aarch64": "arm64",
    "arm64": "arm64",
}
_WHEEL_LIBRARY = {
    "linux": "libgopher-orch.so",
    "darwin": "libgopher-orch.dylib",
    "win": "gopher-orch.dll",
}
_CARGO_LIBRARY = {
    "linux": "libgopher_orch.so",
    "darwin": "libgopher_orch.dylib",
    "win": "gopher_orch.dll",
}


@dataclass(frozen=True)
class PlatformInfo:
    """The running platform as the native packages name it.

    Attributes:
        os: ``linux``, ``darwin``, ``win``, or the raw ``sys.platform`` when unknown.
        arch: ``x64``, ``arm64``, or the raw machine name (``32-bit`` for a 32-bit interpreter).
        tag: ``<os>-<arch>``, e.g. ``linux-x64``.
        supported: whether a native wheel is published for ``tag``.

    """

    os: str
    arch: str

    @property
    def tag(self) -> str:
        """``<os>-<arch>``."""
        return f"{self.os}-{self.arch}"

    @property
    def supported(self) -> bool:
        """Whether a native wheel exists for this platform."""
        return self.tag in SUPPORTED_TAGS

    @property
    def module_name(self) -> str:
        """The import name of the platform package, e.g. ``gopher_mcp_python_native_linux_x64``."""
        return f"gopher_mcp_python_native_{self.os}_{self.arch}"

    @property
    def distribution_name(self) -> str:
        """The platform package's distribution name (``gopher-mcp-python-native-linux-x64`` …)."""
        return f"gopher-mcp-python-native-{self.tag}"

    @property
    def package_dir(self) -> str:
        """The platform package's directory in this repository (``packages/native-linux-x64`` …)."""
        return f"packages/native-{self.tag}"

    @property
    def wheel_library_name(self) -> str:
        """The library's file name inside a platform wheel (``libgopher-orch.so`` …)."""
        return _WHEEL_LIBRARY.get(self.os, _WHEEL_LIBRARY["linux"])

    @property
    def cargo_library_name(self) -> str:
        """The library's file name in a cargo build directory (``libgopher_orch.so`` …)."""
        return _CARGO_LIBRARY.get(self.os, _CARGO_LIBRARY["linux"])


def detect_platform() -> PlatformInfo:
    """The platform of the running interpreter (a 32-bit interpreter is never supported)."""
    os_name = _OS_BY_SYS_PLATFORM.get(sys.platform, sys.platform)
    machine = platform.machine()
    arch = _ARCH_BY_MACHINE.get(machine.lower(), machine.lower() or "unknown")
    if struct.calcsize("P") != 8:
        arch = "32-bit"
    return PlatformInfo(os_name, arch)
