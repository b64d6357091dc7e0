//! Registered-claim checks for access tokens (RFC 7519 §4.1, RFC 9068, scopes per RFC 8693 §4.2).
//! INTERFACE STUB — implemented by the JOSE-core work; signatures are the contract.

use crate::error::Result;

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

impl Claims {
    /// Builds the typed view of a payload object. Type errors of registered claims are kept
    /// for `check` to report (this never fails for a JSON object).
    pub fn from_map(raw: serde_json::Map<String, serde_json::Value>) -> Claims {
        let _ = raw;
        todo!()
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

/// Checks exp/nbf/iat (with skew both ways) at `now` (Unix seconds), iss, aud, scopes, in this
/// order: INVALID_TOKEN for missing/ill-typed claims, EXPIRED_TOKEN, INVALID_ISSUER (message
/// names both values, bounded), INVALID_AUDIENCE, INSUFFICIENT_SCOPE (names the missing scopes).
pub fn check(claims: &Claims, req: &Requirements, now: i64) -> Result<()> {
    let _ = (claims, req, now);
    todo!()
}
