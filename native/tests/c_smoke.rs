//! Builds tests/c/smoke.c with the system C compiler against include/gopher_auth.h, links it
//! to the cdylib cargo built for this test run (renamed to its shipped name,
//! libgopher-orch.so, which is also its SONAME) and runs it under valgrind.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{jwks, TestKey, AUDIENCE, ISSUER};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>/ of this test binary (target/<profile>/deps/c_smoke-…).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The cdylib of this build. `cargo test` builds every crate type of the library, so it is
/// there; if it is missing (a partial build), build it rather than skip.
pub fn cdylib() -> PathBuf {
    let lib = profile_dir().join(if cfg!(target_os = "macos") { "libgopher_orch.dylib" } else { "libgopher_orch.so" });
    if !lib.exists() {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--lib", "--manifest-path"]).arg(manifest_dir().join("Cargo.toml"));
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        assert!(cmd.status().unwrap().success(), "cargo build of the cdylib failed");
    }
    assert!(lib.exists(), "no cdylib at {}", lib.display());
    lib
}

/// A private directory holding the library under its shipped name.
fn staged_library() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gopher-orch-c-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(cdylib(), dir.join("libgopher-orch.so")).unwrap();
    dir
}

#[test]
#[cfg(target_os = "linux")]
fn c_smoke_test_under_valgrind() {
    let dir = staged_library();
    let exe = dir.join("smoke");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g", "-I"])
        .arg(manifest_dir().join("include"))
        .arg(manifest_dir().join("tests/c/smoke.c"))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", dir.display()))
        .arg("-l:libgopher-orch.so")
        .arg(format!("-Wl,-rpath,{}", dir.display()))
        .status()
        .expect("the system C compiler (cc) runs");
    assert!(status.success(), "compiling smoke.c failed");

    let key = TestKey::new("smoke-key", 7);
    let other = TestKey::new("smoke-key", 8); // same kid, different key: a bad signature
    let good = key.token("mcp:read mcp:write mcp:read");
    let bad = other.token("mcp:read");

    let output = Command::new("valgrind")
        .args(["--quiet", "--leak-check=full", "--show-leak-kinds=definite,indirect,possible", "--errors-for-leak-kinds=definite,indirect,possible", "--error-exitcode=99"])
        .arg(&exe)
        .args([jwks(&[&key]).as_str(), &good, &bad, ISSUER, AUDIENCE])
        .output()
        .expect("valgrind runs (it is part of the development tools)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "smoke test failed (status {:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}
