//! The claim policy of a client: which claim holds the audience, which claims grant scopes
//! (names or dotted paths into nested objects), and which claims must hold an exact value.
//!
//! The default policy (`aud`; `scope`, `scp`; nothing required) is served from the claims the
//! payload parser already typed; any other policy reads the full claims map (built once per
//! verified token and kept with it in the token cache).

#![forbid(unsafe_code)]

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::error::{quote, Error, ErrorCode, Result};
use crate::payload::Val;

/// Longest claim name or dotted path accepted.
pub const MAX_CLAIM_NAME_BYTES: usize = 256;
/// Most scope sources one client may name.
pub const MAX_SCOPE_CLAIMS: usize = 16;
/// Most required claims one client may name.
pub const MAX_REQUIRED_CLAIMS: usize = 32;
/// Longest required value.
pub const MAX_REQUIRED_VALUE_BYTES: usize = 1024;
/// Most path segments of a dotted scope source (`resource_access.<client>.roles` has 3).
pub const MAX_PATH_SEGMENTS: usize = 8;

/// A claim that grants scopes: a top-level name, or a dotted path into nested objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimPath {
    /// As configured, e.g. `realm_access.roles`.
    pub name: String,
    /// The dot-separated segments (one for a plain name).
    segments: Vec<String>,
}

impl ClaimPath {
    fn parse(text: &str, option: &str) -> Result<ClaimPath> {
        check_name(text, option)?;
        let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return Err(config_error(
                option,
                format!("{} has an empty path segment", quote(text, 64)),
            ));
        }
        if segments.len() > MAX_PATH_SEGMENTS {
            return Err(config_error(
                option,
                format!(
                    "{} has more than {MAX_PATH_SEGMENTS} segments",
                    quote(text, 64)
                ),
            ));
        }
        Ok(ClaimPath {
            name: text.to_owned(),
            segments,
        })
    }

    /// The value this source names: the claim of exactly this name if present (namespaced
    /// claims such as `https://example.com/roles` hold dots), else the dotted path.
    pub fn resolve<'a>(&self, claims: &'a Map<String, Value>) -> Option<&'a Value> {
        if let Some(v) = claims.get(&self.name) {
            return Some(v);
        }
        if self.segments.len() < 2 {
            return None;
        }
        let (first, rest) = self.segments.split_first()?;
        let mut value = claims.get(first)?;
        for segment in rest {
            value = value.as_object()?.get(segment)?;
        }
        Some(value)
    }
}

/// The claim policy (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimPolicy {
    /// The claim that must contain one of the configured audiences (default `aud`).
    pub audience_claim: String,
    /// The claims that grant scopes, in order (default `scope`, `scp`).
    pub scope_claims: Vec<ClaimPath>,
    /// Claims that must be present with exactly this string value.
    pub required: Vec<(String, String)>,
}

impl Default for ClaimPolicy {
    fn default() -> Self {
        ClaimPolicy {
            audience_claim: "aud".to_owned(),
            scope_claims: vec![
                ClaimPath::parse("scope", "").expect("valid"),
                ClaimPath::parse("scp", "").expect("valid"),
            ],
            required: Vec::new(),
        }
    }
}

fn config_error(option: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InvalidConfig, format!("option {option}: {why}"))
}

fn check_name(name: &str, option: &str) -> Result<()> {
    if name.is_empty() {
        return Err(config_error(option, "a claim name must not be empty"));
    }
    if name.len() > MAX_CLAIM_NAME_BYTES {
        return Err(config_error(
            option,
            format!("a claim name is longer than {MAX_CLAIM_NAME_BYTES} bytes"),
        ));
    }
    if name.chars().any(|c| c.is_control() || c == ' ' || c == ',') {
        return Err(config_error(
            option,
            format!(
                "{} is not a claim name (no spaces, commas or control characters)",
                quote(name, 64)
            ),
        ));
    }
    Ok(())
}

impl ClaimPolicy {
    /// The shared default policy.
    pub fn default_ref() -> &'static ClaimPolicy {
        static DEFAULT: OnceLock<ClaimPolicy> = OnceLock::new();
        DEFAULT.get_or_init(ClaimPolicy::default)
    }

    /// Whether the audience is read from `aud` (the typed fast path).
    pub fn audience_is_aud(&self) -> bool {
        self.audience_claim == "aud"
    }

    /// Whether scopes come from exactly `scope` then `scp` (the typed fast path).
    pub fn scopes_are_default(&self) -> bool {
        self.scope_claims.len() == 2
            && self.scope_claims[0].name == "scope"
            && self.scope_claims[1].name == "scp"
    }

    /// Sets the audience claim (a top-level claim name).
    pub fn set_audience_claim(&mut self, option: &str, value: &str) -> Result<()> {
        let value = value.trim();
        check_name(value, option)?;
        self.audience_claim = value.to_owned();
        Ok(())
    }

    /// Sets the scope sources from a comma-separated list of claim names or dotted paths.
    pub fn set_scope_claims(&mut self, option: &str, value: &str) -> Result<()> {
        let mut list: Vec<ClaimPath> = Vec::new();
        for part in value.split(',') {
            let path = ClaimPath::parse(part.trim(), option)?;
            if !list.contains(&path) {
                list.push(path);
            }
        }
        if list.len() > MAX_SCOPE_CLAIMS {
            return Err(config_error(
                option,
                format!("at most {MAX_SCOPE_CLAIMS} scope claims"),
            ));
        }
        self.scope_claims = list;
        Ok(())
    }

    /// Sets the required claims from a JSON object of claim name → exact string value
    /// ("" or "{}" = none).
    pub fn set_required_claims(&mut self, option: &str, value: &str) -> Result<()> {
        if value.trim().is_empty() {
            self.required.clear();
            return Ok(());
        }
        let map = crate::json::parse_object(value.as_bytes()).map_err(|e| {
            config_error(
                option,
                format!("expected a JSON object of claim name to string value ({e})"),
            )
        })?;
        if map.len() > MAX_REQUIRED_CLAIMS {
            return Err(config_error(
                option,
                format!("at most {MAX_REQUIRED_CLAIMS} required claims"),
            ));
        }
        let mut required = Vec::with_capacity(map.len());
        for (name, v) in map {
            check_name(&name, option)?;
            let Value::String(v) = v else {
                return Err(config_error(
                    option,
                    format!(
                        "the value of {} must be a string (exact match)",
                        quote(&name, 64)
                    ),
                ));
            };
            if v.len() > MAX_REQUIRED_VALUE_BYTES {
                return Err(config_error(
                    option,
                    format!("a value is longer than {MAX_REQUIRED_VALUE_BYTES} bytes"),
                ));
            }
            required.push((name, v));
        }
        self.required = required;
        Ok(())
    }

    /// Checks the required claims against the full claims map.
    pub fn check_required(&self, claims: &Map<String, Value>) -> Result<()> {
        for (name, want) in &self.required {
            match claims.get(name) {
                Some(Value::String(got)) if got == want => {}
                Some(other) => {
                    let found = match other {
                        Value::String(s) => quote(s, 48),
                        v => crate::json::kind(v).to_owned(),
                    };
                    return Err(Error::new(
                        ErrorCode::InvalidToken,
                        format!(
                            "the required claim {} must be {}, found {found}",
                            quote(name, 64),
                            quote(want, 64)
                        ),
                    ));
                }
                None => {
                    return Err(Error::new(
                        ErrorCode::InvalidToken,
                        format!(
                            "the token lacks the required claim {} (must be {})",
                            quote(name, 64),
                            quote(want, 64)
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The scopes granted under this policy: each source in order, a string split at single
    /// spaces or an array of strings; only RFC 6749 scope-tokens, deduplicated.
    pub fn granted_scopes(&self, claims: &Map<String, Value>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut push = |s: &str| {
            if crate::claims::is_scope_token(s) && seen.insert(s.to_owned()) {
                out.push(s.to_owned());
            }
        };
        for source in &self.scope_claims {
            match source.resolve(claims).map(Val::from_value) {
                Some(Val::Str(s)) => s.split(' ').for_each(&mut push),
                Some(Val::Strings(items)) => items.iter().for_each(|s| push(s)),
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("object"),
        }
    }

    #[test]
    fn defaults() {
        let p = ClaimPolicy::default();
        assert!(p.audience_is_aud() && p.scopes_are_default() && p.required.is_empty());
        assert_eq!(ClaimPolicy::default_ref(), &p);
    }

    #[test]
    fn scope_sources_names_and_paths() {
        let mut p = ClaimPolicy::default();
        p.set_scope_claims(
            "scope_claims",
            " scp , roles,realm_access.roles, resource_access.mcp-server.roles,https://x.example/perms",
        )
        .unwrap();
        assert!(!p.scopes_are_default());
        let claims = map(json!({
            "scp": "a b",
            "roles": ["Admin", "bad item", "a"],
            "realm_access": {"roles": ["offline_access", "mcp:read"]},
            "resource_access": {"mcp-server": {"roles": ["mcp:admin"]}, "account": {"roles": ["x"]}},
            "https://x.example/perms": ["p:1"],
            "scope": "ignored"
        }));
        assert_eq!(
            p.granted_scopes(&claims),
            vec![
                "a",
                "b",
                "Admin",
                "offline_access",
                "mcp:read",
                "mcp:admin",
                "p:1"
            ]
        );
        // A path through a non-object, or to a non-string, grants nothing.
        let odd = map(
            json!({"realm_access": ["roles"], "roles": 5, "resource_access": {"mcp-server": "r"}}),
        );
        assert!(p.granted_scopes(&odd).is_empty());
    }

    #[test]
    fn option_errors_name_the_option() {
        let mut p = ClaimPolicy::default();
        for bad in ["", "a,,b", "a b", "a.", ".a", "a..b", "x\u{1}"] {
            let e = p.set_scope_claims("scope_claims", bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidConfig, "{bad:?}");
            assert!(e.message.contains("scope_claims"), "{}", e.message);
        }
        let many = (0..20)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(p.set_scope_claims("scope_claims", &many).is_err());
        assert!(p
            .set_scope_claims("scope_claims", "a.".repeat(9).trim_end_matches('.'))
            .is_err());
        assert!(p.set_audience_claim("audience_claim", "").is_err());
        assert!(p.set_audience_claim("audience_claim", "a b").is_err());
        p.set_audience_claim("audience_claim", "client_id").unwrap();
        assert!(!p.audience_is_aud());
        for bad in ["[]", "{\"a\":1}", "{\"a\":null}", "{", "{\"\":\"x\"}"] {
            let e = p.set_required_claims("required_claims", bad).unwrap_err();
            assert!(
                e.message.contains("required_claims"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn required_claims_match_exactly() {
        let mut p = ClaimPolicy::default();
        p.set_required_claims("required_claims", r#"{"token_use":"access","tid":"t-1"}"#)
            .unwrap();
        assert!(p
            .check_required(&map(json!({"token_use": "access", "tid": "t-1"})))
            .is_ok());
        for bad in [
            json!({"token_use": "access"}),
            json!({"token_use": "Access", "tid": "t-1"}),
            json!({"token_use": ["access"], "tid": "t-1"}),
            json!({"token_use": "access", "tid": "t-2"}),
        ] {
            let e = p.check_required(&map(bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidToken);
            assert!(e.message.contains("required claim"), "{}", e.message);
        }
        p.set_required_claims("required_claims", "").unwrap();
        assert!(p.required.is_empty());
    }
}
