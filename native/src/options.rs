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
    /// The audience `aud` must contain, or None for no audience check.
    pub audience: Option<String>,
    pub clock_skew: i64,
    /// Fixed "now" (Unix seconds), or None for the system clock.
    pub time: Option<i64>,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            scopes: Vec::new(),
            audience: None,
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

    /// The audience `aud` must contain byte for byte; "" = no audience check.
    pub fn set_audience(&mut self, audience: &str) -> Result<()> {
        if audience.len() > MAX_OPTION_STRING_BYTES {
            return Err(too_long("the audience"));
        }
        self.audience = if audience.is_empty() {
            None
        } else {
            Some(audience.to_owned())
        };
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
        assert_eq!(o.audience, None);
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
    fn empty_audience_disables_the_check() {
        let mut o = ValidationOptions::default();
        o.set_audience("https://mcp.example").unwrap();
        assert_eq!(o.audience.as_deref(), Some("https://mcp.example"));
        o.set_audience("").unwrap();
        assert_eq!(o.audience, None);
        assert!(o
            .set_audience(&"a".repeat(MAX_OPTION_STRING_BYTES + 1))
            .is_err());
    }
}
