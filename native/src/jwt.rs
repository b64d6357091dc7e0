//! Strict JWS compact parsing and signature verification of JWT access tokens.
//!
//! `decode` applies every structural rule of the policy before any key is touched: size cap
//! first, then exactly three strict-base64url segments, a strict-JSON header and payload, and
//! the header policy (alg, typ, crit, kid). `verify` then picks the key and checks the
//! signature; `claims::check` does the registered claims.
//!
//! The whole validation, as a client runs it (fetching and caching left out):
//!
//! ```text
//! let keys: Arc<KeySet> = Arc::new(KeySet::parse(jwks_bytes)?);     // once per JWKS
//! let token = jwt::decode(bearer, max_token_bytes, allowed_algorithms)?;  // INVALID_TOKEN
//! let key = jwt::verify(&token, &keys)?;   // INVALID_KEY → maybe refetch once; INVALID_SIGNATURE
//! claims::check(&token.claims, &requirements, now)?;  // EXPIRED_TOKEN, INVALID_ISSUER, …
//! // key.thumbprint identifies the verifying key (token cache); token.claims holds the payload.
//! ```

#![forbid(unsafe_code)]

use crate::alg::{Algorithm, AlgorithmSet};
use crate::b64;
use crate::claims::Claims;
use crate::error::{quote, sanitize, Error, ErrorCode, Result};
use crate::header::{self, Member};
use crate::jwk::{Key, KeySet};

/// Accepted `typ` values (compared case-insensitively): RFC 7519 §5.1 and RFC 9068 §2.1.
const ACCEPTED_TYP: [&str; 3] = ["JWT", "at+jwt", "application/at+jwt"];

/// A structurally valid, not yet verified token.
#[derive(Debug)]
pub struct DecodedToken<'a> {
    pub alg: Algorithm,
    pub kid: Option<String>,
    /// The parsed payload.
    pub claims: Claims,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`.
    pub signing_input: &'a [u8],
    pub signature: Vec<u8>,
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::InvalidToken, message)
}

/// The three segments of a compact JWS, after the size cap.
struct Segments<'a> {
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
    signing_input: &'a str,
}

fn split(token: &str, max_bytes: usize) -> Result<Segments<'_>> {
    if token.len() > max_bytes {
        return Err(invalid(format!(
            "the token is {} bytes; tokens longer than {max_bytes} bytes are refused",
            token.len()
        )));
    }
    if token.is_empty() {
        return Err(invalid("the token is empty".into()));
    }
    // `find` on an ASCII byte is a memchr; the third search runs only over the signature.
    let dot = |from: usize| {
        token
            .get(from..)
            .and_then(|rest| rest.find('.'))
            .map(|i| from + i)
    };
    let (first, second) = match dot(0).and_then(|a| dot(a + 1).map(|b| (a, b))) {
        Some((a, b)) if dot(b + 1).is_none() => (a, b),
        _ => {
            let dots = token.bytes().filter(|&b| b == b'.').count();
            return Err(invalid(format!(
                "a JWT has 3 base64url segments separated by '.', this token has {}{}",
                dots + 1,
                if dots == 4 {
                    " (an encrypted JWE is not accepted)"
                } else {
                    ""
                }
            )));
        }
    };
    let missing = || invalid("the token is not header.payload.signature".into());
    let header = token.get(..first).ok_or_else(missing)?;
    let payload = token.get(first + 1..second).ok_or_else(missing)?;
    let signing_input = token.get(..second).ok_or_else(missing)?;
    let signature = token.get(second + 1..).ok_or_else(missing)?;
    Ok(Segments {
        header,
        payload,
        signature,
        signing_input,
    })
}

fn decode_segment(name: &str, segment: &str) -> Result<Vec<u8>> {
    b64::decode(segment.as_bytes())
        .map_err(|e| invalid(format!("the {name} segment is not strict base64url: {e}")))
}

fn decode_payload(segment: &str) -> Result<Claims> {
    Claims::parse(decode_segment("payload", segment)?).map_err(|e| {
        invalid(format!(
            "the payload is not a strict JSON object: {}",
            sanitize(&e, 160)
        ))
    })
}

/// Reads the header in one strict pass (see `header`) and applies the header policy;
/// returns the algorithm and kid.
fn check_header(segment: &str, allowed: AlgorithmSet) -> Result<(Algorithm, Option<String>)> {
    let bytes = decode_segment("header", segment)?;
    let header = header::parse(&bytes).map_err(|e| {
        invalid(format!(
            "the header is not a strict JSON object: {}",
            sanitize(&e, 160)
        ))
    })?;
    if header.crit {
        return Err(invalid(
            "the token header has a crit member; no JWS extension is understood, so it is rejected"
                .into(),
        ));
    }
    let alg = match header.alg {
        None => return Err(invalid("the token header has no alg".into())),
        Some(Member::Str(name)) => match Algorithm::from_name(&name) {
            Some(alg) => alg,
            None if name.eq_ignore_ascii_case("none") => {
                return Err(invalid("alg \"none\" (unsigned tokens) is never accepted".into()))
            }
            None if name.len() >= 2 && name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("hs")) => {
                return Err(invalid(format!(
                    "alg {}: HMAC (shared-secret) algorithms are never accepted",
                    quote(&name, 16)
                )))
            }
            None => {
                return Err(invalid(format!(
                    "unsupported alg {} (names are case-sensitive; supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA)",
                    quote(&name, 16)
                )))
            }
        },
        Some(Member::Other(kind)) => return Err(invalid(format!("the alg header must be a string, found {kind}"))),
    };
    if !allowed.contains(alg) {
        return Err(invalid(format!(
            "alg {} is not in this client's allowed_algorithms",
            alg.name()
        )));
    }
    match header.typ {
        None => {}
        Some(Member::Str(typ)) if ACCEPTED_TYP.iter().any(|t| t.eq_ignore_ascii_case(&typ)) => {}
        Some(Member::Str(typ)) => {
            return Err(invalid(format!(
                "typ {} is not an access token type (accepted: JWT, at+jwt, application/at+jwt)",
                quote(&typ, 32)
            )))
        }
        Some(Member::Other(kind)) => {
            return Err(invalid(format!(
                "the typ header must be a string, found {kind}"
            )))
        }
    }
    let kid = match header.kid {
        None => None,
        Some(Member::Str(kid)) => Some(kid.into_owned()),
        Some(Member::Other(kind)) => {
            return Err(invalid(format!(
                "the kid header must be a string, found {kind}"
            )))
        }
    };
    // jku, x5u, jwk, x5c, x5t, x5t#S256 and cty are deliberately ignored: keys come only from
    // the configured JWKS, never from the token.
    Ok((alg, kid))
}

/// Size cap, strict base64url, strict JSON header and payload, header policy (alg known and
/// in `allowed`, typ, crit, kid a string). Errors carry INVALID_TOKEN.
pub fn decode<'a>(
    token: &'a str,
    max_bytes: usize,
    allowed: AlgorithmSet,
) -> Result<DecodedToken<'a>> {
    let seg = split(token, max_bytes)?;
    let (alg, kid) = check_header(seg.header, allowed)?;
    let claims = decode_payload(seg.payload)?;
    let signature = decode_segment("signature", seg.signature)?;
    Ok(DecodedToken {
        alg,
        kid,
        claims,
        signing_input: seg.signing_input.as_bytes(),
        signature,
    })
}

/// Decodes only the payload, without any header policy or verification (diagnostics).
pub fn decode_unverified_claims(token: &str, max_bytes: usize) -> Result<Claims> {
    let seg = split(token, max_bytes)?;
    decode_payload(seg.payload)
}

/// Picks the key (by kid) and verifies the signature. Errors: INVALID_SIGNATURE (bad
/// signature, alg not permitted for the key) or INVALID_KEY (no key matches the kid — the
/// caller may refetch the JWKS once and retry).
pub fn verify<'k>(token: &DecodedToken<'_>, keys: &'k KeySet) -> Result<&'k Key> {
    let mut matched = false;
    let mut permitted = false;
    for key in keys.candidates(token.kid.as_deref()) {
        matched = true;
        if !key.permits(token.alg) {
            continue;
        }
        permitted = true;
        if key.verify(token.alg, token.signing_input, &token.signature) {
            return Ok(key);
        }
    }
    let kid_text = || token.kid.as_deref().map(|k| quote(k, 64));
    if !matched {
        let message = match kid_text() {
            Some(kid) => format!("no usable key in the JWKS has kid {kid}"),
            None if keys.is_empty() => "the JWKS has no usable key".to_string(),
            None => format!(
                "the token has no kid and the JWKS has {} usable keys; a kid is required to pick one",
                keys.len()
            ),
        };
        return Err(Error::new(ErrorCode::InvalidKey, message));
    }
    if !permitted {
        return Err(Error::new(
            ErrorCode::InvalidSignature,
            format!(
                "alg {} may not be used with the key{} (its key type, curve or JWK alg differs)",
                token.alg.name(),
                kid_text()
                    .map(|k| format!(" with kid {k}"))
                    .unwrap_or_default()
            ),
        ));
    }
    Err(Error::new(
        ErrorCode::InvalidSignature,
        format!("the {} signature does not verify", token.alg.name()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(json: &str) -> String {
        b64::encode(json.as_bytes())
    }

    fn token(header: &str, payload: &str, sig: &[u8]) -> String {
        format!("{}.{}.{}", seg(header), seg(payload), b64::encode(sig))
    }

    const PAYLOAD: &str = r#"{"iss":"i","aud":"a","exp":1}"#;

    fn err(t: &str) -> Error {
        match decode(t, 16384, AlgorithmSet::all()) {
            Ok(_) => panic!("token unexpectedly decoded"),
            Err(e) => e,
        }
    }

    #[test]
    fn decodes_a_well_formed_token() {
        let t = token(
            r#"{"alg":"ES256","typ":"at+jwt","kid":"k1","jku":"https://evil/","x5c":["x"],"cty":"JWT"}"#,
            PAYLOAD,
            &[7; 64],
        );
        let d = decode(&t, 16384, AlgorithmSet::all()).unwrap();
        assert_eq!(d.alg, Algorithm::ES256);
        assert_eq!(d.kid.as_deref(), Some("k1"));
        assert_eq!(d.signature, vec![7; 64]);
        assert_eq!(d.signing_input, t.rsplit_once('.').unwrap().0.as_bytes());
        assert_eq!(d.claims.issuer.as_deref(), Some("i"));
    }

    #[test]
    fn size_cap_comes_first() {
        let t = "x".repeat(20_000);
        assert!(err(&t).message.contains("20000 bytes"));
        let ok = token(r#"{"alg":"RS256"}"#, PAYLOAD, b"s");
        assert!(decode(&ok, ok.len(), AlgorithmSet::all()).is_ok());
        assert!(decode(&ok, ok.len() - 1, AlgorithmSet::all()).is_err());
    }

    #[test]
    fn segment_count() {
        let good = token(r#"{"alg":"RS256"}"#, PAYLOAD, b"s");
        for bad in [
            "",
            ".",
            "..",
            "...",
            "a.b",
            &format!("{good}."),
            &format!("{good}.x.y"),
            &good.replacen('.', "..", 1),
        ] {
            assert_eq!(err(bad).code, ErrorCode::InvalidToken, "{bad:?}");
        }
        assert!(err("a.b.c.d.e").message.contains("JWE"));
    }

    #[test]
    fn strict_base64url_segments() {
        let good = token(r#"{"alg":"RS256"}"#, PAYLOAD, b"sig");
        assert!(err(&format!("{good}=")).message.contains("base64url"));
        assert!(err(&format!("{good}\n")).message.contains("base64url"));
        assert!(err(&format!("Bearer {good}")).message.contains("base64url"));
        let (h, rest) = good.split_once('.').unwrap();
        assert!(err(&format!("{h}+.{rest}")).message.contains("header"));
    }

    #[test]
    fn header_policy() {
        let e = |h: &str| err(&token(h, PAYLOAD, b"s")).message;
        assert!(e(r#"{"alg":"none"}"#).contains("none"));
        assert!(e(r#"{"alg":"nOnE"}"#).contains("none"));
        assert!(e(r#"{"alg":"HS256"}"#).contains("HMAC"));
        assert!(e(r#"{"alg":"hs512"}"#).contains("HMAC"));
        assert!(e(r#"{"alg":"rs256"}"#).contains("unsupported alg"));
        assert!(e(r#"{"alg":""}"#).contains("unsupported alg"));
        assert!(e(r#"{"alg":["RS256"]}"#).contains("must be a string"));
        assert!(e(r#"{"typ":"JWT"}"#).contains("no alg"));
        assert!(e(r#"{"alg":"RS256","crit":[]}"#).contains("crit"));
        assert!(e(r#"{"alg":"RS256","crit":["b64"],"b64":false}"#).contains("crit"));
        assert!(e(r#"{"alg":"RS256","typ":"logout+jwt"}"#).contains("typ"));
        assert!(e(r#"{"alg":"RS256","typ":1}"#).contains("typ"));
        assert!(e(r#"{"alg":"RS256","kid":1}"#).contains("kid"));
        assert!(e(r#"{"alg":"RS256","kid":["a"]}"#).contains("kid"));
        assert!(e(r#"{"alg":"RS256","alg":"RS256"}"#).contains("duplicate"));
        assert!(e(r#"["RS256"]"#).contains("JSON object"));
        for typ in ["JWT", "jwt", "AT+JWT", "application/AT+jwt"] {
            let t = token(
                &format!(r#"{{"alg":"RS256","typ":"{typ}"}}"#),
                PAYLOAD,
                b"s",
            );
            assert!(decode(&t, 16384, AlgorithmSet::all()).is_ok(), "{typ}");
        }
        let t = token(r#"{"alg":"RS512"}"#, PAYLOAD, b"s");
        let only = AlgorithmSet::parse("RS256,ES256").unwrap();
        assert!(decode(&t, 16384, only)
            .unwrap_err()
            .message
            .contains("allowed_algorithms"));
    }

    #[test]
    fn payload_must_be_a_strict_object() {
        let h = r#"{"alg":"RS256"}"#;
        for p in [
            "[]",
            "\"x\"",
            "",
            "{\"a\":1,\"a\":2}",
            "\u{feff}{}",
            "{\"exp\":NaN}",
        ] {
            assert!(err(&token(h, p, b"s")).message.contains("payload"), "{p:?}");
        }
        let raw = format!(
            "{}.{}.{}",
            seg(h),
            b64::encode(b"{\"a\":\"\xff\"}"),
            b64::encode(b"s")
        );
        assert!(err(&raw).message.contains("payload"));
    }

    #[test]
    fn unverified_claims_skip_the_header_policy() {
        let t = token(r#"{"alg":"none"}"#, PAYLOAD, b"");
        assert_eq!(
            decode_unverified_claims(&t, 16384)
                .unwrap()
                .issuer
                .as_deref(),
            Some("i")
        );
        assert!(decode_unverified_claims("a.b", 16384).is_err());
        assert!(decode_unverified_claims(&t, 10).is_err());
    }

    #[test]
    fn verify_reports_key_problems() {
        let ed = r#"{"kty":"OKP","crv":"Ed25519","x":"HvcRi0JERVkOM1OO_PEIHkAt-vUjxVHxBINuBXCDGPY","kid":"ed"}"#;
        let ks = KeySet::parse(format!(r#"{{"keys":[{ed}]}}"#).as_bytes()).unwrap();
        let check = |h: &str| {
            let t = token(h, PAYLOAD, &[1; 64]);
            let d = decode(&t, 16384, AlgorithmSet::all()).unwrap();
            verify(&d, &ks).map(|_| ()).unwrap_err()
        };
        assert_eq!(
            check(r#"{"alg":"EdDSA","kid":"other"}"#).code,
            ErrorCode::InvalidKey
        );
        assert_eq!(
            check(r#"{"alg":"ES256","kid":"ed"}"#).code,
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            check(r#"{"alg":"EdDSA","kid":"ed"}"#).code,
            ErrorCode::InvalidSignature
        );
        assert_eq!(
            check(r#"{"alg":"EdDSA"}"#).code,
            ErrorCode::InvalidSignature,
            "sole key used without kid"
        );
        let empty = KeySet::empty();
        let t = token(r#"{"alg":"EdDSA"}"#, PAYLOAD, &[1; 64]);
        let d = decode(&t, 16384, AlgorithmSet::all()).unwrap();
        assert_eq!(verify(&d, &empty).unwrap_err().code, ErrorCode::InvalidKey);
        let huge_kid = "k".repeat(5000);
        let e = check(&format!(r#"{{"alg":"EdDSA","kid":"{huge_kid}"}}"#));
        assert!(e.message.len() < 200, "{}", e.message);
    }
}
