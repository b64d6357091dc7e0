//! `WWW-Authenticate: Bearer …` values (RFC 6750 §3, RFC 9728 §5.1 `resource_metadata`).
//!
//! Every parameter is rendered as an RFC 9110 §5.6.4 quoted-string, with `"` and `\`
//! backslash-escaped. Control characters are refused rather than escaped (a header must never
//! be split or smuggled), and so is anything that would make `error` something other than an
//! RFC 6750 error-code token.

#![forbid(unsafe_code)]

use crate::error::{Error, ErrorCode, Result};

/// Longest accepted parameter value, in bytes.
pub const MAX_PARAM_BYTES: usize = 4096;

/// Renders `Bearer realm="…", resource_metadata="…", scope="…", error="…",
/// error_description="…"`, in this order, leaving out `None` and empty parameters; with no
/// parameter at all the value is just `Bearer`.
///
/// Errors (INVALID_PARAMETER): a value longer than [`MAX_PARAM_BYTES`], a value containing a
/// control character (U+0000..U+001F, U+007F), an `error` that is not a token of
/// printable ASCII without space, `"` or `\`.
pub fn render(
    realm: Option<&str>,
    resource_metadata: Option<&str>,
    scope: Option<&str>,
    error: Option<&str>,
    description: Option<&str>,
) -> Result<String> {
    let params = [
        ("realm", realm),
        ("resource_metadata", resource_metadata),
        ("scope", scope),
        ("error", error),
        ("error_description", description),
    ];
    let mut out = String::from("Bearer");
    let mut first = true;
    for (name, value) in params {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        check_value(name, value)?;
        if name == "error" {
            check_error_code(value)?;
        }
        out.push_str(if first { " " } else { ", " });
        first = false;
        out.push_str(name);
        out.push_str("=\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    Ok(out)
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::InvalidParameter, message)
}

fn check_value(name: &str, value: &str) -> Result<()> {
    if value.len() > MAX_PARAM_BYTES {
        return Err(invalid(format!(
            "WWW-Authenticate parameter {name} is {} bytes; at most {MAX_PARAM_BYTES} are allowed",
            value.len()
        )));
    }
    if let Some(pos) = value.bytes().position(|b| b < 0x20 || b == 0x7f) {
        return Err(invalid(format!(
            "WWW-Authenticate parameter {name} contains a control character at byte {pos}; remove it"
        )));
    }
    Ok(())
}

/// RFC 6750 error codes: `1*( %x20-21 / %x23-5B / %x5D-7E )`, narrowed here to exclude the
/// space so the value is a single token (all registered codes are).
fn check_error_code(value: &str) -> Result<()> {
    let ok = value
        .bytes()
        .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "WWW-Authenticate error must be an RFC 6750 error code such as invalid_token, \
             invalid_request or insufficient_scope (printable ASCII, no space, '\"' or '\\')"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_params_is_bare_bearer() {
        assert_eq!(render(None, None, None, None, None).unwrap(), "Bearer");
        assert_eq!(
            render(Some(""), Some(""), None, Some(""), Some("")).unwrap(),
            "Bearer"
        );
    }

    #[test]
    fn params_in_order_and_comma_separated() {
        let v = render(
            Some("mcp"),
            Some("https://mcp.example.com/.well-known/oauth-protected-resource"),
            Some("mcp:read mcp:admin"),
            Some("insufficient_scope"),
            Some("needs mcp:admin"),
        )
        .unwrap();
        assert_eq!(
            v,
            "Bearer realm=\"mcp\", resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource\", \
             scope=\"mcp:read mcp:admin\", error=\"insufficient_scope\", error_description=\"needs mcp:admin\""
        );
        assert_eq!(
            render(None, Some("https://x/rm"), Some("a b"), None, None).unwrap(),
            "Bearer resource_metadata=\"https://x/rm\", scope=\"a b\""
        );
        assert_eq!(
            render(None, None, None, Some("invalid_token"), None).unwrap(),
            "Bearer error=\"invalid_token\""
        );
    }

    #[test]
    fn quotes_and_backslashes_are_escaped() {
        assert_eq!(
            render(Some(r#"a"b\c"#), None, None, None, Some(r#"say "hi"\"#)).unwrap(),
            r#"Bearer realm="a\"b\\c", error_description="say \"hi\"\\""#
        );
    }

    #[test]
    fn control_characters_rejected() {
        for bad in [
            "a\r\nSet-Cookie: x=1",
            "a\nb",
            "\0",
            "tab\there",
            "del\u{7f}",
        ] {
            let err = render(Some(bad), None, None, None, None).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidParameter);
            assert!(err.message.contains("realm"));
            assert!(render(None, None, None, None, Some(bad)).is_err());
            assert!(render(None, Some(bad), None, None, None).is_err());
            assert!(render(None, None, Some(bad), None, None).is_err());
        }
        // Non-ASCII text that is not a control character is kept.
        assert_eq!(
            render(None, None, None, None, Some("jeton expiré")).unwrap(),
            "Bearer error_description=\"jeton expiré\""
        );
    }

    #[test]
    fn length_limit() {
        let ok = "a".repeat(MAX_PARAM_BYTES);
        assert!(render(Some(&ok), None, None, None, None).is_ok());
        let long = "a".repeat(MAX_PARAM_BYTES + 1);
        let err = render(None, None, None, None, Some(&long)).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidParameter);
        assert!(err.message.contains("error_description"));
    }

    #[test]
    fn error_must_be_a_token() {
        for good in [
            "invalid_token",
            "invalid_request",
            "insufficient_scope",
            "custom!code",
        ] {
            assert!(render(None, None, None, Some(good), None).is_ok(), "{good}");
        }
        for bad in ["invalid token", "a\"b", "a\\b", "é", "x,y=\"z\""] {
            let err = render(None, None, None, Some(bad), None).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidParameter, "{bad}");
        }
    }
}
