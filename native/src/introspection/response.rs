//! Reading an RFC 7662 introspection response into a verdict: the body must be a strict JSON
//! object (else the endpoint is broken: JWKS_FETCH_FAILED, served as 503); `active` must be
//! the JSON boolean `true` (anything else — false, "true", 1, absent — is an inactive token:
//! INVALID_TOKEN); `token_type`, when present, must name an access token. The remaining
//! members become the token's claims, checked by `claims::check_full` like a JWT's.

#![forbid(unsafe_code)]

use serde_json::{Map, Value};

use crate::claims::Claims;
use crate::error::{quote, Error, ErrorCode, Result};

/// Largest introspection response accepted.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// `token_type` values that name an access token (RFC 7662 §2.2 uses the RFC 6749 token type
/// names; some servers send the RFC 8693 URI). DPoP-bound tokens carry `cnf` and are refused
/// as Bearer by the claim checks.
fn is_access_token_type(t: &str) -> bool {
    t.eq_ignore_ascii_case("bearer")
        || t.eq_ignore_ascii_case("access_token")
        || t == "urn:ietf:params:oauth:token-type:access_token"
}

/// The outcome of one introspection, before the per-call checks (audience, scopes, time).
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The server says the token is active: its claims.
    Active(std::sync::Arc<Claims>),
    /// Inactive, or not an access token: the refusal (INVALID_TOKEN).
    Refused(Error),
}

/// Parses the body of a 200 answer from the endpoint of `issuer`. Err only for a body that is
/// not a JSON object (the endpoint's fault, never the token's).
pub fn parse(body: &[u8], issuer: &str) -> Result<Outcome> {
    let map = crate::json::parse_object(body).map_err(|e| {
        Error::new(
            ErrorCode::JwksFetchFailed,
            format!("the introspection response is not a JSON object: {e}"),
        )
    })?;
    Ok(interpret(map, issuer))
}

fn refused(message: String) -> Outcome {
    Outcome::Refused(Error::new(ErrorCode::InvalidToken, message))
}

/// The verdict of a parsed response object. Without `iss` the claims get `issuer` (the
/// response came from its endpoint); a present `iss` is kept and checked like a JWT's.
pub fn interpret(mut map: Map<String, Value>, issuer: &str) -> Outcome {
    match map.remove("active") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => {
            return refused(
                "the token is not active (the authorization server's introspection says \
                 active: false: revoked, expired or unknown); get a new token"
                    .into(),
            )
        }
        Some(other) => {
            return refused(format!(
                "the introspection response's active member is {} (rule introspection-active: \
                 only the JSON boolean true means active)",
                crate::json::kind(&other)
            ))
        }
        None => {
            return refused(
                "the introspection response has no active member (rule introspection-active: \
                 only the JSON boolean true means active)"
                    .into(),
            )
        }
    }
    match map.get("token_type") {
        None => {}
        Some(Value::String(t)) if is_access_token_type(t) => {}
        Some(Value::String(t)) => {
            return refused(format!(
                "the token is not an access token: introspection says token_type {} (rule \
                 introspection-token-type)",
                quote(t, 40)
            ))
        }
        Some(other) => {
            return refused(format!(
                "the introspection response's token_type is {}, not a string",
                crate::json::kind(other)
            ))
        }
    }
    if !map.contains_key("iss") {
        map.insert("iss".to_owned(), Value::String(issuer.to_owned()));
    }
    Outcome::Active(std::sync::Arc::new(Claims::from_map(map)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://as.example/";

    fn active(body: &str) -> bool {
        matches!(parse(body.as_bytes(), ISS).unwrap(), Outcome::Active(_))
    }

    #[test]
    fn only_the_boolean_true_is_active() {
        assert!(active(r#"{"active":true,"sub":"u"}"#));
        for body in [
            r#"{"active":false}"#,
            r#"{"active":"true"}"#,
            r#"{"active":1}"#,
            r#"{"active":null}"#,
            r#"{"sub":"u"}"#,
            r#"{"active":true,"token_type":"refresh_token"}"#,
            r#"{"active":true,"token_type":7}"#,
        ] {
            match parse(body.as_bytes(), ISS).unwrap() {
                Outcome::Refused(e) => assert_eq!(e.code, ErrorCode::InvalidToken, "{body}"),
                Outcome::Active(_) => panic!("{body} taken as active"),
            }
        }
        assert!(active(r#"{"active":true,"token_type":"Bearer"}"#));
        assert!(active(r#"{"active":true,"token_type":"access_token"}"#));
    }

    #[test]
    fn a_broken_body_is_the_endpoints_fault() {
        for body in [
            &b""[..],
            b"<html>",
            b"[]",
            b"{\"active\":true,\"active\":false}",
        ] {
            assert_eq!(
                parse(body, ISS).unwrap_err().code,
                ErrorCode::JwksFetchFailed
            );
        }
    }

    #[test]
    fn claims_come_from_the_response() {
        let Outcome::Active(c) = parse(
            br#"{"active":true,"sub":"alice","scope":"a b","client_id":"cli","exp":9}"#,
            ISS,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(c.subject.as_deref(), Some("alice"));
        assert_eq!(c.scopes, ["a", "b"]);
        assert_eq!(c.client_id.as_deref(), Some("cli"));
        assert!(c.raw().get("active").is_none());
        assert_eq!(
            c.issuer.as_deref(),
            Some(ISS),
            "absent iss: the configured issuer"
        );
    }
}
