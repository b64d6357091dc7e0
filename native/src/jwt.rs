//! Strict JWS compact parsing and signature verification of JWT access tokens.
//! INTERFACE STUB — implemented by the JOSE-core work; signatures are the contract.

use crate::alg::{Algorithm, AlgorithmSet};
use crate::claims::Claims;
use crate::error::Result;
use crate::jwk::{Key, KeySet};

/// A structurally valid, not yet verified token.
pub struct DecodedToken<'a> {
    pub alg: Algorithm,
    pub kid: Option<String>,
    /// The parsed payload.
    pub claims: Claims,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`.
    pub signing_input: &'a [u8],
    pub signature: Vec<u8>,
}

/// Size cap, strict base64url, strict JSON header and payload, header policy (alg known and
/// in `allowed`, typ, crit, kid a string). Errors carry INVALID_TOKEN.
pub fn decode<'a>(token: &'a str, max_bytes: usize, allowed: AlgorithmSet) -> Result<DecodedToken<'a>> {
    let _ = (token, max_bytes, allowed);
    todo!()
}

/// Decodes only the payload, without any header policy or verification (diagnostics).
pub fn decode_unverified_claims(token: &str, max_bytes: usize) -> Result<Claims> {
    let _ = (token, max_bytes);
    todo!()
}

/// Picks the key (by kid) and verifies the signature. Errors: INVALID_SIGNATURE (bad
/// signature, alg not permitted for the key) or INVALID_KEY (no key matches the kid — the
/// caller may refetch the JWKS once and retry).
pub fn verify<'k>(token: &DecodedToken<'_>, keys: &'k KeySet) -> Result<&'k Key> {
    let _ = (token, keys);
    todo!()
}
