//! ES512 (ECDSA P-521 with SHA-512) cases beyond the shared attack corpus, which predates it
//! (tests/data/es512_vectors.json, minted by tests/data/gen_es512_vectors.py with Python
//! `cryptography`): through the JOSE core and through the C ABI, each token twice (the second
//! verdict from the token cache), and with ES512 left out of `allowed_algorithms`.

use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

use gopher_orch::alg::AlgorithmSet;
use gopher_orch::capi::client::*;
use gopher_orch::capi::lifecycle::*;
use gopher_orch::capi::options::*;
use gopher_orch::capi::validate::*;
use gopher_orch::claims::{self, Requirements};
use gopher_orch::error::Result;
use gopher_orch::jwk::KeySet;
use gopher_orch::jwt;
use serde_json::Value;

const NOW: i64 = 1_767_225_600;
const ISSUER: &str = "https://auth.example.com/";
const AUDIENCE: &str = "https://mcp.example.com";

fn load() -> (String, Vec<(String, String, bool)>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/es512_vectors.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vectors file")).expect("JSON");
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
    (doc["jwks"].to_string(), cases)
}

fn core_verdict(token: &str, keys: &KeySet, allowed: AlgorithmSet) -> Result<()> {
    let decoded = jwt::decode(token, 16384, allowed)?;
    jwt::verify(&decoded, keys)?;
    let req = Requirements {
        issuer: ISSUER.into(),
        audience: Some(AUDIENCE.into()),
        scopes: vec!["mcp:read".into()],
        clock_skew: 60,
        allow_bound: false,
    };
    claims::check(&decoded.claims, &req, NOW)
}

#[test]
fn es512_vectors_through_the_jose_core() {
    let (jwks, cases) = load();
    let keys = KeySet::parse(jwks.as_bytes()).expect("JWKS");
    assert!(keys.skipped.is_empty(), "{:?}", keys.skipped);
    assert_eq!(keys.keys.len(), 3, "the P-521 keys are usable");
    assert!(cases.len() >= 12 && cases.iter().filter(|c| c.2).count() >= 3);
    for (name, token, valid) in &cases {
        let outcome = core_verdict(token, &keys, AlgorithmSet::all());
        assert_eq!(outcome.is_ok(), *valid, "{name}: {outcome:?}");
    }
    let without = AlgorithmSet::parse("RS256,ES256,ES384,EdDSA").unwrap();
    for (name, token, _) in &cases {
        assert!(core_verdict(token, &keys, without).is_err(), "{name}");
    }
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

#[test]
fn es512_vectors_through_the_c_abi() {
    let (jwks, cases) = load();
    assert_eq!(gopher_auth_init(), 0);
    let mut client = null_mut();
    assert_eq!(
        gopher_auth_client_create(&mut client, c("").as_ptr(), c(ISSUER).as_ptr()),
        0
    );
    assert_eq!(gopher_auth_client_load_jwks(client, c(&jwks).as_ptr()), 0);
    let mut options = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut options), 0);
    assert_eq!(
        gopher_auth_validation_options_set_audience(options, c(AUDIENCE).as_ptr()),
        0
    );
    assert_eq!(
        gopher_auth_validation_options_set_scopes(options, c("mcp:read").as_ptr()),
        0
    );
    assert_eq!(gopher_auth_validation_options_set_time(options, NOW), 0);
    let verdict = |token: &str| {
        let mut r = GopherAuthValidationResult {
            valid: false,
            error_code: 1,
            error_message: null(),
        };
        let code = gopher_auth_validate_token(client, c(token).as_ptr(), options, &mut r);
        let message = if r.error_message.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(r.error_message) }
                .to_string_lossy()
                .into_owned()
        };
        (code, message)
    };
    for (name, token, valid) in &cases {
        for round in 0..2 {
            let (code, message) = verdict(token);
            assert_eq!(
                code == 0,
                *valid,
                "{name} (round {round}): {code} {message}"
            );
        }
    }
    assert_eq!(
        gopher_auth_client_set_option(
            client,
            c("allowed_algorithms").as_ptr(),
            c("ES256,ES384").as_ptr()
        ),
        0
    );
    for (name, token, _) in &cases {
        assert_ne!(verdict(token).0, 0, "{name} with ES512 not allowed");
    }
    assert_eq!(gopher_auth_validation_options_destroy(options), 0);
    assert_eq!(gopher_auth_client_destroy(client), 0);
}
