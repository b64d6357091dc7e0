"""Initialisation, shutdown and version of the native library (each scenario in a fresh process)."""

from __future__ import annotations

from gopher_mcp_python import (
    NativeLibraryInfo,
    gopher_get_auth_library_version,
    gopher_init_auth_library,
    gopher_is_auth_library_initialized,
)
from isolated_python import run_python

SCENARIO = """
import gopher_mcp_python as g
steps = {}
steps["fresh"] = g.gopher_is_auth_library_initialized()
client = g.GopherAuthClient("", "https://issuer.example/")   # initialises implicitly
steps["after_first_client"] = g.gopher_is_auth_library_initialized()
g.gopher_shutdown_auth_library()
g.gopher_shutdown_auth_library()                               # idempotent
steps["after_shutdown"] = g.gopher_is_auth_library_initialized()
try:
    g.GopherAuthClient("", "https://issuer.example/")
    steps["create_after_shutdown"] = "created"
except g.GopherNotInitializedError as exc:
    steps["create_after_shutdown"] = [exc.code, exc.native_message, str(exc)]
client.set_option("token_cache_size", 5)                       # existing handles keep working
steps["old_client_works"] = client.validate_token("x.y.z").error_code < 0
g.gopher_init_auth_library()
g.gopher_init_auth_library()                                   # idempotent
steps["after_init"] = g.gopher_is_auth_library_initialized()
g.GopherAuthClient("", "https://issuer.example/").destroy()
steps["version"] = g.gopher_get_auth_library_version()
report(steps)
"""


def test_init_shutdown_cycle(native_library: NativeLibraryInfo) -> None:
    completed, steps = run_python(SCENARIO, env={"GOPHER_ORCH_LIBRARY_PATH": native_library.path})
    assert steps is not None, completed.stderr
    code, native_message, text = steps.pop("create_after_shutdown")
    assert code == -1012
    assert native_message
    assert native_message in text
    assert "NOT_INITIALIZED" in text
    assert steps == {
        "fresh": False,
        "after_first_client": True,
        "after_shutdown": False,
        "old_client_works": True,
        "after_init": True,
        "version": "0.2.0",
    }


def test_in_process_lifecycle_calls(native_library: NativeLibraryInfo) -> None:
    gopher_init_auth_library()
    assert gopher_is_auth_library_initialized()
    assert gopher_get_auth_library_version() == native_library.version
