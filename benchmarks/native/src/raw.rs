//! Raw signature verification of a token's signing input by each candidate backend, called
//! directly (no JOSE parsing, no claims): the floor the engine's full validation is held to.

use crate::mint::{Alg, Token};

/// Which crypto crate a raw verifier uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    AwsLcRs,
    Ring,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::AwsLcRs => "aws-lc-rs",
            Backend::Ring => "ring",
        }
    }
}

/// A verifier holding its key in the fastest form its backend offers.
pub enum RawVerifier {
    /// aws-lc-rs `ParsedPublicKey`: the key is parsed once, ahead of time.
    AwsLcParsed(aws_lc_rs::signature::ParsedPublicKey),
    /// aws-lc-rs `UnparsedPublicKey`: the key bytes are parsed on every verification.
    AwsLcUnparsed(aws_lc_rs::signature::UnparsedPublicKey<Vec<u8>>),
    /// ring has no pre-parsed public key type: `UnparsedPublicKey` is its only verifier.
    Ring(ring::signature::UnparsedPublicKey<Vec<u8>>),
}

fn aws_lc_alg(alg: Alg) -> &'static dyn aws_lc_rs::signature::VerificationAlgorithm {
    use aws_lc_rs::signature as s;
    match alg {
        Alg::Rs256 => &s::RSA_PKCS1_2048_8192_SHA256,
        Alg::Ps256 => &s::RSA_PSS_2048_8192_SHA256,
        Alg::Es256 => &s::ECDSA_P256_SHA256_FIXED,
        Alg::EdDsa => &s::ED25519,
    }
}

fn ring_alg(alg: Alg) -> &'static dyn ring::signature::VerificationAlgorithm {
    use ring::signature as s;
    match alg {
        Alg::Rs256 => &s::RSA_PKCS1_2048_8192_SHA256,
        Alg::Ps256 => &s::RSA_PSS_2048_8192_SHA256,
        Alg::Es256 => &s::ECDSA_P256_SHA256_FIXED,
        Alg::EdDsa => &s::ED25519,
    }
}

impl RawVerifier {
    pub fn aws_lc_parsed(token: &Token) -> RawVerifier {
        let key =
            aws_lc_rs::signature::ParsedPublicKey::new(aws_lc_alg(token.alg), &token.public_key)
                .expect("aws-lc-rs accepts the generated public key");
        RawVerifier::AwsLcParsed(key)
    }

    pub fn aws_lc_unparsed(token: &Token) -> RawVerifier {
        RawVerifier::AwsLcUnparsed(aws_lc_rs::signature::UnparsedPublicKey::new(
            aws_lc_alg(token.alg),
            token.public_key.clone(),
        ))
    }

    pub fn ring(token: &Token) -> RawVerifier {
        RawVerifier::Ring(ring::signature::UnparsedPublicKey::new(
            ring_alg(token.alg),
            token.public_key.clone(),
        ))
    }

    /// Verifies; true when the signature is good.
    #[inline]
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            RawVerifier::AwsLcParsed(k) => k.verify_sig(message, signature).is_ok(),
            RawVerifier::AwsLcUnparsed(k) => k.verify(message, signature).is_ok(),
            RawVerifier::Ring(k) => k.verify(message, signature).is_ok(),
        }
    }
}
