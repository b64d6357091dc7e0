//! JWK / JWK Set parsing into ready-to-use public keys (RFC 7517, RFC 7518 §6, RFC 8037).
//!
//! A JWK Set is parsed strictly (size cap, strict JSON) but leniently per key: a JWK that
//! cannot be used safely is skipped with a reason, never fatal, so one odd key at the IdP does
//! not take every token down. Key material is parsed once here, through `crypto`.

#![forbid(unsafe_code)]

use crate::alg::Algorithm;
use crate::b64;
use crate::crypto::{self, EcCurve, PublicKey};
use crate::error::{quote, sanitize, Error, ErrorCode, Result};
use crate::json;
use serde_json::{Map, Value};

/// Largest JWKS document accepted (bytes), fetched or loaded.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// Most keys kept from one JWKS.
pub const MAX_KEYS: usize = 256;
/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (the backend's limit).
pub const MAX_RSA_BITS: usize = 8192;
/// Most skip reasons kept (the rest are counted).
const MAX_SKIP_REASONS: usize = 32;

/// The RSA algorithms a JWK without `alg` may be used with (the client's allow-list narrows it).
const RSA_ALGS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// One usable public key.
#[derive(Clone)]
pub struct Key {
    /// `kid`, if the JWK had one.
    pub kid: Option<String>,
    /// The JWK's `alg`, if it had one (a token's header alg must then equal it).
    pub alg: Option<Algorithm>,
    /// A digest of the key material; identifies the key for the verified-token cache.
    ///
    /// SHA-256 over the RFC 7638 canonical JWK (required members only, minimal encodings)
    /// followed by the `kid` and `alg` the key is published with: the same material under a
    /// new kid or alg counts as a different key, so a cached verdict never outlives the exact
    /// key that produced it.
    pub thumbprint: [u8; 32],
    material: PublicKey,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("material", &self.material)
            .field("thumbprint", &crypto::hex(&self.thumbprint))
            .finish()
    }
}

impl Key {
    /// True when `alg` may be used with this key (kty/crv fit, JWK alg equal if present).
    pub fn permits(&self, alg: Algorithm) -> bool {
        self.alg.map_or(true, |a| a == alg) && self.material.supports(alg)
    }

    /// Verifies `signature` over `message` with `alg`. Never panics on any input.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.permits(alg) && self.material.verify(alg, message, signature)
    }

    /// Parses one JWK (a JSON object). Err gives the reason the key is unusable.
    pub fn from_jwk(jwk: &Map<String, Value>) -> std::result::Result<Key, String> {
        let kty = match jwk.get("kty") {
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err("kty is not a string".into()),
            None => return Err("kty is missing".into()),
        };
        match kty {
            "RSA" | "EC" | "OKP" => {}
            "oct" => return Err("symmetric (oct) keys are never used".into()),
            other => return Err(format!("unsupported kty {}", quote(other, 32))),
        }
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("kid is not a string".into()),
        };
        match jwk.get("use") {
            None => {}
            Some(Value::String(u)) if u == "sig" => {}
            Some(Value::String(u)) => {
                return Err(format!("use is {}, not \"sig\"", quote(u, 32)));
            }
            Some(_) => return Err("use is not a string".into()),
        }
        match jwk.get("key_ops") {
            None => {}
            Some(Value::Array(ops)) => {
                if !ops.iter().all(Value::is_string) {
                    return Err("key_ops is not an array of strings".into());
                }
                if !ops.iter().any(|o| o == "verify") {
                    return Err("key_ops does not include \"verify\"".into());
                }
            }
            Some(_) => return Err("key_ops is not an array".into()),
        }
        let alg = match jwk.get("alg") {
            None => None,
            Some(Value::String(a)) => match Algorithm::from_name(a) {
                Some(alg) => Some(alg),
                None => {
                    return Err(format!(
                        "alg {} is not a supported signature algorithm",
                        quote(a, 32)
                    ))
                }
            },
            Some(_) => return Err("alg is not a string".into()),
        };

        let (material, canonical) = match kty {
            "RSA" => rsa_key(jwk, alg)?,
            "EC" => ec_key(jwk)?,
            _ => okp_key(jwk)?,
        };
        if let Some(a) = alg {
            if !material.supports(a) {
                return Err(format!(
                    "alg {} does not fit a {kty} key of this kind",
                    a.name()
                ));
            }
        }
        let identity = format!(
            "{canonical}\nkid={}\nalg={}",
            serde_json::Value::from(kid.clone()),
            alg.map_or("", Algorithm::name)
        );
        Ok(Key {
            kid,
            alg,
            thumbprint: crypto::sha256(identity.as_bytes()),
            material,
        })
    }
}

/// A required base64url member, strictly decoded.
fn member_bytes(jwk: &Map<String, Value>, name: &str) -> std::result::Result<Vec<u8>, String> {
    match jwk.get(name) {
        Some(Value::String(s)) => b64::decode(s.as_bytes()).map_err(|e| format!("{name}: {e}")),
        Some(_) => Err(format!("{name} is not a string")),
        None => Err(format!("{name} is missing")),
    }
}

/// A required string member.
fn member_str<'a>(jwk: &'a Map<String, Value>, name: &str) -> std::result::Result<&'a str, String> {
    match jwk.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("{name} is not a string")),
        None => Err(format!("{name} is missing")),
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// Bit length of a minimal big-endian integer.
fn bit_len(minimal: &[u8]) -> usize {
    match minimal.first() {
        None => 0,
        Some(&top) => (minimal.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

fn rsa_key(
    jwk: &Map<String, Value>,
    alg: Option<Algorithm>,
) -> std::result::Result<(PublicKey, String), String> {
    let n_raw = member_bytes(jwk, "n")?;
    let e_raw = member_bytes(jwk, "e")?;
    // Leading zero octets are tolerated (some IdPs emit them) and removed.
    let n = strip_leading_zeros(&n_raw);
    let e = strip_leading_zeros(&e_raw);
    let bits = bit_len(n);
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "RSA modulus is {bits} bits; at least {MIN_RSA_BITS} are required"
        ));
    }
    if bits > MAX_RSA_BITS {
        return Err(format!(
            "RSA modulus is {bits} bits; at most {MAX_RSA_BITS} are supported"
        ));
    }
    if n.last().is_some_and(|b| b & 1 == 0) {
        return Err("RSA modulus is even".into());
    }
    // Exponent sanity: odd, at least 3, at most 32 bits (65537 in practice).
    let e_ok =
        !e.is_empty() && e.len() <= 4 && e.last().is_some_and(|b| b & 1 == 1) && bit_len(e) >= 2;
    if !e_ok {
        return Err("RSA exponent must be an odd number between 3 and 2^32".into());
    }
    let algs: Vec<Algorithm> = match alg {
        Some(a) if RSA_ALGS.contains(&a) => vec![a],
        Some(a) => return Err(format!("alg {} does not fit an RSA key", a.name())),
        None => RSA_ALGS.to_vec(),
    };
    let key = PublicKey::rsa(n, e, &algs)?;
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        b64::encode(e),
        b64::encode(n)
    );
    Ok((key, canonical))
}

fn ec_key(jwk: &Map<String, Value>) -> std::result::Result<(PublicKey, String), String> {
    let crv = member_str(jwk, "crv")?;
    let curve = match crv {
        "P-256" => EcCurve::P256,
        "P-384" => EcCurve::P384,
        "P-521" => EcCurve::P521,
        other => return Err(format!("unsupported EC curve {}", quote(other, 32))),
    };
    let x = member_bytes(jwk, "x")?;
    let y = member_bytes(jwk, "y")?;
    let key = PublicKey::ec(curve, &x, &y)?;
    let canonical = format!(
        r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
        b64::encode(&x),
        b64::encode(&y)
    );
    Ok((key, canonical))
}

fn okp_key(jwk: &Map<String, Value>) -> std::result::Result<(PublicKey, String), String> {
    let crv = member_str(jwk, "crv")?;
    if crv != "Ed25519" {
        return Err(format!("unsupported OKP curve {}", quote(crv, 32)));
    }
    let x = member_bytes(jwk, "x")?;
    let key = PublicKey::ed25519(&x)?;
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        b64::encode(&x)
    );
    Ok((key, canonical))
}

/// The usable keys of one JWK Set. Immutable once built; shared behind an `Arc`.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    pub keys: Vec<Key>,
    /// Human-readable reasons for each skipped JWK (bounded), for diagnostics.
    pub skipped: Vec<String>,
}

impl KeySet {
    /// Parses a JWK Set document (strict JSON, size-capped). Unusable keys are skipped, not
    /// fatal. Errors (code INVALID_KEY): not a JSON object with a `keys` array, too large.
    /// A set with zero usable keys is returned Ok (callers decide whether that is fatal).
    pub fn parse(json: &[u8]) -> Result<KeySet> {
        let invalid = |m: String| Error::new(ErrorCode::InvalidKey, m);
        if json.len() > MAX_JWKS_BYTES {
            return Err(invalid(format!(
                "the JWKS document is {} bytes; at most {MAX_JWKS_BYTES} are accepted",
                json.len()
            )));
        }
        let doc = json::parse_object(json).map_err(|e| {
            invalid(format!(
                "the JWKS is not a strict JSON object: {}",
                sanitize(&e, 200)
            ))
        })?;
        let entries = match doc.get("keys") {
            Some(Value::Array(a)) => a,
            Some(_) => return Err(invalid("the JWKS member \"keys\" is not an array".into())),
            None => return Err(invalid("the JWKS has no \"keys\" array".into())),
        };
        let mut set = KeySet::default();
        let mut skipped_total = 0usize;
        for (index, entry) in entries.iter().enumerate() {
            let outcome = if set.keys.len() >= MAX_KEYS {
                Err(format!(
                    "more than {MAX_KEYS} usable keys; the rest are ignored"
                ))
            } else {
                match entry {
                    Value::Object(jwk) => Key::from_jwk(jwk),
                    other => Err(format!("not a JSON object but {}", json::kind(other))),
                }
            };
            match outcome {
                Ok(key) => set.keys.push(key),
                Err(reason) => {
                    skipped_total += 1;
                    if set.skipped.len() < MAX_SKIP_REASONS {
                        let kid = match entry.get("kid") {
                            Some(Value::String(k)) => format!(" (kid {})", quote(k, 64)),
                            _ => String::new(),
                        };
                        set.skipped
                            .push(format!("JWK #{index}{kid} skipped: {reason}"));
                    }
                }
            }
        }
        if skipped_total > set.skipped.len() {
            set.skipped.push(format!(
                "… and {} more skipped JWKs",
                skipped_total - set.skipped.len()
            ));
        }
        Ok(set)
    }

    /// An empty set (no usable key).
    pub fn empty() -> KeySet {
        KeySet::default()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key for a token: exact `kid` match; without `kid` only when exactly one usable key
    /// exists. None when no key matches.
    pub fn select(&self, kid: Option<&str>) -> Option<&Key> {
        self.candidates(kid).next()
    }

    /// Every key a token with this `kid` may be verified with, in JWKS order: the keys whose
    /// kid is exactly `kid` (a JWKS may list several, e.g. one per algorithm), or without
    /// `kid` the single usable key if there is exactly one.
    pub fn candidates<'a, 'b>(&'a self, kid: Option<&'b str>) -> Candidates<'a, 'b> {
        let sole = if kid.is_none() && self.keys.len() == 1 {
            self.keys.first()
        } else {
            None
        };
        Candidates {
            keys: self.keys.iter(),
            kid,
            sole,
        }
    }

    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }

    /// True when a key with this thumbprint is in the set (the verified-token cache uses it
    /// to drop verdicts whose key has left the JWKS).
    pub fn contains_thumbprint(&self, thumbprint: &[u8; 32]) -> bool {
        self.keys.iter().any(|k| &k.thumbprint == thumbprint)
    }
}

/// Iterator of [`KeySet::candidates`].
pub struct Candidates<'a, 'b> {
    keys: std::slice::Iter<'a, Key>,
    kid: Option<&'b str>,
    sole: Option<&'a Key>,
}

impl<'a> Iterator for Candidates<'a, '_> {
    type Item = &'a Key;

    fn next(&mut self) -> Option<&'a Key> {
        if let Some(key) = self.sole.take() {
            return Some(key);
        }
        let kid = self.kid?;
        self.keys.find(|k| k.kid.as_deref() == Some(kid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Public keys of the attack corpus JWKS (tests/data/corpus.json).
    const RSA_N: &str = "zmKKnidHo70m6KAayoS5VNqY0B2wTDlzQdYPNJfdjE8rTG5dJTVKR6UQdZ0zFA_2ef7_KJH-18DCQ6KvPIstUCpS4agR0bnVbeWBg-fgHvWQAy70QQxaela5ZqI5mdpuq3rCYti3arZIKS-hR67HCTG8vYSc3aRqaVNvVYtNNdumk_YoWI0ShCpFOc6Tw7ok5lSU1zQbKu-naAMdOlI2_Mmtgy9pdxgAo6puqNbXno7gU9X2W136rjDd205q82mvx8jZckDREqSQtnZwEVWYLobE8JTfhGcqcd3Ee-EZiRI5MBdo0ehJ5jC__wggh_Lefnd19ys6ZH8UUPgyY3I68w";
    const EC_X: &str = "AgcOS4kUdMB2c6tDIHJMuliKZ0kxiafoSTWe_nsBlnY";
    const EC_Y: &str = "514FbZIQbnGoKgtZ2ziL6_A7qbuZk1N33TUAMGRJTWw";
    const ED_X: &str = "HvcRi0JERVkOM1OO_PEIHkAt-vUjxVHxBINuBXCDGPY";

    fn set(keys: &str) -> KeySet {
        KeySet::parse(format!(r#"{{"keys":[{keys}]}}"#).as_bytes()).unwrap()
    }

    fn rsa(extra: &str) -> String {
        format!(r#"{{"kty":"RSA","n":"{RSA_N}","e":"AQAB"{extra}}}"#)
    }

    #[test]
    fn parses_each_key_type() {
        let ks = set(&format!(
            r#"{},{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","kid":"ec"}},{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","kid":"ed","use":"sig"}}"#,
            rsa(r#","kid":"r","alg":"RS256""#)
        ));
        assert_eq!(ks.len(), 3, "{:?}", ks.skipped);
        assert!(ks.skipped.is_empty());
        let r = ks.select(Some("r")).unwrap();
        assert!(r.permits(Algorithm::RS256));
        assert!(!r.permits(Algorithm::PS256), "JWK alg pins the algorithm");
        let ec = ks.select(Some("ec")).unwrap();
        assert!(
            ec.permits(Algorithm::ES256)
                && !ec.permits(Algorithm::ES384)
                && !ec.permits(Algorithm::RS256)
        );
        let ed = ks.select(Some("ed")).unwrap();
        assert!(ed.permits(Algorithm::EdDSA) && !ed.permits(Algorithm::ES256));
    }

    #[test]
    fn rsa_without_alg_permits_every_rsa_algorithm() {
        let ks = set(&rsa(""));
        let k = ks.select(None).unwrap();
        for a in RSA_ALGS {
            assert!(k.permits(a), "{a:?}");
        }
        assert!(!k.permits(Algorithm::ES256) && !k.permits(Algorithm::EdDSA));
    }

    #[test]
    fn unusable_keys_are_skipped_with_reasons() {
        let weak_n = b64::encode(&[0xc1u8; 128]);
        let entries = [
            rsa(r#","use":"enc""#),
            format!(r#"{{"kty":"RSA","n":"{weak_n}","e":"AQAB"}}"#),
            rsa(r#","alg":"ES256""#),
            r#"{"kty":"oct","k":"c2VjcmV0","kid":"o"}"#.into(),
            r#"{"kty":"XYZ"}"#.into(),
            r#"{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}"#.into(),
            format!(r#"{{"kty":"OKP","crv":"X25519","x":"{ED_X}"}}"#),
            rsa(r#","kid":5"#),
            rsa(r#","alg":"HS256""#),
            rsa(r#","key_ops":["encrypt"]"#),
            format!(r#"{{"kty":"RSA","n":"{RSA_N}","e":"AQ"}}"#),
            r#"{"kty":"RSA","e":"AQAB"}"#.into(),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_X}"}}"#),
            "7".into(),
            rsa(r#","key_ops":["verify"],"use":"sig""#),
        ];
        let ks = set(&entries.join(","));
        assert_eq!(ks.len(), 1, "{:#?}", ks.skipped);
        assert_eq!(ks.skipped.len(), 14);
        let all = ks.skipped.join("\n");
        for needle in [
            "not \"sig\"",
            "2048",
            "oct",
            "unsupported kty",
            "secp256k1",
            "X25519",
            "does not fit",
            "kid is not a string",
            "HS256",
            "verify",
            "exponent",
            "n is missing",
            "EC point",
            "not a JSON object",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in\n{all}");
        }
    }

    #[test]
    fn rsa_size_and_exponent_sanity() {
        let n = b64::decode(RSA_N.as_bytes()).unwrap();
        let with_e = |e: &[u8]| {
            let jwk = format!(r#"{{"kty":"RSA","n":"{RSA_N}","e":"{}"}}"#, b64::encode(e));
            KeySet::parse(format!(r#"{{"keys":[{jwk}]}}"#).as_bytes()).unwrap()
        };
        assert_eq!(with_e(&[3]).len(), 1, "e = 3");
        assert_eq!(with_e(&[0, 1, 0, 1]).len(), 1, "leading zero in e");
        assert_eq!(with_e(&[0xff, 0xff, 0xff, 0xff]).len(), 1, "e = 2^32 - 1");
        for bad in [&[1u8][..], &[2], &[0], &[], &[1, 0, 0, 0, 1], &[1, 0, 0]] {
            let ks = with_e(bad);
            assert!(
                ks.is_empty() && ks.skipped[0].contains("exponent"),
                "{bad:?}: {:?}",
                ks.skipped
            );
        }
        // 2047 bits (top bit clear) is below the minimum; an even modulus is refused.
        let mut short = n.clone();
        short[0] = 0x7f;
        let mut even = n.clone();
        *even.last_mut().unwrap() &= 0xfe;
        let big = vec![0xffu8; 1025];
        for (modulus, needle) in [(short, "2047 bits"), (even, "even"), (big, "at most 8192")] {
            let jwk = format!(
                r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#,
                b64::encode(&modulus)
            );
            let ks = KeySet::parse(format!(r#"{{"keys":[{jwk}]}}"#).as_bytes()).unwrap();
            assert!(
                ks.is_empty() && ks.skipped[0].contains(needle),
                "{:?}",
                ks.skipped
            );
        }
    }

    #[test]
    fn ec_and_okp_member_checks() {
        let parse =
            |jwk: String| KeySet::parse(format!(r#"{{"keys":[{jwk}]}}"#).as_bytes()).unwrap();
        let cases = [
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-384","x":"{EC_X}","y":"{EC_Y}"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}=","y":"{EC_Y}"}}"#),
            format!(r#"{{"kty":"EC","crv":5,"x":"{EC_X}","y":"{EC_Y}"}}"#),
            format!(
                r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{EC_Y}"}}"#,
                &EC_X[1..]
            ),
            format!(r#"{{"kty":"OKP","crv":"Ed448","x":"{ED_X}"}}"#),
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#, &ED_X[..40]),
            format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}","alg":"ES256"}}"#),
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","alg":"ES384"}}"#),
        ];
        for jwk in cases {
            let ks = parse(jwk.clone());
            assert!(
                ks.is_empty() && ks.skipped.len() == 1,
                "{jwk}: {:?}",
                ks.skipped
            );
        }
        let ok = parse(format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{EC_X}","y":"{EC_Y}","alg":"ES256","d":"ignored"}}"#
        ));
        assert_eq!(ok.len(), 1, "{:?}", ok.skipped);
    }

    #[test]
    fn document_level_errors() {
        for doc in [
            &b"[]"[..],
            b"{}",
            br#"{"keys":{}}"#,
            b"{\"keys\":[] ",
            br#"{"keys":[],"keys":[]}"#,
            b"\xef\xbb\xbf{\"keys\":[]}",
        ] {
            let err = KeySet::parse(doc).unwrap_err();
            assert_eq!(
                err.code,
                ErrorCode::InvalidKey,
                "{}",
                String::from_utf8_lossy(doc)
            );
        }
        let big = format!(r#"{{"keys":[],"pad":"{}"}}"#, "a".repeat(MAX_JWKS_BYTES));
        assert!(KeySet::parse(big.as_bytes())
            .unwrap_err()
            .message
            .contains("bytes"));
        assert!(KeySet::parse(br#"{"keys":[]}"#).unwrap().is_empty());
    }

    #[test]
    fn key_count_is_capped() {
        let one = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{ED_X}"}}"#);
        let many = vec![one; MAX_KEYS + 5].join(",");
        let ks = set(&many);
        assert_eq!(ks.len(), MAX_KEYS);
        assert!(ks.skipped.iter().all(|s| s.contains("usable keys")));
    }

    #[test]
    fn key_sets_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<KeySet>();
        shareable::<Key>();
        let ks = std::sync::Arc::new(set(&rsa(r#","kid":"a""#)));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ks = std::sync::Arc::clone(&ks);
                std::thread::spawn(move || ks.select(Some("a")).is_some())
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap_or(false)));
    }

    #[test]
    fn selection_by_kid() {
        let ks = set(&format!(
            "{},{}",
            rsa(r#","kid":"a""#),
            rsa(r#","kid":"b""#)
        ));
        assert_eq!(ks.select(Some("a")).unwrap().kid.as_deref(), Some("a"));
        assert!(ks.select(Some("A")).is_none(), "case-sensitive");
        assert!(ks.select(Some("a\0")).is_none());
        assert!(ks.select(None).is_none(), "no kid with two keys");
        assert!(ks.contains_kid("b") && !ks.contains_kid("c"));
        let single = set(&rsa(r#","kid":"only""#));
        assert_eq!(single.select(None).unwrap().kid.as_deref(), Some("only"));
        assert!(single.select(Some("other")).is_none());
    }

    #[test]
    fn thumbprints_identify_material_kid_and_alg() {
        let a = set(&rsa(r#","kid":"a""#));
        let a_again = set(&rsa(r#","kid":"a","use":"sig""#));
        let b = set(&rsa(r#","kid":"b""#));
        let a_alg = set(&rsa(r#","kid":"a","alg":"RS256""#));
        let ta = a.keys[0].thumbprint;
        assert_eq!(ta, a_again.keys[0].thumbprint);
        assert_ne!(ta, b.keys[0].thumbprint);
        assert_ne!(ta, a_alg.keys[0].thumbprint);
        assert!(a.contains_thumbprint(&ta) && !b.contains_thumbprint(&ta));
        // Leading zero octets do not change the key.
        let mut n = vec![0u8];
        n.extend(b64::decode(RSA_N.as_bytes()).unwrap());
        let padded = set(&format!(
            r#"{{"kty":"RSA","n":"{}","e":"AQAB","kid":"a"}}"#,
            b64::encode(&n)
        ));
        assert_eq!(padded.keys[0].thumbprint, ta);
    }
}
