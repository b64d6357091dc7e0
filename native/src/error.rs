//! Error codes of the C ABI (`gopher_auth_error_t`) and the engine's error type.

#![forbid(unsafe_code)]

/// The C ABI's error codes; values are upstream's and never change.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Success = 0,
    InvalidToken = -1000,
    ExpiredToken = -1001,
    InvalidSignature = -1002,
    InvalidIssuer = -1003,
    InvalidAudience = -1004,
    InsufficientScope = -1005,
    JwksFetchFailed = -1006,
    InvalidKey = -1007,
    NetworkError = -1008,
    InvalidConfig = -1009,
    OutOfMemory = -1010,
    InvalidParameter = -1011,
    NotInitialized = -1012,
    InternalError = -1013,
    TokenExchangeFailed = -1014,
    IdpNotLinked = -1015,
    InvalidIdpAlias = -1016,
}

/// An engine error: a code plus a bounded, sanitized message (never raw token content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({:?})", self.message, self.code)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Makes untrusted text safe to put in an error message: control characters (U+0000..U+001F,
/// U+007F..U+009F) escaped as `\u{..}`, and at most `max_bytes` bytes of output (an ellipsis
/// marks a cut). Use it for every value that came from a token, a JWKS or a caller.
pub fn sanitize(text: &str, max_bytes: usize) -> String {
    bounded(text, max_bytes, |c, out| {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    })
}

/// Untrusted text as a quoted literal for an error message: quotes, backslashes, control and
/// other non-printable characters escaped (Rust debug escaping), the escaped content at most
/// `max_bytes` bytes (an ellipsis marks a cut), surrounded by double quotes.
pub fn quote(text: &str, max_bytes: usize) -> String {
    let inner = bounded(text, max_bytes, |c, out| {
        if c == '\'' {
            out.push(c);
        } else {
            out.extend(c.escape_debug());
        }
    });
    format!("\"{inner}\"")
}

/// Appends each character's rendering while the output stays within `max_bytes`.
fn bounded(text: &str, max_bytes: usize, render: impl Fn(char, &mut String)) -> String {
    let mut out = String::with_capacity(text.len().min(max_bytes) + 3);
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        render(c, &mut piece);
        if out.len() + piece.len() > max_bytes {
            out.push('…');
            break;
        }
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_controls_and_bounds_length() {
        assert_eq!(sanitize("abc", 10), "abc");
        assert_eq!(sanitize("a\nb\u{7f}\u{0}", 40), "a\\u{a}b\\u{7f}\\u{0}");
        assert_eq!(sanitize("abcdef", 3), "abc…");
        assert_eq!(sanitize("ééé", 4), "éé…");
        assert_eq!(sanitize("", 0), "");
        assert_eq!(sanitize("x", 0), "…");
        let worst = "\u{1}".repeat(1000);
        assert!(sanitize(&worst, 100).len() <= 103);
    }

    #[test]
    fn quote_escapes_and_bounds() {
        assert_eq!(quote("abc", 10), "\"abc\"");
        assert_eq!(quote("it's", 10), "\"it's\"");
        assert_eq!(quote("a\"b\\\0\n", 20), "\"a\\\"b\\\\\\0\\n\"");
        assert_eq!(quote("abcdef", 3), "\"abc…\"");
        assert_eq!(quote("\u{202e}x", 20), "\"\\u{202e}x\"");
        for worst in [
            "\u{0}".repeat(500),
            "\u{10ffff}".repeat(500),
            "é".repeat(500),
        ] {
            assert!(
                quote(&worst, 128).len() <= 128 + 5,
                "{}",
                quote(&worst, 128)
            );
        }
    }

    #[test]
    fn display_names_message_and_code() {
        let e = Error::new(ErrorCode::InvalidIssuer, "bad issuer");
        assert_eq!(e.to_string(), "bad issuer (InvalidIssuer)");
        assert_eq!(ErrorCode::InvalidIssuer as i32, -1003);
    }
}
