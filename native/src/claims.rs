//! Registered-claim checks for access tokens (RFC 7519 §4.1, RFC 9068, scopes per RFC 8693 §4.2).

#![forbid(unsafe_code)]

use crate::error::{quote, Error, ErrorCode, Result};
use crate::json;
use crate::payload::{Registered, Val};
use crate::policy::ClaimPolicy;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::sync::OnceLock;

/// How many bytes of a claim value an error message may quote.
const QUOTE_CHARS: usize = 128;
/// How many missing scopes an error message names.
const MAX_NAMED_SCOPES: usize = 8;

/// The payload of a token, parsed once: the registered claims typed, the full map on demand.
#[derive(Clone, Debug)]
pub struct Claims {
    /// The strict JSON payload the map is built from on first use (empty when built from a
    /// map).
    source: Vec<u8>,
    /// Every claim as parsed (strict JSON object); see [`Claims::raw`].
    raw: OnceLock<Map<String, Value>>,
    /// How the registered claims `check` reports on are typed.
    shapes: Shapes,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    /// `aud` as a list (a string `aud` becomes one element); empty when absent or ill-typed.
    pub audience: Vec<String>,
    pub expiration: Option<f64>,
    pub not_before: Option<f64>,
    pub issued_at: Option<f64>,
    /// Granted scopes: `scope` (space-separated string) then `scp` (array or string),
    /// deduplicated; only RFC 6749 scope-tokens (see [`is_scope_token`]), so no item holds a
    /// space and a space-joined list splits back into exactly these items.
    pub scopes: Vec<String>,
    /// The OAuth client the token was issued to: the first present of `client_id`, `azp`,
    /// `cid`, `appid` (None when that claim is not a string, or none is present).
    pub client_id: Option<String>,
    /// Why this payload is not an access token (ID, refresh or logout token), decided at parse
    /// time; `check` refuses it with this message.
    not_access: Option<String>,
    /// The payload carries `cnf`: the token is bound to a key (DPoP, mTLS).
    key_bound: bool,
}

/// RFC 6749 §3.3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )` — printable ASCII without
/// space, `"` and `\`. Anything else (empty, spaces, control or non-ASCII characters) is not a
/// scope and grants nothing.
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The first present of the client id claims; None when it is not a string (no fallback to
/// the next claim: the token does not get to choose).
fn client_id_of(reg: &Registered<'_>) -> Option<String> {
    [&reg.client_id, &reg.azp, &reg.cid, &reg.appid]
        .into_iter()
        .find_map(Option::as_ref)
        .and_then(|v| match v {
            Val::Str(s) => Some(s.clone().into_owned()),
            _ => None,
        })
}

/// Why a payload is not an access token, or None. The rules (each names itself in the
/// message): a payload `typ` other than `Bearer`/`at+jwt` (any case; Keycloak marks ID,
/// refresh and logout tokens `ID`, `Refresh`, `Logout`), a `token_use` other than `access`
/// (Cognito ID tokens say `id`), and `nonce` or `at_hash` (OpenID Connect ID tokens).
fn not_an_access_token(reg: &Registered<'_>) -> Option<String> {
    if let Some(typ) = &reg.typ {
        match typ {
            Val::Str(s) if s.eq_ignore_ascii_case("bearer") || s.eq_ignore_ascii_case("at+jwt") => {
            }
            Val::Str(s) => {
                return Some(format!(
                    "the token is not an access token: its payload typ is {} (rule payload-typ: \
                     only Bearer or at+jwt is an access token; ID, refresh and logout tokens are \
                     refused)",
                    quote(s, 32)
                ))
            }
            other => {
                return Some(format!(
                    "the token is not an access token: its payload typ is {} (rule payload-typ: \
                     must be the string Bearer or at+jwt when present)",
                    other.kind()
                ))
            }
        }
    }
    if let Some(use_) = &reg.token_use {
        match use_ {
            Val::Str(s) if s == "access" => {}
            Val::Str(s) => {
                return Some(format!(
                    "the token is not an access token: token_use is {} (rule token_use: must be \
                     \"access\" when present)",
                    quote(s, 32)
                ))
            }
            other => {
                return Some(format!(
                    "the token is not an access token: token_use is {} (rule token_use: must be \
                     the string \"access\" when present)",
                    other.kind()
                ))
            }
        }
    }
    for (name, present) in [
        ("nonce", reg.nonce.is_some()),
        ("at_hash", reg.at_hash.is_some()),
    ] {
        if present {
            return Some(format!(
                "the token is an OpenID Connect ID token, not an access token (rule id-token: \
                 the payload carries {name})"
            ));
        }
    }
    None
}

/// Whether a registered claim is absent, of the type the policy needs, or of another JSON
/// type (named, for messages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Shape {
    #[default]
    Absent,
    Fits,
    Wrong(&'static str),
}

/// The [`Shape`] of each claim `check` reads beyond the typed fields.
#[derive(Clone, Copy, Debug, Default)]
struct Shapes {
    exp: Shape,
    nbf: Shape,
    iat: Shape,
    iss: Shape,
    aud: Shape,
}

fn string_claim(value: Option<&Val<'_>>) -> (Option<String>, Shape) {
    match value {
        None => (None, Shape::Absent),
        Some(Val::Str(s)) => (Some(s.clone().into_owned()), Shape::Fits),
        Some(other) => (None, Shape::Wrong(other.kind())),
    }
}

fn number_claim(value: Option<&Val<'_>>) -> (Option<f64>, Shape) {
    match value {
        None => (None, Shape::Absent),
        Some(Val::Num(n)) if n.is_finite() => (Some(*n), Shape::Fits),
        Some(other) => (None, Shape::Wrong(other.kind())),
    }
}

/// `aud` as a list; Wrong when it is neither a string nor an array of strings.
fn audience_list(value: Option<&Val<'_>>) -> (Vec<String>, Shape) {
    match value {
        None => (Vec::new(), Shape::Absent),
        Some(Val::Str(s)) => (vec![s.clone().into_owned()], Shape::Fits),
        Some(Val::Strings(items)) => (
            items.iter().map(|s| s.clone().into_owned()).collect(),
            Shape::Fits,
        ),
        Some(other) => (Vec::new(), Shape::Wrong(other.kind())),
    }
}

/// Scopes granted by `scope` and `scp`. `scope` counts only as a string; `scp` as a string or
/// as an array made only of strings. Anything else grants nothing.
/// Items that are not RFC 6749 scope-tokens (an array item `"a b"`, `""`, control or
/// non-ASCII characters, `"`, `\\`) are dropped; a string is split at single spaces first.
fn granted_scopes(scope: Option<&Val<'_>>, scp: Option<&Val<'_>>) -> Vec<String> {
    let mut listed: Vec<&str> = Vec::new();
    if let Some(Val::Str(s)) = scope {
        listed.extend(s.split(' '));
    }
    match scp {
        Some(Val::Str(s)) => listed.extend(s.split(' ')),
        Some(Val::Strings(items)) => listed.extend(items.iter().map(|s| &**s)),
        _ => {}
    }
    // Short lists (the normal case) deduplicate by scanning; long ones through a HashSet, so
    // the cost stays linear: the payload is parsed before the signature is checked, and its
    // size is the sender's choice (up to max_token_bytes).
    let mut out: Vec<String> = Vec::with_capacity(listed.len());
    if listed.len() <= 32 {
        for s in listed {
            if is_scope_token(s) && !out.iter().any(|o| o == s) {
                out.push(s.to_owned());
            }
        }
    } else {
        let mut seen: HashSet<&str> = HashSet::with_capacity(listed.len());
        out.extend(
            listed
                .into_iter()
                .filter(|s| is_scope_token(s) && seen.insert(s))
                .map(str::to_owned),
        );
    }
    out
}

impl Claims {
    /// The typed view of the registered claims; `source` and `raw` are left empty.
    fn typed(reg: &Registered<'_>) -> Claims {
        let (subject, _) = string_claim(reg.sub.as_ref());
        let (issuer, iss) = string_claim(reg.iss.as_ref());
        let (audience, aud) = audience_list(reg.aud.as_ref());
        let (expiration, exp) = number_claim(reg.exp.as_ref());
        let (not_before, nbf) = number_claim(reg.nbf.as_ref());
        let (issued_at, iat) = number_claim(reg.iat.as_ref());
        Claims {
            source: Vec::new(),
            raw: OnceLock::new(),
            shapes: Shapes {
                exp,
                nbf,
                iat,
                iss,
                aud,
            },
            subject,
            issuer,
            audience,
            expiration,
            not_before,
            issued_at,
            scopes: granted_scopes(reg.scope.as_ref(), reg.scp.as_ref()),
            client_id: client_id_of(reg),
            not_access: not_an_access_token(reg),
            key_bound: reg.cnf.is_some(),
        }
    }

    /// Builds the typed view of a payload object. Type errors of registered claims are kept
    /// for `check` to report (this never fails for a JSON object).
    pub fn from_map(raw: Map<String, Value>) -> Claims {
        let claims = Claims::typed(&Registered::from_map(&raw));
        // Freshly created, so the cell is empty and `set` cannot fail.
        let _ = claims.raw.set(raw);
        claims
    }

    /// Parses a decoded payload (strict JSON object, see `payload`) in one pass, keeping the
    /// bytes: the full claims map is built only if [`Claims::raw`] is called. Errors are the
    /// JSON parser's description (bounded, no quoted input).
    pub fn parse(payload: Vec<u8>) -> std::result::Result<Claims, String> {
        let mut claims = Claims::typed(&crate::payload::parse(&payload)?);
        claims.source = payload;
        Ok(claims)
    }

    /// Every claim, as a JSON map (built on first use from the payload that already passed
    /// the same strict parse, so it cannot fail; an empty map is the unreachable fallback).
    pub fn raw(&self) -> &Map<String, Value> {
        self.raw
            .get_or_init(|| json::parse_object(&self.source).unwrap_or_default())
    }

    /// The payload as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self.raw()).unwrap_or_else(|_| "{}".to_owned())
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
    /// Accept a key-bound (`cnf`) token presented as a bearer token (off by default).
    pub allow_bound: bool,
}

impl Requirements {
    /// A borrowed view, for [`check_ref`] (with the default claim policy).
    pub fn view(&self) -> RequirementsRef<'_> {
        RequirementsRef {
            issuer: &self.issuer,
            audiences: self.audience.as_slice(),
            scopes: &self.scopes,
            clock_skew: self.clock_skew,
            allow_bound: self.allow_bound,
            policy: ClaimPolicy::default_ref(),
            exp_optional: false,
            audience_optional: false,
        }
    }
}

/// [`Requirements`] borrowed from where they are configured: the client checks every token
/// against its own issuer, claim policy and the caller's options without copying them per
/// validation.
#[derive(Clone, Copy, Debug)]
pub struct RequirementsRef<'a> {
    pub issuer: &'a str,
    /// The token's audience claim must contain one of these; empty = no audience check (the
    /// claim must still be present and well-typed).
    pub audiences: &'a [String],
    pub scopes: &'a [String],
    pub clock_skew: i64,
    /// Accept a key-bound (`cnf`) token presented as a bearer token.
    pub allow_bound: bool,
    /// Audience claim, scope sources, required claims.
    pub policy: &'a ClaimPolicy,
    /// Accept claims without `exp` (introspection of an AS that omits it, by explicit opt-in).
    pub exp_optional: bool,
    /// Accept claims without the audience claim (introspection of an AS that omits it, by
    /// explicit opt-in); a present audience claim must still match.
    pub audience_optional: bool,
}

fn invalid_token(message: String) -> Error {
    Error::new(ErrorCode::InvalidToken, message)
}

/// A time claim: None when absent, Err when present but not a finite JSON number.
fn time_claim(shape: Shape, value: Option<f64>, name: &str) -> Result<Option<f64>> {
    match (shape, value) {
        (Shape::Wrong(kind), _) => Err(invalid_token(format!(
            "the {name} claim must be a JSON number (seconds since the epoch), found {kind}"
        ))),
        (_, value) => Ok(value),
    }
}

/// The `iss` shape check of [`check`] alone: INVALID_TOKEN when absent or not a string,
/// INVALID_ISSUER when it differs from `expected`.
pub fn check_issuer_claim(claims: &Claims, expected: &str) -> Result<()> {
    match (claims.shapes.iss, claims.issuer.as_deref()) {
        (Shape::Wrong(kind), _) => Err(invalid_token(format!(
            "the iss claim must be a string, found {kind}"
        ))),
        (_, None) => Err(invalid_token("the token has no iss claim".into())),
        (_, Some(iss)) if iss != expected => Err(Error::new(
            ErrorCode::InvalidIssuer,
            format!(
                "issuer mismatch: expected {}, got {}",
                quote(expected, QUOTE_CHARS),
                quote(iss, QUOTE_CHARS)
            ),
        )),
        _ => Ok(()),
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

/// Checks the token kind (an access token, not key-bound unless allowed), exp/nbf/iat (with
/// skew both ways) at `now` (Unix seconds), iss, aud, scopes, in this order: INVALID_TOKEN for
/// a token that is not a bearer access token and for missing/ill-typed claims, EXPIRED_TOKEN,
/// INVALID_ISSUER (message names both values, bounded), INVALID_AUDIENCE, INSUFFICIENT_SCOPE
/// (names the missing scopes).
pub fn check(claims: &Claims, req: &Requirements, now: i64) -> Result<()> {
    check_ref(claims, req.view(), now)
}

/// [`check`] with borrowed requirements (the client's hot path).
pub fn check_ref(claims: &Claims, req: RequirementsRef<'_>, now: i64) -> Result<()> {
    check_full(claims, req, now).map(drop)
}

/// [`check_ref`], also returning the scopes granted under a non-default scope policy (None
/// when the policy is the default one: then they are `claims.scopes`).
pub fn check_full(
    claims: &Claims,
    req: RequirementsRef<'_>,
    now: i64,
) -> Result<Option<Vec<String>>> {
    let shapes = &claims.shapes;
    // Seconds fit an f64 exactly up to 2^53, far beyond any real clock.
    let now_f = now as f64;
    let skew = req.clock_skew.max(0) as f64;

    // Never an ID, refresh or logout token as an access token.
    if let Some(why) = &claims.not_access {
        return Err(invalid_token(why.clone()));
    }
    // A sender-constrained token is not a bearer token (RFC 9449 §7.2, RFC 8705 §3).
    if claims.key_bound && !req.allow_bound {
        return Err(invalid_token(
            "the token is sender-constrained (its payload carries cnf: bound to a DPoP key or \
             an mTLS certificate) and cannot be accepted as a Bearer token (rule cnf; the client \
             option allow_bound_tokens_as_bearer accepts it)"
                .into(),
        ));
    }

    // exp: required (unless explicitly optional); valid iff now < exp + skew.
    let exp = match time_claim(shapes.exp, claims.expiration, "exp")? {
        Some(exp) => exp,
        None if req.exp_optional => f64::INFINITY,
        None => {
            return Err(invalid_token(
                "the token has no exp claim; access tokens must expire".into(),
            ))
        }
    };
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
    if let Some(nbf) = time_claim(shapes.nbf, claims.not_before, "nbf")? {
        if nbf > now_f + skew {
            return Err(invalid_token(format!(
                "the token is not yet valid (nbf {} is after now {now} + clock skew {}s)",
                show_time(nbf),
                req.clock_skew.max(0)
            )));
        }
    }
    // iat: optional; invalid if issued in the future beyond the skew.
    if let Some(iat) = time_claim(shapes.iat, claims.issued_at, "iat")? {
        if iat > now_f + skew {
            return Err(invalid_token(format!(
                "the token was issued in the future (iat {} is after now {now} + clock skew {}s)",
                show_time(iat),
                req.clock_skew.max(0)
            )));
        }
    }

    // iss: required string, byte-for-byte equal.
    match (shapes.iss, claims.issuer.as_deref()) {
        (Shape::Wrong(kind), _) => {
            return Err(invalid_token(format!(
                "the iss claim must be a string, found {kind}"
            )))
        }
        (_, None) => return Err(invalid_token("the token has no iss claim".into())),
        (_, Some(iss)) => {
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
    }

    // The audience claim (`aud` unless configured): required, a string or a non-empty array
    // of strings; must contain one of the configured audiences.
    let policy = req.policy;
    let computed_audience;
    let (audiences, aud_shape, aud_name) = if policy.audience_is_aud() {
        (&claims.audience, shapes.aud, "aud")
    } else {
        let value = claims.raw().get(&policy.audience_claim);
        let (list, shape) = audience_list(value.map(Val::from_value).as_ref());
        computed_audience = list;
        (&computed_audience, shape, policy.audience_claim.as_str())
    };
    match aud_shape {
        Shape::Absent if req.audience_optional => {}
        Shape::Absent => return Err(invalid_token(format!("the token has no {aud_name} claim"))),
        Shape::Wrong(kind) => {
            return Err(invalid_token(format!(
                "the {aud_name} claim must be a string or an array of strings, found {kind}"
            )))
        }
        Shape::Fits => {}
    }
    let skip_audience = aud_shape == Shape::Absent;
    if audiences.is_empty() && !skip_audience {
        return Err(invalid_token(format!(
            "the {aud_name} claim is an empty array"
        )));
    }
    if let Some(expected) = req.audiences.first().filter(|_| !skip_audience) {
        if !audiences.iter().any(|a| req.audiences.contains(a)) {
            let others = match req.audiences.len() {
                1 => String::new(),
                n => format!(" or one of {} other(s)", n - 1),
            };
            return Err(Error::new(
                ErrorCode::InvalidAudience,
                format!(
                    "the token is not for this audience: expected {}{others} in {aud_name} ({} value(s), first {})",
                    quote(expected, QUOTE_CHARS),
                    audiences.len(),
                    quote(audiences.first().map_or("", String::as_str), QUOTE_CHARS / 2)
                ),
            ));
        }
    }

    // Required claims: exact string values.
    if !policy.required.is_empty() {
        policy.check_required(claims.raw())?;
    }

    // Granted scopes: the typed `scope`/`scp` list, or the configured sources.
    let computed_scopes = if policy.scopes_are_default() {
        None
    } else {
        Some(policy.granted_scopes(claims.raw()))
    };
    let granted: &[String] = computed_scopes.as_deref().unwrap_or(&claims.scopes);

    // scopes: every required scope granted exactly.
    let missing: Vec<&str> = req
        .scopes
        .iter()
        .filter(|s| !s.is_empty() && !granted.iter().any(|g| g == *s))
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
    Ok(computed_scopes)
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
            allow_bound: false,
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
    fn id_refresh_and_logout_tokens_are_not_access_tokens() {
        let refused = |c: &Claims, rule: &str| {
            let e = check(c, &req(), NOW).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidToken, "{}", e.message);
            assert!(e.message.contains(rule), "{rule}: {}", e.message);
            assert!(e.message.len() < 300, "{}", e.message);
        };
        // Keycloak marks its tokens in the payload typ.
        for typ in ["ID", "Refresh", "Logout", "id", "JWT", "", "Bearer "] {
            refused(&with("typ", json!(typ)), "rule payload-typ");
        }
        refused(&with("typ", json!(["Bearer"])), "rule payload-typ");
        refused(&with("typ", json!(null)), "rule payload-typ");
        for typ in ["Bearer", "bearer", "BEARER", "at+jwt", "AT+JWT"] {
            assert_eq!(code(&with("typ", json!(typ)), &req()), None, "{typ}");
        }
        // Cognito says token_use.
        for token_use in ["id", "refresh", "Access", ""] {
            refused(&with("token_use", json!(token_use)), "rule token_use");
        }
        refused(&with("token_use", json!(1)), "rule token_use");
        assert_eq!(code(&with("token_use", json!("access")), &req()), None);
        // OpenID Connect ID tokens carry nonce or at_hash.
        refused(&with("nonce", json!("n-0S6_WzA2Mj")), "carries nonce");
        refused(
            &with("at_hash", json!("77QmUPtjPfzWtF2AnpK9RQ")),
            "carries at_hash",
        );
        refused(&with("nonce", json!(null)), "carries nonce");
        // The rule applies before any other check, even on a token that would otherwise fail.
        let mut b = base();
        b["typ"] = json!("ID");
        b["aud"] = json!("client-1");
        assert_eq!(code(&claims(b), &req()), Some(ErrorCode::InvalidToken));
        // A huge typ is quoted bounded.
        refused(&with("typ", json!("x".repeat(10_000))), "rule payload-typ");
    }

    #[test]
    fn key_bound_tokens_are_not_bearer_tokens_unless_allowed() {
        for cnf in [
            json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
            json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
            json!(null),
            json!({}),
        ] {
            let c = with("cnf", cnf);
            let e = check(&c, &req(), NOW).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidToken);
            assert!(e.message.contains("rule cnf"), "{}", e.message);
            let allowing = Requirements {
                allow_bound: true,
                ..req()
            };
            assert_eq!(code(&c, &allowing), None);
        }
    }

    #[test]
    fn only_scope_tokens_are_granted() {
        assert!(
            is_scope_token("mcp:read")
                && is_scope_token("!#[]~")
                && is_scope_token("api://x/y.read")
        );
        for bad in [
            "", " ", "a b", "a\"b", "a\\b", "a\tb", "a\u{7f}", "é", "a\nb",
        ] {
            assert!(!is_scope_token(bad), "{bad:?}");
        }
        // One array item holding a space is one invalid scope, never two granted ones.
        let c = claims(json!({"scp": ["mcp:read mcp:write"]}));
        assert!(c.scopes.is_empty(), "{:?}", c.scopes);
        let c = claims(
            json!({"scp": ["ok", "mcp:read mcp:write", "", "bad\"q", "tab\tx", "ünï"],
                              "scope": "a\\b c  d\u{1}e f"}),
        );
        assert_eq!(c.scopes, vec!["c", "f", "ok"]);
        let big: Vec<String> = (0..40).map(|i| format!("s {i}")).collect();
        assert!(claims(json!({"scp": big})).scopes.is_empty());
        let need = Requirements {
            scopes: vec!["mcp:read".into()],
            ..req()
        };
        assert_eq!(
            code(&with("scp", json!(["mcp:read mcp:write"])), &need),
            None,
            "scope grants it"
        );
        let mut b = base();
        b.as_object_mut().unwrap().remove("scope");
        b["scp"] = json!(["mcp:read mcp:write"]);
        assert_eq!(code(&claims(b), &need), Some(ErrorCode::InsufficientScope));
    }

    #[test]
    fn client_id_is_the_first_present_source() {
        let id = |v: Value| claims(v).client_id;
        assert_eq!(
            id(json!({"client_id": "a", "azp": "b", "cid": "c", "appid": "d"})).as_deref(),
            Some("a")
        );
        assert_eq!(
            id(json!({"azp": "b", "cid": "c", "appid": "d"})).as_deref(),
            Some("b")
        );
        assert_eq!(id(json!({"cid": "c", "appid": "d"})).as_deref(), Some("c"));
        assert_eq!(id(json!({"appid": "d"})).as_deref(), Some("d"));
        assert_eq!(id(json!({"sub": "x"})), None);
        // A present but ill-typed source yields no client id, not the next source's value.
        assert_eq!(id(json!({"client_id": 7, "azp": "b"})), None);
        assert_eq!(id(json!({"azp": ["b"], "cid": "c"})), None);
    }

    fn with_policy(
        c: &Claims,
        audiences: &[&str],
        scopes: &[&str],
        policy: &ClaimPolicy,
    ) -> Result<Option<Vec<String>>> {
        let audiences: Vec<String> = audiences.iter().map(|s| s.to_string()).collect();
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        check_full(
            c,
            RequirementsRef {
                issuer: ISS,
                audiences: &audiences,
                scopes: &scopes,
                clock_skew: 60,
                allow_bound: false,
                policy,
                exp_optional: false,
                audience_optional: false,
            },
            NOW,
        )
    }

    #[test]
    fn audience_lists_and_another_audience_claim() {
        let default = ClaimPolicy::default();
        let c = with("aud", json!(["api://mcp", "https://graph.example"]));
        assert!(with_policy(&c, &["x", "api://mcp"], &[], &default).is_ok());
        let e = with_policy(&c, &["x", "y", "z"], &[], &default).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidAudience);
        assert!(e.message.contains("or one of 2 other(s)"), "{}", e.message);
        // Cognito: no aud, the app client in client_id.
        let mut cognito = ClaimPolicy::default();
        cognito
            .set_audience_claim("audience_claim", "client_id")
            .unwrap();
        let mut b = base();
        b.as_object_mut().unwrap().remove("aud");
        b["client_id"] = json!("5r2ib8hs8oi1f0hcdt1s7kj4l0");
        b["token_use"] = json!("access");
        let c = claims(b.clone());
        assert!(with_policy(&c, &["5r2ib8hs8oi1f0hcdt1s7kj4l0"], &[], &cognito).is_ok());
        let e = with_policy(&c, &["other-app"], &[], &cognito).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidAudience);
        assert!(e.message.contains("in client_id"), "{}", e.message);
        // The default policy still wants aud.
        assert_eq!(
            with_policy(&c, &["5r2ib8hs8oi1f0hcdt1s7kj4l0"], &[], &default)
                .unwrap_err()
                .code,
            ErrorCode::InvalidToken
        );
        b.as_object_mut().unwrap().remove("client_id");
        let e = with_policy(&claims(b.clone()), &["x"], &[], &cognito).unwrap_err();
        assert!(e.message.contains("no client_id claim"), "{}", e.message);
        b["client_id"] = json!(7);
        let e = with_policy(&claims(b), &["x"], &[], &cognito).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
    }

    #[test]
    fn configured_scope_sources_and_required_claims() {
        let mut kc = ClaimPolicy::default();
        kc.set_scope_claims(
            "scope_claims",
            "scope,realm_access.roles,resource_access.mcp-server.roles",
        )
        .unwrap();
        kc.set_required_claims("required_claims", r#"{"typ":"Bearer"}"#)
            .unwrap();
        let mut b = base();
        b["typ"] = json!("Bearer");
        b["realm_access"] = json!({"roles": ["offline_access", "mcp:admin"]});
        b["resource_access"] = json!({"mcp-server": {"roles": ["tools:write"]}, "account": {"roles": ["manage-account"]}});
        let c = claims(b.clone());
        let granted = with_policy(&c, &[AUD], &["mcp:admin", "tools:write", "mcp:read"], &kc)
            .unwrap()
            .unwrap();
        assert_eq!(
            granted,
            vec![
                "mcp:read",
                "mcp:write",
                "offline_access",
                "mcp:admin",
                "tools:write"
            ]
        );
        let e = with_policy(&c, &[AUD], &["manage-account"], &kc).unwrap_err();
        assert_eq!(e.code, ErrorCode::InsufficientScope);
        // The default policy does not read roles.
        assert_eq!(
            with_policy(&c, &[AUD], &["mcp:admin"], &ClaimPolicy::default())
                .unwrap_err()
                .code,
            ErrorCode::InsufficientScope
        );
        b.as_object_mut().unwrap().remove("typ");
        let e = with_policy(&claims(b), &[AUD], &[], &kc).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        assert!(e.message.contains("required claim"), "{}", e.message);
    }

    #[test]
    fn check_order_time_before_issuer() {
        let mut b = base();
        b["exp"] = json!(NOW - 3600);
        b["iss"] = json!("other");
        assert_eq!(code(&claims(b), &req()), Some(ErrorCode::ExpiredToken));
    }
}
