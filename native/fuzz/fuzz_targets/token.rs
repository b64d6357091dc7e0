//! Arbitrary bytes as a token: decode → verify (corpus JWKS) → claims::check must never panic,
//! and every error message stays bounded.
#![no_main]

use gopher_orch::alg::AlgorithmSet;
use gopher_orch::claims::{self, Requirements};
use gopher_orch::jwk::KeySet;
use gopher_orch::jwt;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let corpus: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/corpus.json"))
                .expect("corpus JSON");
        KeySet::parse(corpus["jwks"].to_string().as_bytes()).expect("corpus JWKS")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let req = Requirements {
        issuer: "https://auth.example.com/".into(),
        audience: Some("https://mcp.example.com".into()),
        scopes: vec!["mcp:read".into()],
        clock_skew: 60,
    };
    let _ = jwt::decode_unverified_claims(token, 16384);
    let result = jwt::decode(token, 16384, AlgorithmSet::all()).and_then(|decoded| {
        jwt::verify(&decoded, keys())?;
        claims::check(&decoded.claims, &req, 1_767_225_600)
    });
    if let Err(e) = result {
        assert!(
            e.message.len() <= 512,
            "unbounded error message ({} bytes)",
            e.message.len()
        );
    }
});
