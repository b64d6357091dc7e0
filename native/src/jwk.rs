//! JWK / JWK Set parsing into ready-to-use public keys (RFC 7517, RFC 7518 §6, RFC 8037).
//! INTERFACE STUB — implemented by the JOSE-core work; signatures are the contract.

use crate::alg::Algorithm;
use crate::error::Result;

/// Largest JWKS document accepted (bytes), fetched or loaded.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// Most keys kept from one JWKS.
pub const MAX_KEYS: usize = 256;

/// One usable public key.
pub struct Key {
    /// `kid`, if the JWK had one.
    pub kid: Option<String>,
    /// The JWK's `alg`, if it had one (a token's header alg must then equal it).
    pub alg: Option<Algorithm>,
    /// A digest of the key material; identifies the key for the verified-token cache.
    pub thumbprint: [u8; 32],
    // backend-specific public key material lives in private fields
}

impl Key {
    /// True when `alg` may be used with this key (kty/crv fit, JWK alg equal if present).
    pub fn permits(&self, alg: Algorithm) -> bool {
        let _ = alg;
        todo!()
    }

    /// Verifies `signature` over `message` with `alg`. Never panics on any input.
    pub fn verify(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        let _ = (alg, message, signature);
        todo!()
    }
}

/// The usable keys of one JWK Set. Immutable once built; shared behind an `Arc`.
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
        let _ = json;
        todo!()
    }

    /// The key for a token: exact `kid` match; without `kid` only when exactly one usable key
    /// exists. None when no key matches.
    pub fn select(&self, kid: Option<&str>) -> Option<&Key> {
        let _ = kid;
        todo!()
    }

    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}
