//! Signature vectors beyond the attack corpus (tests/data/extra_vectors.json, minted by
//! tests/data/gen_extra_vectors.py with Python `cryptography`): every RSA algorithm of the
//! product's default allow-list at 2048/3072/4096 bits, a JWK `n` with a leading zero octet,
//! ES256 with low and high s, and a DER-encoded ECDSA signature that must be refused.

use gopher_orch::alg::AlgorithmSet;
use gopher_orch::claims::{self, Requirements};
use gopher_orch::error::{ErrorCode, Result};
use gopher_orch::jwk::KeySet;
use gopher_orch::jwt;
use serde_json::Value;

const NOW: i64 = 1_767_225_600;

fn load() -> (KeySet, Vec<(String, String, bool)>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/extra_vectors.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors file")).expect("JSON");
    let keys = KeySet::parse(doc["jwks"].to_string().as_bytes()).expect("JWKS");
    assert!(keys.skipped.is_empty(), "{:?}", keys.skipped);
    let cases = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_owned(),
                c["token"].as_str().expect("token").to_owned(),
                c["valid"].as_bool().expect("valid"),
            )
        })
        .collect();
    (keys, cases)
}

fn validate(token: &str, keys: &KeySet) -> Result<()> {
    let decoded = jwt::decode(token, 16384, AlgorithmSet::all())?;
    jwt::verify(&decoded, keys)?;
    let req = Requirements {
        issuer: "https://auth.example.com/".into(),
        audience: Some("https://mcp.example.com".into()),
        scopes: vec!["mcp:read".into()],
        clock_skew: 60,
        allow_bound: false,
    };
    claims::check(&decoded.claims, &req, NOW)
}

#[test]
fn vectors_verify_as_recorded() {
    let (keys, cases) = load();
    assert!(cases.len() >= 20);
    for (name, token, valid) in &cases {
        let outcome = validate(token, &keys);
        assert_eq!(outcome.is_ok(), *valid, "{name}: {outcome:?}");
    }
}

#[test]
fn any_changed_signature_or_payload_byte_is_refused() {
    let (keys, cases) = load();
    for (name, token, valid) in cases.iter().filter(|c| c.2) {
        assert!(*valid);
        let (signing_input, sig) = token.rsplit_once('.').expect("three segments");
        let mut sig_bytes = gopher_orch::b64::decode(sig.as_bytes()).expect("signature b64");
        for i in [0, sig_bytes.len() / 2, sig_bytes.len() - 1] {
            sig_bytes[i] ^= 0x01;
            let forged = format!("{signing_input}.{}", gopher_orch::b64::encode(&sig_bytes));
            let err = validate(&forged, &keys).expect_err(name);
            assert_eq!(err.code, ErrorCode::InvalidSignature, "{name} byte {i}");
            sig_bytes[i] ^= 0x01;
        }
        // Re-encode the payload with one claim changed: the signature no longer covers it.
        let (header, payload) = signing_input.split_once('.').expect("header.payload");
        let claims = gopher_orch::b64::decode(payload.as_bytes()).expect("payload b64");
        let changed = String::from_utf8(claims)
            .expect("utf8")
            .replace("user-1", "user-2");
        let forged = format!(
            "{header}.{}.{sig}",
            gopher_orch::b64::encode(changed.as_bytes())
        );
        assert_eq!(
            validate(&forged, &keys).expect_err(name).code,
            ErrorCode::InvalidSignature,
            "{name}"
        );
    }
}

#[test]
fn allow_list_narrows_the_rsa_algorithms() {
    let (keys, cases) = load();
    let only_rs256 = AlgorithmSet::parse("RS256").expect("alg list");
    for (name, token, _) in cases
        .iter()
        .filter(|c| c.0.starts_with("PS") || c.0.starts_with("RS"))
    {
        let decoded = jwt::decode(token, 16384, only_rs256);
        assert_eq!(decoded.is_ok(), name.starts_with("RS256"), "{name}");
        if let Ok(d) = decoded {
            assert!(jwt::verify(&d, &keys).is_ok(), "{name}");
        }
    }
}
