//! Builds tests/c/smoke.c with the system C compiler against include/gopher_auth.h, links it
//! to the cdylib cargo built for this test run (renamed to its shipped name,
//! libgopher-orch.so, which is also its SONAME) and runs it under valgrind.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{cdylib, jwks, TestKey, AUDIENCE, ISSUER};

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
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-g",
            "-I",
        ])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include"))
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/c/smoke.c"))
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
        .args([
            "--quiet",
            "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--error-exitcode=99",
        ])
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
