//! The crypto backend: every call into the signature library lives here, so it can be swapped.
//!
//! # Backend choice: aws-lc-rs (AWS-LC, statically linked; no system OpenSSL)
//!
//! Measured on the project machine (AMD EPYC, 2 vCPUs, shared with other jobs), release build
//! with LTO, raw verification of the *same* corpus signature with the same public key; min of
//! 300 samples × 20 verifications (short samples dodge preemption on the busy machine; medians
//! were within 1-2 % of the minimum except for ES384):
//!
//! | alg           | ring 0.17.14         | aws-lc-rs 1.19 `ParsedPublicKey` | Python `cryptography` 48 (ref.) |
//! |---------------|----------------------|----------------------------------|---------------------------------|
//! | RS256 (2048)  | 23.6 µs (components) | 17.7 µs (20.4 µs via components) | 23.7 µs                         |
//! | PS256 (2048)  | 24.5 µs (components) | 18.4 µs                          |                                 |
//! | ES256         | 59.1 µs              | 56.2 µs                          | 73.8 µs                         |
//! | ES384         | 882 µs               | 223 µs                           |                                 |
//! | Ed25519       | 51.9 µs              | 41.4 µs                          | 115 µs                          |
//!
//! Whole safe-core validation (`jwt::decode` → `jwt::verify` → `claims::check`) of the same
//! tokens, same run: RS256 21.1 µs (1.18× raw verify), PS256 21.9 µs (1.18×), ES256 59.5 µs
//! (1.06×), ES384 224 µs (1.02×), EdDSA 44.4 µs (1.07×); `jwt::decode` alone ≈ 2.6-2.8 µs.
//!
//! Reproduce with `cargo run --release --bin backends` and `--bin pipeline` in
//! `native/benches/backend` (its own workspace, so ring never enters the engine's build).
//!
//! aws-lc-rs is faster on every algorithm, and its `ParsedPublicKey` lets a key be parsed once
//! at JWKS load (ring re-parses RSA components and EC points on every verification). rustls
//! must be configured with the same provider (`rustls::crypto::aws_lc_rs`).
//!
//! Key material is parsed exactly once, when a JWK is loaded: RSA keys hold one prepared
//! `ParsedPublicKey` per algorithm they may be used with, EC and Ed25519 keys hold one. The
//! verification path does only the length/range checks of the policy and the backend call.

#![forbid(unsafe_code)]

use crate::alg::Algorithm;
use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Lower-case hex of bytes (for digests in messages and tests).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// The elliptic curves the engine verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EcCurve {
    P256,
    P384,
    P521,
}

impl EcCurve {
    /// Bytes of one coordinate, and of one of r / s in a JWS signature.
    pub fn field_len(self) -> usize {
        match self {
            EcCurve::P256 => 32,
            EcCurve::P384 => 48,
            EcCurve::P521 => 66,
        }
    }

    /// The group order n, big-endian.
    fn order(self) -> &'static [u8] {
        match self {
            EcCurve::P256 => &P256_ORDER,
            EcCurve::P384 => &P384_ORDER,
            EcCurve::P521 => &P521_ORDER,
        }
    }

    fn algorithm(self) -> Algorithm {
        match self {
            EcCurve::P256 => Algorithm::ES256,
            EcCurve::P384 => Algorithm::ES384,
            EcCurve::P521 => Algorithm::ES512,
        }
    }
}

const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];
const P384_ORDER: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];

/// The P-521 group order (SEC 2 secp521r1; a 521-bit number in 66 bytes).
const P521_ORDER: [u8; 66] = [
    0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xfa, 0x51, 0x86, 0x87, 0x83, 0xbf, 0x2f, 0x96, 0x6b, 0x7f, 0xcc, 0x01, 0x48, 0xf7, 0x09,
    0xa5, 0xd0, 0x3b, 0xb5, 0xc9, 0xb8, 0x89, 0x9c, 0x47, 0xae, 0xbb, 0x6f, 0xb7, 0x1e, 0x91, 0x38,
    0x64, 0x09,
];

/// The RSA algorithms, in the order of `RsaKey::by_alg`.
const RSA_ALGS: [Algorithm; 6] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// Backend parameters of an RSA algorithm. PSS uses MGF1 with the same hash and a salt as long
/// as the hash (RFC 7518 §3.5); any other salt length fails verification.
fn rsa_params(alg: Algorithm) -> Option<&'static RsaParameters> {
    match alg {
        Algorithm::RS256 => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
        Algorithm::RS384 => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
        Algorithm::RS512 => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
        Algorithm::PS256 => Some(&signature::RSA_PSS_2048_8192_SHA256),
        Algorithm::PS384 => Some(&signature::RSA_PSS_2048_8192_SHA384),
        Algorithm::PS512 => Some(&signature::RSA_PSS_2048_8192_SHA512),
        _ => None,
    }
}

/// A public key, parsed once, ready to verify. Cloning shares the backend key (cheap).
#[derive(Clone)]
pub struct PublicKey {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    Rsa {
        /// Modulus length in bytes: the only accepted signature length.
        modulus_len: usize,
        /// One prepared key per entry of `RSA_ALGS` the key may be used with.
        by_alg: Box<[Option<ParsedPublicKey>; 6]>,
    },
    Ec {
        curve: EcCurve,
        key: ParsedPublicKey,
    },
    Ed25519 {
        key: ParsedPublicKey,
    },
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.inner {
            Inner::Rsa { modulus_len, .. } => write!(f, "RSA-{} public key", modulus_len * 8),
            Inner::Ec { curve, .. } => write!(f, "EC {curve:?} public key"),
            Inner::Ed25519 { .. } => f.write_str("Ed25519 public key"),
        }
    }
}

impl PublicKey {
    /// An RSA key from minimal big-endian `n` and `e` (no leading zero bytes), prepared for
    /// each RSA algorithm in `algs` (others are ignored). Size and exponent policy is the
    /// caller's (jwk.rs); this only fails when the backend refuses the components.
    pub fn rsa(n: &[u8], e: &[u8], algs: &[Algorithm]) -> Result<PublicKey, String> {
        let components = RsaPublicKeyComponents { n, e };
        let mut by_alg: [Option<ParsedPublicKey>; 6] = Default::default();
        for (slot, alg) in by_alg.iter_mut().zip(RSA_ALGS) {
            if !algs.contains(&alg) {
                continue;
            }
            let params = rsa_params(alg).ok_or("not an RSA algorithm")?;
            let key = components
                .to_parsed_public_key(params)
                .map_err(|e| format!("the crypto backend rejected the RSA key ({e})"))?;
            *slot = Some(key);
        }
        if by_alg.iter().all(Option::is_none) {
            return Err("no RSA algorithm to prepare the key for".into());
        }
        Ok(PublicKey {
            inner: Inner::Rsa {
                modulus_len: n.len(),
                by_alg: Box::new(by_alg),
            },
        })
    }

    /// An EC key from its affine coordinates (each exactly `curve.field_len()` bytes); the
    /// backend checks that the point is on the curve.
    pub fn ec(curve: EcCurve, x: &[u8], y: &[u8]) -> Result<PublicKey, String> {
        let len = curve.field_len();
        if x.len() != len || y.len() != len {
            return Err(format!(
                "EC coordinates must be {len} bytes each (got {} and {})",
                x.len(),
                y.len()
            ));
        }
        let mut point = Vec::with_capacity(1 + 2 * len);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let alg: &'static signature::EcdsaVerificationAlgorithm = match curve {
            EcCurve::P256 => &signature::ECDSA_P256_SHA256_FIXED,
            EcCurve::P384 => &signature::ECDSA_P384_SHA384_FIXED,
            EcCurve::P521 => &signature::ECDSA_P521_SHA512_FIXED,
        };
        let key = ParsedPublicKey::new(alg, &point)
            .map_err(|e| format!("the EC point is not a valid {curve:?} public key ({e})"))?;
        Ok(PublicKey {
            inner: Inner::Ec { curve, key },
        })
    }

    /// An Ed25519 key from its 32-byte encoding.
    pub fn ed25519(x: &[u8]) -> Result<PublicKey, String> {
        if x.len() != 32 {
            return Err(format!(
                "an Ed25519 public key is 32 bytes (got {})",
                x.len()
            ));
        }
        let key = ParsedPublicKey::new(&signature::ED25519, x)
            .map_err(|e| format!("not a valid Ed25519 public key ({e})"))?;
        Ok(PublicKey {
            inner: Inner::Ed25519 { key },
        })
    }

    /// True when this key is prepared for `alg` (key type and curve fit).
    pub fn supports(&self, alg: Algorithm) -> bool {
        match &self.inner {
            Inner::Rsa { by_alg, .. } => RSA_ALGS
                .iter()
                .zip(by_alg.iter())
                .any(|(a, k)| *a == alg && k.is_some()),
            Inner::Ec { curve, .. } => curve.algorithm() == alg,
            Inner::Ed25519 { .. } => alg == Algorithm::EdDSA,
        }
    }

    /// Verifies a JWS signature (RFC 7518 encodings). False for any mismatch of algorithm,
    /// length or range, and for any signature the backend does not accept. Never panics.
    pub fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        match &self.inner {
            Inner::Rsa {
                modulus_len,
                by_alg,
            } => {
                if sig.len() != *modulus_len {
                    return false;
                }
                RSA_ALGS
                    .iter()
                    .zip(by_alg.iter())
                    .find(|(a, _)| **a == alg)
                    .and_then(|(_, k)| k.as_ref())
                    .is_some_and(|k| k.verify_sig(message, sig).is_ok())
            }
            Inner::Ec { curve, key } => {
                curve.algorithm() == alg
                    && ecdsa_scalars_in_range(*curve, sig)
                    && key.verify_sig(message, sig).is_ok()
            }
            Inner::Ed25519 { key } => {
                alg == Algorithm::EdDSA && sig.len() == 64 && key.verify_sig(message, sig).is_ok()
            }
        }
    }
}

/// A fixed-width `r || s` whose halves both satisfy 0 < v < n (high s is allowed).
fn ecdsa_scalars_in_range(curve: EcCurve, sig: &[u8]) -> bool {
    let len = curve.field_len();
    if sig.len() != 2 * len {
        return false;
    }
    let (r, s) = sig.split_at(len);
    let in_range = |v: &[u8]| v.iter().any(|&b| b != 0) && v < curve.order();
    in_range(r) && in_range(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answer() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn ecdsa_range_check() {
        let mut sig = [1u8; 64];
        assert!(ecdsa_scalars_in_range(EcCurve::P256, &sig));
        sig[..32].copy_from_slice(&[0u8; 32]);
        assert!(!ecdsa_scalars_in_range(EcCurve::P256, &sig), "r = 0");
        sig[..32].copy_from_slice(&P256_ORDER);
        assert!(!ecdsa_scalars_in_range(EcCurve::P256, &sig), "r = n");
        let mut below = P256_ORDER;
        below[31] -= 1;
        sig[..32].copy_from_slice(&below);
        assert!(ecdsa_scalars_in_range(EcCurve::P256, &sig), "r = n - 1");
        sig[32..].copy_from_slice(&[0xff; 32]);
        assert!(!ecdsa_scalars_in_range(EcCurve::P256, &sig), "s > n");
        assert!(!ecdsa_scalars_in_range(EcCurve::P256, &[1u8; 63]));
        assert!(!ecdsa_scalars_in_range(EcCurve::P384, &[1u8; 64]));
        assert!(ecdsa_scalars_in_range(EcCurve::P384, &[1u8; 96]));
        // P-521: 66-byte halves whose top byte is at most 0x01.
        assert!(ecdsa_scalars_in_range(EcCurve::P521, &[1u8; 132]));
        assert!(!ecdsa_scalars_in_range(EcCurve::P521, &[1u8; 130]));
        let mut sig = [1u8; 132];
        sig[0] = 0x02;
        assert!(!ecdsa_scalars_in_range(EcCurve::P521, &sig), "r > n");
        sig[..66].copy_from_slice(&P521_ORDER);
        assert!(!ecdsa_scalars_in_range(EcCurve::P521, &sig), "r = n");
        sig[65] -= 1;
        assert!(ecdsa_scalars_in_range(EcCurve::P521, &sig), "r = n - 1");
    }

    #[test]
    fn bad_key_material_is_refused() {
        assert!(
            PublicKey::ec(EcCurve::P256, &[1u8; 32], &[2u8; 32]).is_err(),
            "point not on the curve"
        );
        assert!(PublicKey::ec(EcCurve::P256, &[1u8; 31], &[2u8; 32]).is_err());
        assert!(PublicKey::ed25519(&[0u8; 31]).is_err());
        assert!(
            PublicKey::rsa(&[0xc3; 256], &[1, 0, 1], &[Algorithm::ES256]).is_err(),
            "no RSA alg"
        );
    }

    #[test]
    fn rsa_key_is_prepared_only_for_requested_algorithms() {
        let n = [0xc3u8; 256];
        let key = PublicKey::rsa(&n, &[1, 0, 1], &[Algorithm::RS256, Algorithm::PS256]).unwrap();
        assert!(key.supports(Algorithm::RS256));
        assert!(key.supports(Algorithm::PS256));
        assert!(!key.supports(Algorithm::RS384));
        assert!(!key.supports(Algorithm::ES256));
        // Wrong length and garbage never verify, never panic.
        assert!(!key.verify(Algorithm::RS256, b"m", &[0u8; 255]));
        assert!(!key.verify(Algorithm::RS256, b"m", &[0u8; 256]));
        assert!(!key.verify(Algorithm::RS384, b"m", &[1u8; 256]));
        assert!(!key.verify(Algorithm::EdDSA, b"m", &[1u8; 64]));
    }
}
