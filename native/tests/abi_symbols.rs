//! The header and the library agree: every function declared in include/gopher_auth.h is
//! exported by the cdylib, and the cdylib exports nothing else.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

fn strip_comments(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// Names `gopher_auth_…` directly followed by '(' (function declarations).
fn declared_functions(header: &str) -> BTreeSet<String> {
    let code = strip_comments(header);
    let mut names = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("gopher_auth_") {
        let tail = &rest[i..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        if tail[len..].trim_start().starts_with('(') {
            names.insert(tail[..len].to_owned());
        }
        rest = &tail[len..];
    }
    names
}

#[test]
#[cfg(target_os = "linux")]
fn header_and_library_export_the_same_functions() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(dir.join("include/gopher_auth.h")).unwrap();
    let declared = declared_functions(&header);
    assert!(declared.len() >= 28, "parsed only {declared:?}");

    let lib = support::cdylib();
    let nm = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("nm runs");
    assert!(nm.status.success());
    let exported: BTreeSet<String> = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect();
    assert_eq!(declared, exported, "declared (left) vs exported (right)");

    let soname = Command::new("readelf")
        .arg("-d")
        .arg(&lib)
        .output()
        .expect("readelf runs");
    assert!(
        String::from_utf8_lossy(&soname.stdout).contains("[libgopher-orch.so]"),
        "SONAME is libgopher-orch.so"
    );
}
