"""Finding, loading and checking the gopher-orch native library.

The library is loaded lazily, once per process, on first use (creating a client, options, or
calling any ``gopher_*`` function), or eagerly with :func:`load_library`. Places searched, in
order — the first place that *has* a library decides; a library found there that cannot be
loaded or fails the ABI check is an error, never silently replaced by another one:

1. ``GOPHER_ORCH_LIBRARY_PATH``: the path of the library file. When set it must name an
   existing file; nothing else is searched.
2. The installed platform package for this OS and architecture,
   ``gopher_mcp_python_native_<os>_<arch>`` (distribution ``gopher-mcp-python-native-<os>-<arch>``),
   asked for ``get_library_path()``.
3. A development build of this repository: the first directory holding the gopher-orch
   ``native/Cargo.toml``, walking up from this package's files and then from the current
   directory; there ``native/target/release/`` and ``native/target/debug/`` (cargo's file name,
   ``libgopher_orch.so`` / ``.dylib`` / ``gopher_orch.dll``); the newer of the two wins.
4. The system loader path: ``ctypes.util.find_library("gopher-orch")``.

The loaded library must report ``gopher_auth_abi_version() == 3`` (the ABI this binding is
written for); then every function of the ABI is bound with its prototype.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from ._native import ABI_VERSION, NativeFunctions
from ._platform import PlatformInfo, detect_platform
from .errors import NativeLibraryError

__all__ = [
    "LIBRARY_PATH_ENV",
    "NativeLibraryInfo",
    "get_auth_functions",
    "get_library",
    "get_library_info",
    "is_auth_available",
    "is_library_loaded",
    "load_library",
]

#: The environment variable that overrides the search with an explicit library file.
LIBRARY_PATH_ENV = "GOPHER_ORCH_LIBRARY_PATH"

_CRATE_MARKER = 'name = "gopher-orch"'


@dataclass(frozen=True)
class NativeLibraryInfo:
    """The native library in use.

    Attributes:
        path: the file (or, for the system loader, the name) that was loaded.
        source: where it was found: ``GOPHER_ORCH_LIBRARY_PATH``, ``platform package <name>``,
            ``development build``, or ``system loader path``.
        version: ``gopher_auth_version()``.
        abi_version: ``gopher_auth_abi_version()``.

    """

    path: str
    source: str
    version: str
    abi_version: int


@dataclass(frozen=True)
class _Loaded:
    info: NativeLibraryInfo
    cdll: ctypes.CDLL
    functions: NativeFunctions


_lock = threading.Lock()
_loaded: _Loaded | None = None


class _NotFound(Exception):  # noqa: N818 - internal control flow, never escapes this module
    """A search place has no library; the message says why."""


# ----------------------------------------------------------------------------- search places


def _from_environment() -> str:
    value = os.environ.get(LIBRARY_PATH_ENV)
    if value is None or value == "":
        raise _NotFound("not set")
    if not Path(value).is_file():
        reason = "does not exist" if not Path(value).exists() else "is not a file"
        raise NativeLibraryError(
            f"{LIBRARY_PATH_ENV} is set to {value!r}, which {reason}. Point it at the gopher-orch "
            "library file (libgopher-orch.so / libgopher-orch.dylib / gopher-orch.dll, or a cargo "
            "build's native/target/release/libgopher_orch.so), or unset it to use the installed "
            "platform package."
        )
    return str(Path(value).resolve())


def _from_platform_package(plat: PlatformInfo) -> str:
    if not plat.supported:
        raise _NotFound(f"none is published for {plat.tag}")
    try:
        module = importlib.import_module(plat.module_name)
    except ModuleNotFoundError as exc:
        if exc.name == plat.module_name:
            raise _NotFound(f"{plat.distribution_name} is not installed") from None
        raise _NotFound(f"importing {plat.module_name} failed: {exc}") from None
    except Exception as exc:  # a broken package must not hide the other places
        raise _NotFound(f"importing {plat.module_name} failed: {exc!r}") from None
    get_path = getattr(module, "get_library_path", None)
    if not callable(get_path):
        raise _NotFound(
            f"{plat.module_name} has no get_library_path(); it is not a gopher-mcp-python "
            "0.2 platform package (upstream's 0.1.x packages share the name)"
        )
    path = str(Path(get_path()).resolve())
    if not Path(path).is_file():
        raise _NotFound(f"{plat.module_name}.get_library_path() names {path}, which does not exist")
    return path


def _search_starts() -> list[Path]:
    """Where the search for a checkout starts: this package's directory, then the cwd."""
    starts = [Path(__file__).resolve().parent]
    with contextlib.suppress(OSError):  # the current directory may have been removed
        starts.append(Path.cwd().resolve())
    return starts


def _checkout_roots() -> list[Path]:
    """Directories holding the gopher-orch ``native/Cargo.toml``, nearest first, deduplicated."""
    roots: list[Path] = []
    for start in _search_starts():
        for directory in (start, *start.parents):
            manifest = directory / "native" / "Cargo.toml"
            try:
                if manifest.is_file() and _CRATE_MARKER in manifest.read_text("utf-8"):
                    if directory not in roots:
                        roots.append(directory)
                    break
            except OSError:
                continue
    return roots


def _from_development_build(plat: PlatformInfo) -> str:
    roots = _checkout_roots()
    if not roots:
        raise _NotFound(
            "no gopher-orch checkout (native/Cargo.toml) above "
            + " or ".join(str(start) for start in _search_starts())
        )
    for root in roots:
        builds = [
            root / "native" / "target" / profile / plat.cargo_library_name
            for profile in ("release", "debug")
        ]
        existing = [build for build in builds if build.is_file()]
        if existing:
            return str(max(existing, key=lambda build: build.stat().st_mtime))
    tried = ", ".join(f"{root}/native/target/{{release,debug}}" for root in roots)
    raise _NotFound(f"no {plat.cargo_library_name} in {tried}")


def _from_system_loader() -> str:
    name = ctypes.util.find_library("gopher-orch")
    if name is None:
        raise _NotFound("ctypes.util.find_library('gopher-orch') found nothing")
    return name


# ---------------------------------------------------------------------------------- loading


def _fix_advice(plat: PlatformInfo) -> str:
    if plat.supported:
        return (
            f"Fix: install the native package of this platform: "
            f"pip install {plat.distribution_name}==0.2.0 (from a checkout of this repository: "
            f"pip install {plat.package_dir}), or build the library with "
            f"`cargo build --release --manifest-path native/Cargo.toml` in a checkout, or set "
            f"{LIBRARY_PATH_ENV} to the library file."
        )
    return (
        f"No native wheel is published for {plat.tag}; build the library from a checkout with "
        f"`cargo build --release --manifest-path native/Cargo.toml` and set {LIBRARY_PATH_ENV} "
        f"to native/target/release/{plat.cargo_library_name}."
    )


def _not_found_error(plat: PlatformInfo, tried: list[str]) -> NativeLibraryError:
    lines = [
        f"gopher-mcp-python could not find its native library (gopher-orch, ABI version "
        f"{ABI_VERSION}) for platform {plat.tag} (Python {sys.version.split()[0]} on "
        f"{sys.platform}). Tried, in order:",
        *(f"  {number}. {entry}" for number, entry in enumerate(tried, start=1)),
        _fix_advice(plat),
    ]
    return NativeLibraryError("\n".join(lines))


def _open(path: str, source: str, plat: PlatformInfo) -> _Loaded:
    """Load ``path``, check its ABI version, bind every function."""
    try:
        cdll = ctypes.CDLL(path)
    except OSError as exc:
        raise NativeLibraryError(
            f"the native library {path} (found via {source}) could not be loaded: {exc}. "
            + _fix_advice(plat)
        ) from exc
    try:
        abi_function = cdll.gopher_auth_abi_version
    except AttributeError:
        raise NativeLibraryError(
            f"{path} (found via {source}) exports no gopher_auth_abi_version(): it is not a "
            f"gopher-orch library of ABI version {ABI_VERSION} but an old or foreign build, or "
            f"upstream's 0.1.x native package (which shares our names). " + _fix_advice(plat)
        ) from None
    abi_function.restype = ctypes.c_int32
    abi_function.argtypes = ()
    abi = int(abi_function())
    if abi != ABI_VERSION:
        raise NativeLibraryError(
            f"ABI version mismatch: {path} (found via {source}) has ABI version {abi}, but this "
            f"gopher-mcp-python needs ABI version {ABI_VERSION}. Install the native package of "
            f"the same release as gopher-mcp-python. " + _fix_advice(plat)
        )
    functions = NativeFunctions(cdll)
    raw_version = functions.gopher_auth_version()
    version = raw_version.decode("utf-8", "replace") if raw_version else ""
    return _Loaded(NativeLibraryInfo(path, source, version, abi), cdll, functions)


def _find_and_open() -> _Loaded:
    plat = detect_platform()
    tried: list[str] = []
    places = (
        (LIBRARY_PATH_ENV, _from_environment),
        (f"platform package {plat.module_name}", lambda: _from_platform_package(plat)),
        ("development build", lambda: _from_development_build(plat)),
        ("system loader path", _from_system_loader),
    )
    for source, find in places:
        try:
            path = find()
        except _NotFound as reason:
            tried.append(f"{source}: {reason}")
            continue
        return _open(path, source, plat)
    raise _not_found_error(plat, tried)


def _ensure_loaded() -> _Loaded:
    loaded = _loaded
    if loaded is not None:
        return loaded
    return _load_once()


def _load_once() -> _Loaded:
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _find_and_open()
        return _loaded


# ------------------------------------------------------------------------------- public API


def load_library() -> NativeLibraryInfo:
    """Find, load and check the native library (once per process); describe what was loaded.

    Raises:
        NativeLibraryError: no library was found (the message lists every place searched and
            the command that fixes it), it could not be loaded, or its ABI version differs.

    """
    return _ensure_loaded().info


def is_library_loaded() -> bool:
    """Whether the native library has been loaded in this process (never loads it)."""
    return _loaded is not None


def get_library() -> ctypes.CDLL:
    """The loaded native library as a ``ctypes.CDLL``, loading it first if needed."""
    return _ensure_loaded().cdll


def get_library_info() -> NativeLibraryInfo:
    """Where the native library was found and its versions, loading it first if needed."""
    return _ensure_loaded().info


def get_auth_functions() -> NativeFunctions:
    """Every ``gopher_auth_*`` function, bound with its prototype, loading the library if needed.

    The attributes carry the C names (``get_auth_functions().gopher_auth_version()``).
    """
    return _ensure_loaded().functions


def is_auth_available() -> bool:
    """Whether the native library can be used: loads it if needed, ``False`` on any failure.

    Use :func:`load_library` instead to see why it is not available.
    """
    try:
        _ensure_loaded()
    except NativeLibraryError:
        return False
    return True
