//! Arbitrary parameters for the WWW-Authenticate renderer: never panics, and any value it
//! produces is a single header line of `Bearer` auth-params without control characters.
#![no_main]

#[path = "../../tests/support/quotes.rs"]
mod quotes;

use gopher_orch::www_authenticate::render;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|p: (
    Option<&str>,
    Option<&str>,
    Option<&str>,
    Option<&str>,
    Option<&str>
)| {
    if let Ok(v) = render(p.0, p.1, p.2, p.3, p.4) {
        assert!(v.starts_with("Bearer"));
        assert!(
            !v.bytes().any(|b| b < 0x20 || b == 0x7f),
            "control character in output"
        );
        // Every quoted-string closes: outside of escapes, quotes come in pairs.
        let quotes = quotes::unescaped_quotes(&v);
        assert_eq!(quotes % 2, 0, "unbalanced quotes in {v:?}");
    }
});
