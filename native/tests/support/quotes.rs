//! How many quoted-strings a rendered `WWW-Authenticate` value holds, for the property test
//! (`tests/robustness.rs`) and the fuzz target (`fuzz/fuzz_targets/www_authenticate.rs`).

/// The unescaped `"` characters of `value` (a `\` escapes the character after it). A value
/// whose quoted-strings all close has an even count: two per quoted parameter.
pub fn unescaped_quotes(value: &str) -> usize {
    let mut quotes = 0;
    let mut escaped = false;
    for c in value.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => quotes += 1,
            _ => {}
        }
    }
    quotes
}
