//! Error codes of the C ABI (`gopher_auth_error_t`) and the engine's error type.

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

/// Makes untrusted text safe to put in an error message: at most `max_chars` characters (an
/// ellipsis marks a cut), control characters (U+0000..U+001F, U+007F..U+009F) escaped as
/// `\u{..}`. Use it for every value that came from a token, a JWKS or a caller.
pub fn sanitize(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(2)));
    for (count, c) in text.chars().enumerate() {
        if count >= max_chars {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Untrusted text as a quoted, escaped literal for an error message: at most `max_chars`
/// characters (an ellipsis marks a cut), with quotes, backslashes, control and other
/// non-printable characters escaped (Rust debug escaping).
pub fn quote(text: &str, max_chars: usize) -> String {
    let mut cut: String = text.chars().take(max_chars).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_controls_and_bounds_length() {
        assert_eq!(sanitize("abc", 10), "abc");
        assert_eq!(sanitize("a\nb\u{7f}\u{0}", 10), "a\\u{a}b\\u{7f}\\u{0}");
        assert_eq!(sanitize("abcdef", 3), "abc…");
        assert_eq!(sanitize("ééé", 2), "éé…");
        assert_eq!(sanitize("", 0), "");
        assert_eq!(sanitize("x", 0), "…");
    }

    #[test]
    fn quote_escapes_and_bounds() {
        assert_eq!(quote("abc", 10), "\"abc\"");
        assert_eq!(quote("a\"b\\\0\n", 10), "\"a\\\"b\\\\\\0\\n\"");
        assert_eq!(quote("abcdef", 3), "\"abc…\"");
        assert_eq!(quote("\u{202e}x", 5), "\"\\u{202e}x\"");
    }

    #[test]
    fn display_names_message_and_code() {
        let e = Error::new(ErrorCode::InvalidIssuer, "bad issuer");
        assert_eq!(e.to_string(), "bad issuer (InvalidIssuer)");
        assert_eq!(ErrorCode::InvalidIssuer as i32, -1003);
    }
}
