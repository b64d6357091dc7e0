"""Hatchling hooks shared by every ``gopher-mcp-python-native-*`` package.

Each native package's pyproject.toml names this file twice (metadata hook and build hook) and
holds nothing else but its name and version: the platform is read from the distribution
name, so five packages cannot drift apart. See README.md beside this file.

Environment:
    GOPHER_ORCH_PREBUILT_LIBRARY  package this library file instead of running cargo.
    GOPHER_ORCH_ZIGBUILD=1        build with ``cargo zigbuild`` against glibc 2.17
                                  (manylinux2014 without a container; needs cargo-zigbuild
                                  and ziglang from PyPI).
    CARGO_TARGET_DIR, CARGO, RUSTC are honoured as cargo honours them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:  # hatchling loads this file by path; make its package importable
    sys.path.insert(0, str(_HERE))

from gopher_native_build.binary import check_library  # noqa: E402
from gopher_native_build.cargo import build_library  # noqa: E402
from gopher_native_build.platforms import DISTRIBUTION_PREFIX, Platform, get_platform  # noqa: E402
from gopher_native_build.render import render, render_package  # noqa: E402

PREBUILT_ENV = "GOPHER_ORCH_PREBUILT_LIBRARY"
ZIGBUILD_ENV = "GOPHER_ORCH_ZIGBUILD"


def repo_root() -> Path:
    """The repository holding this hook: two levels above packages/native-common."""
    root = _HERE.parents[1]
    if not (root / "native" / "Cargo.toml").is_file() or not (root / "GOPHER_ORCH_VERSION").is_file():
        raise RuntimeError(
            f"{root} does not look like the gopher-mcp-python repository (no native/Cargo.toml "
            "or GOPHER_ORCH_VERSION); build native wheels from a full checkout, e.g. "
            "pip wheel packages/native-linux-x64"
        )
    return root


def platform_of(distribution: str) -> Platform:
    """The platform a native distribution is for, from its name."""
    normalized = distribution.lower().replace("_", "-")
    if not normalized.startswith(DISTRIBUTION_PREFIX):
        raise ValueError(f"{distribution!r} is not a {DISTRIBUTION_PREFIX}* distribution")
    return get_platform(normalized.removeprefix(DISTRIBUTION_PREFIX))


class NativeMetadataHook(MetadataHookInterface):
    """Fill the metadata every native package shares (description, readme, classifiers)."""

    PLUGIN_NAME = "custom"

    def update(self, metadata: dict[str, Any]) -> None:
        platform = platform_of(str(metadata["name"]))
        version = str(metadata["version"])
        metadata["description"] = (
            f"gopher-orch native JWT validation library for {platform.name}, "
            "used by gopher-mcp-python"
        )
        metadata["readme"] = {
            "content-type": "text/markdown",
            "text": render("README.md.tmpl", platform, version),
        }
        metadata["requires-python"] = ">=3.10"
        metadata["license"] = "Apache-2.0"
        metadata["classifiers"] = [
            "Development Status :: 4 - Beta",
            "Intended Audience :: Developers",
            "Programming Language :: Python :: 3",
            "Programming Language :: Rust",
            "Topic :: Security",
            "Typing :: Typed",
        ]


class NativeBuildHook(BuildHookInterface[BuilderConfig]):
    """Put the platform's library and generated module into a platform-tagged wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            raise RuntimeError(
                f"{self.metadata.name} is published as a platform wheel only; build it with "
                f"`pip wheel {self.root}` or `python -m build --wheel {self.root}`"
            )
        root = repo_root()
        platform = platform_of(self.metadata.name)
        package_version = self.metadata.version
        pinned = (root / "GOPHER_ORCH_VERSION").read_text(encoding="utf-8").strip()
        if package_version != pinned:
            raise RuntimeError(
                f"{self.metadata.name} is version {package_version} but GOPHER_ORCH_VERSION "
                f"says {pinned}; run `python scripts/release.py check` and fix the mismatch"
            )

        library = self._library(root, platform)
        info = check_library(library, platform)
        build_data["pure_python"] = False
        build_data["tag"] = platform.wheel_tag(info.requires)

        self._scratch = Path(tempfile.mkdtemp(prefix="gopher-native-"))
        files = render_package(platform, package_version, self._scratch)
        files[str(library)] = f"{platform.import_name}/{platform.library_file}"
        build_data["force_include"].update(files)
        self.app.display_info(
            f"{self.metadata.name}: {library} ({info.describe()}) -> {build_data['tag']}"
        )

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    def _library(self, root: Path, platform: Platform) -> Path:
        prebuilt = os.environ.get(PREBUILT_ENV)
        if prebuilt:
            path = Path(prebuilt).resolve()
            if not path.is_file():
                raise FileNotFoundError(f"{PREBUILT_ENV}={prebuilt} is not a file")
            return path
        zig = os.environ.get(ZIGBUILD_ENV, "") not in ("", "0")
        return build_library(root, platform, zig=zig)
