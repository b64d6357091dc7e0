"""Read just enough of an ELF, Mach-O or PE file to know what platform it runs on.

A native wheel must never carry a library for another platform (upstream shipped macOS
binaries that pip installed on Linux). Before packing, the build hook reads the library's
own header: format, CPU, whether it is a shared library, and the oldest OS it needs (the
newest glibc symbol version it references, or the macOS ``minos`` it was linked for).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from .platforms import Arch, BinaryFormat, Platform

_ELF_MACHINES: dict[int, str] = {0x3E: "x86_64", 0xB7: "aarch64", 0x03: "i386", 0x28: "arm"}
_MACHO_CPUS: dict[int, str] = {0x01000007: "x86_64", 0x0100000C: "aarch64", 7: "i386"}
_PE_MACHINES: dict[int, str] = {0x8664: "x86_64", 0xAA64: "aarch64", 0x14C: "i386"}

_SHT_GNU_VERNEED = 0x6FFFFFFE
_ET_DYN = 3
_MH_DYLIB = 6
_LC_BUILD_VERSION = 0x32
_LC_VERSION_MIN_MACOSX = 0x24
_IMAGE_FILE_DLL = 0x2000
_GLIBC_VERSION = re.compile(rb"^GLIBC_(\d+)\.(\d+)(?:\.\d+)?$")


class LibraryError(ValueError):
    """The file is not a shared library for the platform being packaged."""


@dataclass(frozen=True)
class LibraryInfo:
    """What a library file says about itself."""

    binary_format: BinaryFormat
    arch: str
    shared: bool
    requires: tuple[int, int] | None
    """Newest glibc version referenced (ELF) or macOS minos (Mach-O); None for PE."""

    def describe(self) -> str:
        kind = "shared library" if self.shared else "non-shared object"
        names = {"elf": "ELF", "macho": "Mach-O", "pe": "PE"}
        return f"{names[self.binary_format]} {self.arch} {kind}"


def inspect_library(path: Path) -> LibraryInfo:
    """Identify ``path``; raises LibraryError for anything that is not ELF/Mach-O/PE."""
    data = path.read_bytes()
    if data[:4] == b"\x7fELF":
        return _inspect_elf(data, path)
    if data[:4] == b"\xcf\xfa\xed\xfe":
        return _inspect_macho(data, path)
    if data[:4] in (b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca"):
        raise LibraryError(
            f"{path} is a universal (fat) Mach-O file; each macOS wheel ships one architecture."
            " Build with --target aarch64-apple-darwin or x86_64-apple-darwin."
        )
    if data[:2] == b"MZ":
        return _inspect_pe(data, path)
    raise LibraryError(f"{path} is not an ELF, Mach-O or PE file (first bytes {data[:4]!r})")


def check_library(path: Path, platform: Platform) -> LibraryInfo:
    """Inspect ``path`` and refuse it unless it is a shared library for ``platform``."""
    info = inspect_library(path)
    expected = (platform.binary_format, platform.arch, True)
    if (info.binary_format, info.arch, info.shared) != expected:
        wanted = LibraryInfo(platform.binary_format, platform.arch, True, None).describe()
        raise LibraryError(
            f"refusing to package {path} into {platform.distribution}: it is an "
            f"{info.describe()}, but that wheel needs an {wanted}. Build the library for "
            f"{platform.rust_target} (cargo build --release --target {platform.rust_target}) "
            f"or point GOPHER_ORCH_PREBUILT_LIBRARY at the right file."
        )
    return info


def _inspect_elf(data: bytes, path: Path) -> LibraryInfo:
    if data[4] != 2:
        raise LibraryError(f"{path} is a 32-bit ELF file; only 64-bit libraries are shipped")
    endian = "<" if data[5] == 1 else ">"
    e_type, e_machine = struct.unpack_from(endian + "HH", data, 16)
    arch = _ELF_MACHINES.get(e_machine, f"machine-0x{e_machine:x}")
    return LibraryInfo("elf", arch, e_type == _ET_DYN, _elf_glibc_floor(data, endian, path))


def _elf_glibc_floor(data: bytes, endian: str, path: Path) -> tuple[int, int] | None:
    """The newest ``GLIBC_x.y`` the file's version-needs table asks for."""
    e_shoff = struct.unpack_from(endian + "Q", data, 0x28)[0]
    e_shentsize, e_shnum = struct.unpack_from(endian + "HH", data, 0x3A)
    if e_shoff == 0 or e_shnum == 0:
        raise LibraryError(f"{path} has no section headers; cannot tell which glibc it needs")
    sections = [
        struct.unpack_from(endian + "IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
        for i in range(e_shnum)
    ]
    newest: tuple[int, int] | None = None
    for _name, sh_type, _f, _a, offset, _size, link, count, _al, _es in sections:
        if sh_type != _SHT_GNU_VERNEED:
            continue
        strtab_offset = sections[link][4]
        entry = offset
        for _ in range(count):
            _ver, aux_count, _file, aux, next_entry = struct.unpack_from(
                endian + "HHIII", data, entry
            )
            aux_at = entry + aux
            for _ in range(aux_count):
                _hash, _flags, _other, name, next_aux = struct.unpack_from(
                    endian + "IHHII", data, aux_at
                )
                start = strtab_offset + name
                match = _GLIBC_VERSION.match(data[start : data.index(b"\0", start)])
                if match:
                    version = (int(match.group(1)), int(match.group(2)))
                    newest = version if newest is None else max(newest, version)
                aux_at += next_aux
            entry += next_entry
    return newest


def _inspect_macho(data: bytes, path: Path) -> LibraryInfo:
    cputype, _sub, filetype, ncmds, _size = struct.unpack_from("<iIIII", data, 4)
    arch = _MACHO_CPUS.get(cputype, f"cputype-0x{cputype:x}")
    minos: tuple[int, int] | None = None
    at = 32
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from("<II", data, at)
        if cmd == _LC_BUILD_VERSION:
            minos = _macho_version(struct.unpack_from("<I", data, at + 12)[0])
        elif cmd == _LC_VERSION_MIN_MACOSX:
            minos = _macho_version(struct.unpack_from("<I", data, at + 8)[0])
        at += cmdsize
    if minos is None:
        raise LibraryError(f"{path} names no minimum macOS version; cannot tag it honestly")
    return LibraryInfo("macho", arch, filetype == _MH_DYLIB, minos)


def _macho_version(packed: int) -> tuple[int, int]:
    return (packed >> 16, (packed >> 8) & 0xFF)


def _inspect_pe(data: bytes, path: Path) -> LibraryInfo:
    pe_offset = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe_offset : pe_offset + 4] != b"PE\0\0":
        raise LibraryError(f"{path} starts with MZ but has no PE header")
    machine = struct.unpack_from("<H", data, pe_offset + 4)[0]
    characteristics = struct.unpack_from("<H", data, pe_offset + 22)[0]
    arch = _PE_MACHINES.get(machine, f"machine-0x{machine:x}")
    return LibraryInfo("pe", arch, bool(characteristics & _IMAGE_FILE_DLL), None)


__all__ = ["Arch", "LibraryError", "LibraryInfo", "check_library", "inspect_library"]
