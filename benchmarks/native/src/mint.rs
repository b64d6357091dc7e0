//! Throw-away keys generated at run time, the 12-key JWKS that publishes them, and the signed
//! access tokens the benchmark validates. Signing uses aws-lc-rs directly (no JOSE library).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents,
    ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256, RSA_PSS_SHA256,
};

use crate::b64;

/// The algorithms benchmarked (one key each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Ps256,
    Es256,
    EdDsa,
}

impl Alg {
    pub const ALL: [Alg; 4] = [Alg::Rs256, Alg::Ps256, Alg::Es256, Alg::EdDsa];

    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
            Alg::Es256 => "ES256",
            Alg::EdDsa => "EdDSA",
        }
    }
}

/// A private key of one of the benchmarked kinds.
pub enum Private {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A generated key with its `kid`.
pub struct SigningKey {
    pub kid: String,
    pub private: Private,
}

impl SigningKey {
    fn generate(kid: &str, kind: Alg) -> SigningKey {
        let private = match kind {
            Alg::Rs256 | Alg::Ps256 => {
                Private::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 keygen"))
            }
            Alg::Es256 => Private::Ec(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256 keygen"),
            ),
            Alg::EdDsa => Private::Ed(Ed25519KeyPair::generate().expect("Ed25519 keygen")),
        };
        SigningKey {
            kid: kid.to_owned(),
            private,
        }
    }

    /// The public key in the encoding both backends' verifiers take: PKCS#1 RSAPublicKey DER,
    /// an uncompressed SEC1 point, or the 32 raw Ed25519 bytes.
    pub fn public_bytes(&self) -> Vec<u8> {
        match &self.private {
            Private::Rsa(k) => k.public_key().as_ref().to_vec(),
            Private::Ec(k) => k.public_key().as_ref().to_vec(),
            Private::Ed(k) => k.public_key().as_ref().to_vec(),
        }
    }

    /// The public JWK; `alg` pins the key to one algorithm, as IdPs publish them.
    pub fn jwk(&self, alg: Option<Alg>) -> String {
        let alg_member = alg
            .map(|a| format!(r#","alg":"{}""#, a.name()))
            .unwrap_or_default();
        match &self.private {
            Private::Rsa(k) => {
                let c = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
                format!(
                    r#"{{"kty":"RSA","use":"sig","kid":"{}"{},"n":"{}","e":"{}"}}"#,
                    self.kid,
                    alg_member,
                    b64::encode(&c.n),
                    b64::encode(&c.e)
                )
            }
            Private::Ec(k) => {
                let point = k.public_key().as_ref(); // 0x04 || X || Y
                format!(
                    r#"{{"kty":"EC","use":"sig","crv":"P-256","kid":"{}"{},"x":"{}","y":"{}"}}"#,
                    self.kid,
                    alg_member,
                    b64::encode(&point[1..33]),
                    b64::encode(&point[33..65])
                )
            }
            Private::Ed(k) => format!(
                r#"{{"kty":"OKP","use":"sig","crv":"Ed25519","kid":"{}"{},"x":"{}"}}"#,
                self.kid,
                alg_member,
                b64::encode(k.public_key().as_ref())
            ),
        }
    }

    fn sign(&self, alg: Alg, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match (&self.private, alg) {
            (Private::Rsa(k), Alg::Rs256 | Alg::Ps256) => {
                let encoding = if alg == Alg::Rs256 {
                    &RSA_PKCS1_SHA256
                } else {
                    &RSA_PSS_SHA256
                };
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(encoding, &rng, message, &mut sig).expect("RSA sign");
                sig
            }
            (Private::Ec(k), Alg::Es256) => {
                k.sign(&rng, message).expect("ECDSA sign").as_ref().to_vec()
            }
            (Private::Ed(k), Alg::EdDsa) => k.sign(message).as_ref().to_vec(),
            _ => unreachable!("key kind and algorithm are paired in Fixture::generate"),
        }
    }
}

/// The claims every benchmark token carries.
pub struct Claims {
    pub issuer: &'static str,
    pub audience: &'static str,
    pub scopes: &'static str,
    pub now: i64,
}

/// A signed token plus the parts a raw verifier needs.
pub struct Token {
    pub alg: Alg,
    pub compact: String,
    pub signing_input: Vec<u8>,
    pub signature: Vec<u8>,
    pub public_key: Vec<u8>,
}

/// Everything one benchmark run uses: 12 keys (4 signing keys among 8 decoys) and 4 tokens.
pub struct Fixture {
    pub jwks_json: String,
    pub tokens: Vec<Token>,
}

impl Fixture {
    pub fn generate(claims: &Claims) -> Fixture {
        // The signing keys sit at positions 3, 6, 9 and 12 of the set, between decoys of every kind.
        let decoy_kinds = [
            Alg::Rs256,
            Alg::Es256,
            Alg::Rs256,
            Alg::EdDsa,
            Alg::Rs256,
            Alg::Es256,
            Alg::Rs256,
            Alg::EdDsa,
        ];
        let mut jwks_members = Vec::new();
        let mut tokens = Vec::new();
        for (i, alg) in Alg::ALL.into_iter().enumerate() {
            for (j, kind) in decoy_kinds[2 * i..2 * i + 2].iter().enumerate() {
                let decoy = SigningKey::generate(&format!("decoy-{}-{}", i, j), *kind);
                jwks_members.push(decoy.jwk(None));
            }
            let key = SigningKey::generate(&format!("bench-{}", alg.name().to_lowercase()), alg);
            jwks_members.push(key.jwk(Some(alg)));
            tokens.push(mint(&key, alg, claims));
        }
        Fixture {
            jwks_json: format!(r#"{{"keys":[{}]}}"#, jwks_members.join(",")),
            tokens,
        }
    }
}

fn mint(key: &SigningKey, alg: Alg, c: &Claims) -> Token {
    let header = format!(
        r#"{{"alg":"{}","typ":"JWT","kid":"{}"}}"#,
        alg.name(),
        key.kid
    );
    let payload = format!(
        concat!(
            r#"{{"iss":"{iss}","sub":"user-4711","aud":["{aud}","account"],"azp":"mcp-bench-client","#,
            r#""scope":"openid profile {scopes} offline_access","iat":{iat},"nbf":{iat},"exp":{exp},"#,
            r#""jti":"bench-{alg}-0001","client_id":"mcp-bench-client"}}"#
        ),
        iss = c.issuer,
        aud = c.audience,
        scopes = c.scopes,
        iat = c.now - 30,
        exp = c.now + 3600,
        alg = alg.name(),
    );
    let signing_input = format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(payload.as_bytes())
    );
    let signature = key.sign(alg, signing_input.as_bytes());
    let compact = format!("{}.{}", signing_input, b64::encode(&signature));
    Token {
        alg,
        compact,
        signing_input: signing_input.into_bytes(),
        signature,
        public_key: key.public_bytes(),
    }
}
