"""Build the gopher-orch cdylib with cargo and return the path of the file it produced."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .platforms import Platform

CRATE_LIB_NAME = "gopher_orch"
ZIG_GLIBC = "2.17"
"""glibc that ``cargo zigbuild`` links against: the manylinux2014 floor."""


class CargoBuildError(RuntimeError):
    """cargo failed or did not report the library it was asked to build."""


def host_target(env: Mapping[str, str] | None = None) -> str:
    """The Rust host triple (``rustc -vV``), i.e. what a build without --target produces."""
    rustc = (env or os.environ).get("RUSTC", "rustc")
    try:
        out = subprocess.run([rustc, "-vV"], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise CargoBuildError(
            f"cannot run {rustc!r} ({exc}); install Rust (https://rustup.rs) or set "
            "GOPHER_ORCH_PREBUILT_LIBRARY to an already built library"
        ) from exc
    for line in out.splitlines():
        if line.startswith("host: "):
            return line.removeprefix("host: ").strip()
    raise CargoBuildError(f"{rustc} -vV printed no host triple")


def cargo_command(
    manifest: Path, platform: Platform, *, host: str, zig: bool, cargo: str = "cargo"
) -> list[str]:
    """The cargo command line that builds the release cdylib for ``platform``.

    ``--target`` is passed only for a cross build (so a native build lands in the usual
    ``target/release`` that the Python loader's development branch looks at), and always
    with ``zig``: ``cargo zigbuild --target <triple>.2.17`` links against glibc 2.17.
    """
    command = [cargo, "zigbuild" if zig else "build", "--release", "--lib", "--locked",
               "--manifest-path", str(manifest), "--message-format=json-render-diagnostics"]
    if zig:
        suffix = f".{ZIG_GLIBC}" if platform.os == "linux" else ""
        command += ["--target", platform.rust_target + suffix]
    elif platform.rust_target != host:
        command += ["--target", platform.rust_target]
    return command


def build_library(
    repo_root: Path, platform: Platform, *, zig: bool = False,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Run cargo for ``platform`` and return the cdylib it reports having written.

    The path comes from cargo's own JSON messages, so ``CARGO_TARGET_DIR``, ``.cargo/config``
    and ``--target`` layouts are all honoured without guessing.
    """
    environ = dict(os.environ if env is None else env)
    if platform.os == "darwin":
        floor = platform.floor or (11, 0)
        environ.setdefault("MACOSX_DEPLOYMENT_TARGET", f"{floor[0]}.{floor[1]}")
    cargo = environ.get("CARGO", "cargo")
    if zig:
        _prepare_zig(environ)
    command = cargo_command(
        repo_root / "native" / "Cargo.toml", platform,
        host=host_target(environ), zig=zig, cargo=cargo,
    )
    try:
        proc = subprocess.run(command, env=environ, stdout=subprocess.PIPE, text=True)
    except OSError as exc:
        raise CargoBuildError(f"cannot run {command[0]!r}: {exc}; install Rust") from exc
    if proc.returncode != 0:
        hint = ""
        if "--target" in command:
            hint = (f" For a cross build make sure the target is installed "
                    f"(rustup target add {platform.rust_target}) and a linker for it is set.")
        raise CargoBuildError(
            f"{' '.join(command)} failed with exit code {proc.returncode} "
            f"(cargo's diagnostics are above).{hint}"
        )
    return _reported_library(proc.stdout, platform)


def _prepare_zig(environ: dict[str, str]) -> None:
    """Make sure cargo-zigbuild is reachable and can find zig.

    zig comes from the ``ziglang`` PyPI package installed beside cargo-zigbuild. Inside pip's
    isolated build environment that interpreter cannot see its own site-packages (pip sets
    PYTHONPATH), so ask it in isolated mode (-I) where zig is and hand cargo-zigbuild the path.
    """
    zigbuild = shutil.which("cargo-zigbuild", path=environ.get("PATH"))
    if zigbuild is None:
        raise CargoBuildError(
            "a zig build was asked for but cargo-zigbuild is not on PATH; "
            "pip install cargo-zigbuild ziglang (into the environment on PATH)"
        )
    if "CARGO_ZIGBUILD_ZIG_PATH" in environ or shutil.which("zig", path=environ.get("PATH")):
        return
    for name in ("python3", "python", "python.exe"):
        beside = Path(zigbuild).parent / name
        if not beside.is_file():
            continue
        probe = subprocess.run(
            [str(beside), "-I", "-c",
             "import ziglang, pathlib; print(pathlib.Path(ziglang.__file__).parent)"],
            capture_output=True, text=True,
        )
        if probe.returncode == 0:
            folder = Path(probe.stdout.strip())
            for exe in ("zig", "zig.exe"):
                if (folder / exe).is_file():
                    environ["CARGO_ZIGBUILD_ZIG_PATH"] = str(folder / exe)
                    return
    raise CargoBuildError(
        f"cargo-zigbuild ({zigbuild}) cannot find zig: pip install ziglang into the same "
        "environment, or set CARGO_ZIGBUILD_ZIG_PATH to a zig executable"
    )


def _reported_library(messages: str, platform: Platform) -> Path:
    for line in messages.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        target = message.get("target") or {}
        if message.get("reason") != "compiler-artifact" or target.get("name") != CRATE_LIB_NAME:
            continue
        if "cdylib" not in target.get("crate_types", []):
            continue
        for filename in message.get("filenames", []):
            path = Path(str(filename))
            if path.name == platform.cargo_file:
                return path
    raise CargoBuildError(
        f"cargo finished but reported no {platform.cargo_file}; "
        f"is [lib] crate-type still \"cdylib\" in native/Cargo.toml?"
    )
