//! Registered-claim checks for access tokens (RFC 7519 §4.1, RFC 9068, scopes per RFC 8693 §4.2).

#![forbid(unsafe_code)]

use crate::error::{quote, Error, ErrorCode, Result};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// How many bytes of a claim value an error message may quote.
const QUOTE_CHARS: usize = 128;
/// How many missing scopes an error message names.
const MAX_NAMED_SCOPES: usize = 8;

/// The payload of a token, parsed once.
#[derive(Clone, Debug)]
pub struct Claims {
    /// Every claim as parsed (strict JSON object).
    pub raw: serde_json::Map<String, serde_json::Value>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// `aud` as a list (a string `aud` becomes one element); empty when absent or ill-typed.
    pub audience: Vec<String>,
    pub expiration: Option<f64>,
    pub not_before: Option<f64>,
    pub issued_at: Option<f64>,
    /// Granted scopes: `scope` (space-separated string) then `scp` (array or string), deduplicated.
    pub scopes: Vec<String>,
}

fn string_claim(raw: &Map<String, Value>, name: &str) -> Option<String> {
    raw.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn number_claim(raw: &Map<String, Value>, name: &str) -> Option<f64> {
    raw.get(name)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// `aud` as a list, or None when it is neither a string nor an array of strings.
fn audience_list(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

/// Scopes granted by `scope` and `scp`. `scope` counts only as a string; `scp` as a string or
/// as an array made only of strings. Anything else grants nothing.
fn granted_scopes(raw: &Map<String, Value>) -> Vec<String> {
    let mut listed: Vec<&str> = Vec::new();
    if let Some(Value::String(s)) = raw.get("scope") {
        listed.extend(s.split(' '));
    }
    match raw.get("scp") {
        Some(Value::String(s)) => listed.extend(s.split(' ')),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            listed.extend(items.iter().filter_map(Value::as_str));
        }
        _ => {}
    }
    // Short lists (the normal case) deduplicate by scanning; long ones through a HashSet, so
    // the cost stays linear: the payload is parsed before the signature is checked, and its
    // size is the sender's choice (up to max_token_bytes).
    let mut out: Vec<String> = Vec::with_capacity(listed.len());
    if listed.len() <= 32 {
        for s in listed {
            if !s.is_empty() && !out.iter().any(|o| o == s) {
                out.push(s.to_owned());
            }
        }
    } else {
        let mut seen: HashSet<&str> = HashSet::with_capacity(listed.len());
        out.extend(
            listed
                .into_iter()
                .filter(|s| !s.is_empty() && seen.insert(s))
                .map(str::to_owned),
        );
    }
    out
}

impl Claims {
    /// Builds the typed view of a payload object. Type errors of registered claims are kept
    /// for `check` to report (this never fails for a JSON object).
    pub fn from_map(raw: serde_json::Map<String, serde_json::Value>) -> Claims {
        Claims {
            subject: string_claim(&raw, "sub"),
            issuer: string_claim(&raw, "iss"),
            audience: raw.get("aud").and_then(audience_list).unwrap_or_default(),
            expiration: number_claim(&raw, "exp"),
            not_before: number_claim(&raw, "nbf"),
            issued_at: number_claim(&raw, "iat"),
            scopes: granted_scopes(&raw),
            raw,
        }
    }

    /// The payload as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::Value::Object(self.raw.clone()).to_string()
    }
}

/// What a validation requires beyond the signature.
#[derive(Clone, Debug, Default)]
pub struct Requirements {
    pub issuer: String,
    /// None = no audience check (`aud` must still be present and well-typed).
    pub audience: Option<String>,
    pub scopes: Vec<String>,
    pub clock_skew: i64,
}

impl Requirements {
    /// A borrowed view, for [`check_ref`].
    pub fn view(&self) -> RequirementsRef<'_> {
        RequirementsRef {
            issuer: &self.issuer,
            audience: self.audience.as_deref(),
            scopes: &self.scopes,
            clock_skew: self.clock_skew,
        }
    }
}

/// [`Requirements`] borrowed from where they are configured: the client checks every token
/// against its own issuer and the caller's options without copying them per validation.
#[derive(Clone, Copy, Debug)]
pub struct RequirementsRef<'a> {
    pub issuer: &'a str,
    /// None = no audience check (`aud` must still be present and well-typed).
    pub audience: Option<&'a str>,
    pub scopes: &'a [String],
    pub clock_skew: i64,
}

fn invalid_token(message: String) -> Error {
    Error::new(ErrorCode::InvalidToken, message)
}

/// A time claim: None when absent, Err when present but not a finite JSON number.
fn time_claim(raw: &Map<String, Value>, name: &str) -> Result<Option<f64>> {
    match raw.get(name) {
        None => Ok(None),
        Some(v) => match v.as_f64().filter(|f| v.is_number() && f.is_finite()) {
            Some(f) => Ok(Some(f)),
            None => Err(invalid_token(format!(
                "the {name} claim must be a JSON number (seconds since the epoch), found {}",
                crate::json::kind(v)
            ))),
        },
    }
}

/// Formats a time value for messages: whole seconds as integers, fractions to milliseconds,
/// and absurd magnitudes in scientific notation so a message never grows with the claim.
fn show_time(t: f64) -> String {
    if t.abs() >= 1e15 {
        format!("{t:e}")
    } else if t.fract() == 0.0 {
        format!("{}", t as i64)
    } else {
        format!("{t:.3}")
    }
}

/// Checks exp/nbf/iat (with skew both ways) at `now` (Unix seconds), iss, aud, scopes, in this
/// order: INVALID_TOKEN for missing/ill-typed claims, EXPIRED_TOKEN, INVALID_ISSUER (message
/// names both values, bounded), INVALID_AUDIENCE, INSUFFICIENT_SCOPE (names the missing scopes).
pub fn check(claims: &Claims, req: &Requirements, now: i64) -> Result<()> {
    check_ref(claims, req.view(), now)
}

/// [`check`] with borrowed requirements (the client's hot path).
pub fn check_ref(claims: &Claims, req: RequirementsRef<'_>, now: i64) -> Result<()> {
    let raw = &claims.raw;
    // Seconds fit an f64 exactly up to 2^53, far beyond any real clock.
    let now_f = now as f64;
    let skew = req.clock_skew.max(0) as f64;

    // exp: required; valid iff now < exp + skew.
    let exp = time_claim(raw, "exp")?.ok_or_else(|| {
        invalid_token("the token has no exp claim; access tokens must expire".into())
    })?;
    if now_f >= exp + skew {
        return Err(Error::new(
            ErrorCode::ExpiredToken,
            format!(
                "the token expired at {} (now {now}, clock skew {}s); get a new token",
                show_time(exp),
                req.clock_skew.max(0)
            ),
        ));
    }
    // nbf: optional; valid iff nbf <= now + skew.
    if let Some(nbf) = time_claim(raw, "nbf")? {
        if nbf > now_f + skew {
            return Err(invalid_token(format!(
                "the token is not yet valid (nbf {} is after now {now} + clock skew {}s)",
                show_time(nbf),
                req.clock_skew.max(0)
            )));
        }
    }
    // iat: optional; invalid if issued in the future beyond the skew.
    if let Some(iat) = time_claim(raw, "iat")? {
        if iat > now_f + skew {
            return Err(invalid_token(format!(
                "the token was issued in the future (iat {} is after now {now} + clock skew {}s)",
                show_time(iat),
                req.clock_skew.max(0)
            )));
        }
    }

    // iss: required string, byte-for-byte equal.
    match raw.get("iss") {
        None => return Err(invalid_token("the token has no iss claim".into())),
        Some(Value::String(iss)) => {
            if iss != req.issuer {
                return Err(Error::new(
                    ErrorCode::InvalidIssuer,
                    format!(
                        "issuer mismatch: expected {}, got {}",
                        quote(req.issuer, QUOTE_CHARS),
                        quote(iss, QUOTE_CHARS)
                    ),
                ));
            }
        }
        Some(other) => {
            return Err(invalid_token(format!(
                "the iss claim must be a string, found {}",
                crate::json::kind(other)
            )))
        }
    }

    // aud: required, a string or a non-empty array of strings; must contain the audience.
    let audiences = match raw.get("aud") {
        None => return Err(invalid_token("the token has no aud claim".into())),
        Some(v) => audience_list(v).ok_or_else(|| {
            invalid_token(format!(
                "the aud claim must be a string or an array of strings, found {}",
                crate::json::kind(v)
            ))
        })?,
    };
    if audiences.is_empty() {
        return Err(invalid_token("the aud claim is an empty array".into()));
    }
    if let Some(expected) = req.audience {
        if !audiences.iter().any(|a| a == expected) {
            return Err(Error::new(
                ErrorCode::InvalidAudience,
                format!(
                    "the token is not for this audience: expected {} in aud ({} value(s), first {})",
                    quote(expected, QUOTE_CHARS),
                    audiences.len(),
                    quote(audiences.first().map_or("", String::as_str), QUOTE_CHARS / 2)
                ),
            ));
        }
    }

    // scopes: every required scope granted exactly.
    let missing: Vec<&str> = req
        .scopes
        .iter()
        .filter(|s| !s.is_empty() && !claims.scopes.iter().any(|g| g == *s))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        let mut named: Vec<String> = missing
            .iter()
            .take(MAX_NAMED_SCOPES)
            .map(|s| quote(s, 40))
            .collect();
        if missing.len() > MAX_NAMED_SCOPES {
            named.push(format!("and {} more", missing.len() - MAX_NAMED_SCOPES));
        }
        return Err(Error::new(
            ErrorCode::InsufficientScope,
            format!(
                "the token lacks the required scope(s): {}",
                named.join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_767_225_600;
    const ISS: &str = "https://auth.example.com/";
    const AUD: &str = "https://mcp.example.com";

    fn claims(v: Value) -> Claims {
        match v {
            Value::Object(m) => Claims::from_map(m),
            _ => panic!("test payload must be an object"),
        }
    }

    fn base() -> Value {
        json!({"iss": ISS, "aud": AUD, "exp": NOW + 600, "iat": NOW - 10, "nbf": NOW - 10,
               "sub": "u1", "scope": "mcp:read mcp:write"})
    }

    fn with(k: &str, v: Value) -> Claims {
        let mut b = base();
        b[k] = v;
        claims(b)
    }

    fn without(k: &str) -> Claims {
        let mut b = base();
        b.as_object_mut().unwrap().remove(k);
        claims(b)
    }

    fn req() -> Requirements {
        Requirements {
            issuer: ISS.into(),
            audience: Some(AUD.into()),
            scopes: vec!["mcp:read".into()],
            clock_skew: 60,
        }
    }

    fn code(c: &Claims, r: &Requirements) -> Option<ErrorCode> {
        check(c, r, NOW).err().map(|e| e.code)
    }

    #[test]
    fn typed_view() {
        let c = claims(
            json!({"sub": "s", "iss": "i", "aud": ["a", "b"], "exp": 5.5, "nbf": 1, "iat": 2,
                              "scope": "x y x", "scp": ["y", "z"]}),
        );
        assert_eq!(c.subject.as_deref(), Some("s"));
        assert_eq!(c.issuer.as_deref(), Some("i"));
        assert_eq!(c.audience, vec!["a", "b"]);
        assert_eq!(
            (c.expiration, c.not_before, c.issued_at),
            (Some(5.5), Some(1.0), Some(2.0))
        );
        assert_eq!(c.scopes, vec!["x", "y", "z"]);
        let ill =
            claims(json!({"sub": 1, "aud": ["a", 1], "exp": "5", "scope": ["x"], "scp": "p  q"}));
        assert_eq!(
            (ill.subject, ill.audience.len(), ill.expiration),
            (None, 0, None)
        );
        assert_eq!(ill.scopes, vec!["p", "q"]);
        assert_eq!(
            claims(json!({"scp": ["a", 1]})).scopes,
            Vec::<String>::new()
        );
        assert!(c.to_json().starts_with('{'));
    }

    #[test]
    fn valid_token_passes() {
        assert_eq!(code(&claims(base()), &req()), None);
        assert_eq!(code(&without("nbf"), &req()), None);
        assert_eq!(code(&without("iat"), &req()), None);
        assert_eq!(
            code(
                &with("exp", json!(NOW as f64 + 0.5)),
                &Requirements {
                    clock_skew: 0,
                    ..req()
                }
            ),
            None
        );
    }

    #[test]
    fn exp_rules() {
        let zero = Requirements {
            clock_skew: 0,
            ..req()
        };
        assert_eq!(code(&without("exp"), &req()), Some(ErrorCode::InvalidToken));
        for bad in [
            json!("1767229200"),
            json!(true),
            json!(null),
            json!([1]),
            json!({}),
        ] {
            assert_eq!(
                code(&with("exp", bad), &req()),
                Some(ErrorCode::InvalidToken)
            );
        }
        assert_eq!(
            code(&with("exp", json!(NOW)), &zero),
            Some(ErrorCode::ExpiredToken),
            "now == exp"
        );
        assert_eq!(code(&with("exp", json!(NOW + 1)), &zero), None);
        assert_eq!(
            code(&with("exp", json!(NOW - 30)), &req()),
            None,
            "within skew"
        );
        assert_eq!(
            code(&with("exp", json!(NOW - 60)), &req()),
            Some(ErrorCode::ExpiredToken),
            "at skew edge"
        );
        let e = check(&with("exp", json!(NOW - 3600)), &req(), NOW).unwrap_err();
        assert!(e.message.contains("expired at 1767222000"), "{}", e.message);
    }

    #[test]
    fn nbf_and_iat_rules() {
        assert_eq!(
            code(&with("nbf", json!(NOW + 60)), &req()),
            None,
            "nbf == now + skew"
        );
        let e = check(&with("nbf", json!(NOW + 61)), &req(), NOW).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        assert!(e.message.contains("not yet valid"));
        assert_eq!(
            code(&with("nbf", json!("0")), &req()),
            Some(ErrorCode::InvalidToken)
        );
        assert_eq!(code(&with("iat", json!(NOW + 60)), &req()), None);
        assert_eq!(
            code(&with("iat", json!(NOW + 61)), &req()),
            Some(ErrorCode::InvalidToken)
        );
        assert_eq!(
            code(&with("iat", json!("0")), &req()),
            Some(ErrorCode::InvalidToken)
        );
        assert_eq!(code(&with("iat", json!(1.5)), &req()), None);
    }

    #[test]
    fn issuer_rules() {
        assert_eq!(code(&without("iss"), &req()), Some(ErrorCode::InvalidToken));
        assert_eq!(
            code(&with("iss", json!(["x"])), &req()),
            Some(ErrorCode::InvalidToken)
        );
        let e = check(&with("iss", json!("https://auth.example.com")), &req(), NOW).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidIssuer);
        assert!(
            e.message.contains("\"https://auth.example.com/\"")
                && e.message.contains("\"https://auth.example.com\"")
        );
        // Attacker-sized, control-laden issuers are bounded and sanitized.
        let long = format!("evil\n{}", "x".repeat(10_000));
        let e = check(&with("iss", json!(long)), &req(), NOW).unwrap_err();
        assert!(
            e.message.len() < 400 && !e.message.contains('\n'),
            "{}",
            e.message
        );
    }

    #[test]
    fn audience_rules() {
        assert_eq!(code(&without("aud"), &req()), Some(ErrorCode::InvalidToken));
        assert_eq!(
            code(&with("aud", json!([AUD, 1])), &req()),
            Some(ErrorCode::InvalidToken)
        );
        assert_eq!(
            code(&with("aud", json!(7)), &req()),
            Some(ErrorCode::InvalidToken)
        );
        assert_eq!(
            code(&with("aud", json!([])), &req()),
            Some(ErrorCode::InvalidToken)
        );
        assert_eq!(code(&with("aud", json!(["other", AUD])), &req()), None);
        assert_eq!(
            code(&with("aud", json!(["other"])), &req()),
            Some(ErrorCode::InvalidAudience)
        );
        assert_eq!(
            code(&with("aud", json!("https://mcp.example.com/")), &req()),
            Some(ErrorCode::InvalidAudience)
        );
        let no_aud_check = Requirements {
            audience: None,
            ..req()
        };
        assert_eq!(code(&with("aud", json!("anything")), &no_aud_check), None);
        assert_eq!(
            code(&without("aud"), &no_aud_check),
            Some(ErrorCode::InvalidToken)
        );
    }

    #[test]
    fn scope_rules() {
        let need = |s: &[&str]| Requirements {
            scopes: s.iter().map(|x| x.to_string()).collect(),
            ..req()
        };
        assert_eq!(
            code(&claims(base()), &need(&["mcp:read", "mcp:write"])),
            None
        );
        let e = check(&claims(base()), &need(&["mcp:admin", "mcp:read", "x"]), NOW).unwrap_err();
        assert_eq!(e.code, ErrorCode::InsufficientScope);
        assert!(e.message.contains(r#""mcp:admin", "x""#), "{}", e.message);
        assert_eq!(
            code(&without("scope"), &need(&["mcp:read"])),
            Some(ErrorCode::InsufficientScope)
        );
        assert_eq!(code(&without("scope"), &need(&[])), None);
        assert_eq!(
            code(&with("scope", json!(["mcp:read"])), &need(&["mcp:read"])),
            Some(ErrorCode::InsufficientScope)
        );
        assert_eq!(
            code(
                &with("scope", json!("mcp:read,mcp:write")),
                &need(&["mcp:read"])
            ),
            Some(ErrorCode::InsufficientScope)
        );
        assert_eq!(
            code(&with("scope", json!("mcp")), &need(&["mcp:read"])),
            Some(ErrorCode::InsufficientScope),
            "no prefix match"
        );
        assert_eq!(
            code(&with("scope", json!("MCP:READ")), &need(&["mcp:read"])),
            Some(ErrorCode::InsufficientScope),
            "exact case"
        );
        let scp = claims(
            json!({"iss": ISS, "aud": AUD, "exp": NOW + 60, "scp": ["mcp:read", "mcp:admin"]}),
        );
        assert_eq!(code(&scp, &need(&["mcp:admin"])), None);
        let many: Vec<String> = (0..50).map(|i| format!("s{i}")).collect();
        let e = check(
            &claims(base()),
            &Requirements {
                scopes: many,
                ..req()
            },
            NOW,
        )
        .unwrap_err();
        assert!(
            e.message.contains("and 42 more") && e.message.len() < 300,
            "{}",
            e.message
        );
    }

    #[test]
    fn time_values_in_messages_stay_short() {
        assert_eq!(show_time(1767225600.0), "1767225600");
        assert_eq!(show_time(1.25), "1.250");
        assert_eq!(show_time(-5.0), "-5");
        assert_eq!(show_time(1e308), "1e308");
        for (claim, v) in [("nbf", 1e308), ("iat", 1.7e308), ("exp", -1.7e308)] {
            let e = check(&with(claim, json!(v)), &req(), NOW).unwrap_err();
            assert!(e.message.len() < 160, "{}", e.message);
        }
    }

    #[test]
    fn many_scopes_stay_cheap_and_deduplicated() {
        let listed: Vec<String> = (0..6000).map(|i| format!("s{}", i % 3000)).collect();
        let c = with("scope", json!(listed.join(" ")));
        assert_eq!(c.scopes.len(), 3000);
        assert_eq!(c.scopes.first().map(String::as_str), Some("s0"));
    }

    #[test]
    fn check_order_time_before_issuer() {
        let mut b = base();
        b["exp"] = json!(NOW - 3600);
        b["iss"] = json!("other");
        assert_eq!(code(&claims(b), &req()), Some(ErrorCode::ExpiredToken));
    }
}
