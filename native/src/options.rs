//! Validation options: what a single validation requires beyond a good signature
//! (audience, scopes, clock skew) and which clock it uses.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, ErrorCode, Result};

/// Default clock skew in seconds, applied to exp, nbf and iat.
pub const DEFAULT_CLOCK_SKEW: i64 = 60;
/// Largest clock skew accepted (one day).
pub const MAX_CLOCK_SKEW: i64 = 86_400;
/// Longest audience or scope list accepted (bytes); bounds every option string.
pub const MAX_OPTION_STRING_BYTES: usize = 16 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationOptions {
    /// Required scopes; each must be granted exactly.
    pub scopes: Vec<String>,
    /// The audiences of which the audience claim must contain one; empty = no audience check.
    pub audiences: Vec<String>,
    pub clock_skew: i64,
    /// Fixed "now" (Unix seconds), or None for the system clock.
    pub time: Option<i64>,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            scopes: Vec::new(),
            audiences: Vec::new(),
            clock_skew: DEFAULT_CLOCK_SKEW,
            time: None,
        }
    }
}

fn too_long(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidParameter,
        format!("{what} is longer than {MAX_OPTION_STRING_BYTES} bytes"),
    )
}

impl ValidationOptions {
    /// Space-separated required scopes; "" (or only spaces) clears them. Duplicates collapse.
    pub fn set_scopes(&mut self, scopes: &str) -> Result<()> {
        if scopes.len() > MAX_OPTION_STRING_BYTES {
            return Err(too_long("the scope list"));
        }
        let mut list: Vec<String> = Vec::new();
        for s in scopes.split(' ').filter(|s| !s.is_empty()) {
            if s.chars().any(char::is_control) {
                return Err(Error::new(
                    ErrorCode::InvalidParameter,
                    "scopes must not contain control characters (separate scopes with single spaces)",
                ));
            }
            if !list.iter().any(|x| x == s) {
                list.push(s.to_owned());
            }
        }
        self.scopes = list;
        Ok(())
    }

    /// The audience the audience claim must contain byte for byte. `""` is refused: the
    /// audience check cannot be turned off.
    pub fn set_audience(&mut self, audience: &str) -> Result<()> {
        if audience.len() > MAX_OPTION_STRING_BYTES {
            return Err(too_long("the audience"));
        }
        if audience.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidParameter,
                "the audience must not be empty: the audience check cannot be turned off",
            ));
        }
        self.audiences = vec![audience.to_owned()];
        Ok(())
    }

    /// A JSON array of audiences (strings, each non-empty); the audience claim must contain
    /// at least one of them. `[]` is refused: the audience check cannot be turned off.
    pub fn set_audiences(&mut self, audiences_json: &str) -> Result<()> {
        if audiences_json.len() > MAX_OPTION_STRING_BYTES {
            return Err(too_long("the audience list"));
        }
        let bad = |why: String| {
            Error::new(
                ErrorCode::InvalidParameter,
                format!("audiences must be a JSON array of non-empty strings: {why}"),
            )
        };
        let value = crate::json::parse(audiences_json.as_bytes()).map_err(bad)?;
        let serde_json::Value::Array(items) = value else {
            return Err(bad(format!("found {}", crate::json::kind(&value))));
        };
        let mut list: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            match item {
                serde_json::Value::String(s) if !s.is_empty() => {
                    if !list.contains(&s) {
                        list.push(s);
                    }
                }
                other => {
                    return Err(bad(format!(
                        "an item is {}",
                        if other.is_string() {
                            "empty"
                        } else {
                            crate::json::kind(&other)
                        }
                    )))
                }
            }
        }
        if list.is_empty() {
            return Err(bad(
                "the list is empty (the audience check cannot be turned off)".into(),
            ));
        }
        self.audiences = list;
        Ok(())
    }

    pub fn set_clock_skew(&mut self, seconds: i64) -> Result<()> {
        if !(0..=MAX_CLOCK_SKEW).contains(&seconds) {
            return Err(Error::new(
                ErrorCode::InvalidParameter,
                format!("clock skew must be between 0 and {MAX_CLOCK_SKEW} seconds, got {seconds}"),
            ));
        }
        self.clock_skew = seconds;
        Ok(())
    }

    /// A fixed "now" in Unix seconds; 0 = the system clock. Negative values are refused.
    pub fn set_time(&mut self, unix_seconds: i64) -> Result<()> {
        if unix_seconds < 0 {
            return Err(Error::new(
                ErrorCode::InvalidParameter,
                format!("time must be Unix seconds >= 0 (0 = system clock), got {unix_seconds}"),
            ));
        }
        self.time = if unix_seconds == 0 {
            None
        } else {
            Some(unix_seconds)
        };
        Ok(())
    }

    /// The "now" a validation uses, in Unix seconds.
    pub fn now(&self) -> i64 {
        self.time.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_header() {
        let o = ValidationOptions::default();
        assert!(o.scopes.is_empty());
        assert!(o.audiences.is_empty());
        assert_eq!(o.clock_skew, 60);
        assert_eq!(o.time, None);
    }

    #[test]
    fn scopes_split_on_spaces_and_dedupe() {
        let mut o = ValidationOptions::default();
        o.set_scopes("  mcp:read  mcp:admin mcp:read ").unwrap();
        assert_eq!(o.scopes, vec!["mcp:read", "mcp:admin"]);
        o.set_scopes("").unwrap();
        assert!(o.scopes.is_empty());
        assert_eq!(
            o.set_scopes("a\tb").unwrap_err().code,
            ErrorCode::InvalidParameter
        );
    }

    #[test]
    fn ranges_are_enforced() {
        let mut o = ValidationOptions::default();
        assert!(o.set_clock_skew(-1).is_err());
        assert!(o.set_clock_skew(86_401).is_err());
        o.set_clock_skew(0).unwrap();
        assert_eq!(o.clock_skew, 0);
        assert!(o.set_time(-5).is_err());
        o.set_time(1_700_000_000).unwrap();
        assert_eq!(o.now(), 1_700_000_000);
        o.set_time(0).unwrap();
        assert!(o.now() > 1_700_000_000);
    }

    #[test]
    fn an_empty_audience_is_refused_and_changes_nothing() {
        let mut o = ValidationOptions::default();
        o.set_audience("https://mcp.example").unwrap();
        assert_eq!(o.audiences, vec!["https://mcp.example"]);
        let e = o.set_audience("").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidParameter);
        assert!(e.message.contains("cannot be turned off"), "{}", e.message);
        assert_eq!(o.audiences, vec!["https://mcp.example"]);
        assert!(o
            .set_audience(&"a".repeat(MAX_OPTION_STRING_BYTES + 1))
            .is_err());
    }

    #[test]
    fn audience_lists() {
        let mut o = ValidationOptions::default();
        o.set_audiences(r#"["api://mcp", "6e74172b-be56-4843-9ff4-e66a39bb12e3", "api://mcp"]"#)
            .unwrap();
        assert_eq!(
            o.audiences,
            vec!["api://mcp", "6e74172b-be56-4843-9ff4-e66a39bb12e3"]
        );
        for bad in [
            "[]",
            "",
            "\"a\"",
            "[1]",
            "[\"\"]",
            "[\"a\",null]",
            "{}",
            "[\"a\",\"a\"",
            "[\"a\"] x",
        ] {
            let e = o.set_audiences(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidParameter, "{bad}");
        }
        assert!(o
            .set_audiences(&format!("[\"{}\"]", "a".repeat(MAX_OPTION_STRING_BYTES)))
            .is_err());
    }
}
