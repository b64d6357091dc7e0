"""The shared native build: header inspection, honest tags, and the hatchling hook end to end."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packages" / "native-common"))

from gopher_native_build.binary import LibraryError, check_library, inspect_library  # noqa: E402
from gopher_native_build.cargo import build_library, cargo_command  # noqa: E402
from gopher_native_build.platforms import PLATFORMS, Platform, host_platform  # noqa: E402

VERSION = (REPO / "GOPHER_ORCH_VERSION").read_text().strip()


def _macho(cputype: int, *, filetype: int = 6, minos: tuple[int, int] = (11, 0),
           old_style: bool = False) -> bytes:
    packed = (minos[0] << 16) | (minos[1] << 8)
    if old_style:  # LC_VERSION_MIN_MACOSX: version, sdk
        command = struct.pack("<IIII", 0x24, 16, packed, packed)
    else:  # LC_BUILD_VERSION: platform, minos, sdk, ntools
        command = struct.pack("<IIIIII", 0x32, 24, 1, packed, packed, 0)
    header = struct.pack("<IiIIIIII", 0xFEEDFACF, cputype, 0, filetype, 1, len(command), 0, 0)
    return header + command


def _pe(machine: int, characteristics: int) -> bytes:
    dos = b"MZ" + b"\0" * 0x3A + struct.pack("<I", 0x40)
    coff = struct.pack("<HHIIIHH", machine, 0, 0, 0, 0, 0, characteristics)
    return dos + b"PE\0\0" + coff


@pytest.fixture(scope="session")
def host() -> Platform:
    platform = host_platform()
    assert platform is not None, "these tests run on a platform we ship wheels for"
    return platform


@pytest.fixture(scope="session")
def host_library(host: Platform) -> Path:
    """The real gopher-orch library, built by cargo for this machine."""
    return build_library(REPO, host)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_real_library_matches_only_its_own_platform(host: Platform, host_library: Path) -> None:
    info = check_library(host_library, host)
    assert info.shared
    for other in PLATFORMS.values():
        if other.name != host.name:
            with pytest.raises(LibraryError, match=f"refusing to package .* {other.distribution}"):
                check_library(host_library, other)


def test_macho_arm64_dylib(tmp_path: Path) -> None:
    path = _write(tmp_path, "lib.dylib", _macho(0x0100000C, minos=(11, 0)))
    info = check_library(path, PLATFORMS["darwin-arm64"])
    assert (info.binary_format, info.arch, info.requires) == ("macho", "aarch64", (11, 0))
    assert PLATFORMS["darwin-arm64"].wheel_tag(info.requires) == "py3-none-macosx_11_0_arm64"
    with pytest.raises(LibraryError, match=r"Mach-O aarch64 shared library.*needs an Mach-O x86_64"):
        check_library(path, PLATFORMS["darwin-x64"])
    with pytest.raises(LibraryError, match="ELF x86_64"):
        check_library(path, PLATFORMS["linux-x64"])


def test_macho_x86_64_old_style_version_and_newer_minos(tmp_path: Path) -> None:
    path = _write(tmp_path, "lib.dylib", _macho(0x01000007, minos=(10, 12), old_style=True))
    info = check_library(path, PLATFORMS["darwin-x64"])
    assert PLATFORMS["darwin-x64"].wheel_tag(info.requires) == "py3-none-macosx_10_12_x86_64"
    newer = inspect_library(_write(tmp_path, "new.dylib", _macho(0x0100000C, minos=(13, 4))))
    assert PLATFORMS["darwin-arm64"].wheel_tag(newer.requires) == "py3-none-macosx_13_0_arm64"


def test_macho_executable_and_fat_files_are_refused(tmp_path: Path) -> None:
    executable = _write(tmp_path, "exe", _macho(0x0100000C, filetype=2))
    with pytest.raises(LibraryError, match="non-shared object"):
        check_library(executable, PLATFORMS["darwin-arm64"])
    fat = _write(tmp_path, "fat.dylib", b"\xca\xfe\xba\xbe" + b"\0" * 64)
    with pytest.raises(LibraryError, match="universal"):
        inspect_library(fat)


def test_pe_dll_and_exe(tmp_path: Path) -> None:
    dll = _write(tmp_path, "gopher_orch.dll", _pe(0x8664, 0x2022))
    info = check_library(dll, PLATFORMS["win-x64"])
    assert (info.binary_format, info.arch, info.requires) == ("pe", "x86_64", None)
    assert PLATFORMS["win-x64"].wheel_tag(info.requires) == "py3-none-win_amd64"
    with pytest.raises(LibraryError, match="PE aarch64"):
        check_library(_write(tmp_path, "arm.dll", _pe(0xAA64, 0x2022)), PLATFORMS["win-x64"])
    with pytest.raises(LibraryError, match="non-shared"):
        check_library(_write(tmp_path, "x.exe", _pe(0x8664, 0x0022)), PLATFORMS["win-x64"])


def test_unknown_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="not an ELF, Mach-O or PE"):
        inspect_library(_write(tmp_path, "text.so", b"#!/bin/sh\necho hi\n"))


def test_linux_tags_follow_the_glibc_the_library_needs() -> None:
    x64, arm = PLATFORMS["linux-x64"], PLATFORMS["linux-arm64"]
    assert x64.wheel_tag((2, 14)) == "py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64"
    assert arm.wheel_tag((2, 17)) == "py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64"
    assert x64.wheel_tag((2, 34)) == "py3-none-manylinux_2_34_x86_64"


def test_cargo_command_targets() -> None:
    manifest = REPO / "native" / "Cargo.toml"
    x64, arm = PLATFORMS["linux-x64"], PLATFORMS["linux-arm64"]
    native = cargo_command(manifest, x64, host=x64.rust_target, zig=False)
    assert "--target" not in native
    assert native[:3] == ["cargo", "build", "--release"]
    cross = cargo_command(manifest, arm, host=x64.rust_target, zig=False)
    assert cross[cross.index("--target") + 1] == "aarch64-unknown-linux-gnu"
    zig = cargo_command(manifest, x64, host=x64.rust_target, zig=True)
    assert zig[1] == "zigbuild"
    assert zig[zig.index("--target") + 1] == "x86_64-unknown-linux-gnu.2.17"


def test_native_packages_differ_only_in_their_name() -> None:
    folders = sorted(p for p in (REPO / "packages").glob("native-*") if p.name != "native-common")
    assert [p.name.removeprefix("native-") for p in folders] == sorted(PLATFORMS)
    texts = {}
    for folder in folders:
        files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)
        assert files == ["pyproject.toml"], f"{folder} holds more than its pyproject.toml"
        texts[folder.name] = (folder / "pyproject.toml").read_text().replace(folder.name, "NAME")
    assert len(set(texts.values())) == 1, "the native pyproject.toml files have drifted apart"


def _build_wheel(package: Path, out: Path, *, library: Path | None,
                 args: tuple[str, ...] = ("--wheel",)) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOPHER_ORCH_")}
    if library is not None:
        env["GOPHER_ORCH_PREBUILT_LIBRARY"] = str(library)
    return subprocess.run(
        [sys.executable, "-m", "build", *args, "--no-isolation", "--outdir", str(out), str(package)],
        capture_output=True, text=True, env=env,
    )


def test_hook_builds_a_tagged_wheel_whose_module_finds_the_library(
    tmp_path: Path, host: Platform, host_library: Path
) -> None:
    result = _build_wheel(REPO / "packages" / f"native-{host.name}", tmp_path, library=host_library)
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    expected_tag = host.wheel_tag(inspect_library(host_library).requires)
    assert wheel.name == f"{host.import_name}-{VERSION}-{expected_tag}.whl"
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    probe = subprocess.run(
        [sys.executable, "-c",
         f"import {host.import_name} as m; print(m.get_library_path()); print(m.__version__); "
         "print(m.PLATFORM)"],
        capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)},
    )
    assert probe.returncode == 0, probe.stderr
    path, version, platform = probe.stdout.split()
    assert Path(path) == (site / host.import_name / host.library_file).resolve()
    assert Path(path).read_bytes() == host_library.read_bytes()
    assert (version, platform) == (VERSION, host.name)


def test_hook_refuses_a_library_of_another_platform(
    tmp_path: Path, host: Platform, host_library: Path
) -> None:
    other = next(p for p in PLATFORMS.values() if p.name != host.name)
    result = _build_wheel(REPO / "packages" / f"native-{other.name}", tmp_path, library=host_library)
    assert result.returncode != 0
    assert f"refusing to package {host_library}" in result.stdout + result.stderr
    assert not list(tmp_path.glob("*.whl"))


def test_hook_refuses_a_missing_prebuilt_library(tmp_path: Path, host: Platform) -> None:
    result = _build_wheel(REPO / "packages" / f"native-{host.name}", tmp_path,
                          library=tmp_path / "nothing.so")
    assert result.returncode != 0
    assert "GOPHER_ORCH_PREBUILT_LIBRARY" in result.stdout + result.stderr


def test_hook_refuses_an_sdist(tmp_path: Path, host: Platform, host_library: Path) -> None:
    result = _build_wheel(REPO / "packages" / f"native-{host.name}", tmp_path,
                          library=host_library, args=("--sdist",))
    assert result.returncode != 0
    assert "platform wheel only" in result.stdout + result.stderr


def test_hook_refuses_a_version_other_than_the_pin(
    repo_copy: Path, tmp_path: Path, host: Platform, host_library: Path
) -> None:
    pyproject = repo_copy / "packages" / f"native-{host.name}" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(f'version = "{VERSION}"', 'version = "0.0.1"'))
    result = _build_wheel(pyproject.parent, tmp_path / "out", library=host_library)
    assert result.returncode != 0
    assert "GOPHER_ORCH_VERSION" in result.stdout + result.stderr
