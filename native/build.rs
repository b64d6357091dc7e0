//! Link settings of the shipped cdylib:
//! - its SONAME / install name is `libgopher-orch` (DESIGN §3: the file ships as
//!   libgopher-orch.so / .dylib; cargo names the file libgopher_orch, packaging renames it).
//!
//! Exports: rustc already limits a cdylib's dynamic symbols to its `#[no_mangle] extern`
//! functions (it passes its own version script), i.e. exactly the `gopher_auth_*` C ABI;
//! `tests/abi_symbols.rs` checks that set against the header.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    match os.as_str() {
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libgopher-orch.so");
        }
        "macos" | "ios" => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libgopher-orch.dylib");
        }
        _ => {}
    }
}
