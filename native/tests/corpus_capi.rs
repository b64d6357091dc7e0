//! The attack corpus once more, end to end through the C ABI (`load_jwks`, the client's
//! `allowed_algorithms`, validation options with the case's checks and fixed time), each token
//! validated twice: the second verdict may come from the verified-token cache and must be the
//! same. Valid tokens are also read back through `validate_and_extract`, and every token goes
//! through the (diagnostic) `extract_payload` without harm.
//!
//! (`corpus.rs` checks the JOSE core alone; this one checks the client pipeline around it.)

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::ptr::{null, null_mut};

use gopher_orch::capi::client::*;
use gopher_orch::capi::lifecycle::*;
use gopher_orch::capi::options::*;
use gopher_orch::capi::payload::*;
use gopher_orch::capi::validate::*;
use serde_json::Value;

mod attack_corpus;
use attack_corpus::{expand_token, load_corpus};

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn options_for(checks: &Value) -> *mut GopherAuthValidationOptions {
    let mut o = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut o), 0);
    let scopes: Vec<&str> = checks["required_scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        gopher_auth_validation_options_set_scopes(o, c(&scopes.join(" ")).as_ptr()),
        0
    );
    assert_eq!(
        gopher_auth_validation_options_set_audience(
            o,
            c(checks["audience"].as_str().unwrap_or("")).as_ptr()
        ),
        0
    );
    assert_eq!(
        gopher_auth_validation_options_set_clock_skew(o, checks["clock_skew_s"].as_i64().unwrap()),
        0
    );
    assert_eq!(
        gopher_auth_validation_options_set_time(o, checks["now"].as_i64().unwrap()),
        0
    );
    o
}

fn verdict(
    client: *mut GopherAuthClient,
    token: &CString,
    o: *const GopherAuthValidationOptions,
) -> (i32, String) {
    let mut r = GopherAuthValidationResult {
        valid: false,
        error_code: 1,
        error_message: null(),
    };
    let code = gopher_auth_validate_token(client, token.as_ptr(), o, &mut r);
    assert_eq!(code, r.error_code);
    assert_eq!(r.valid, code == 0);
    let message = if r.error_message.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(r.error_message) }
            .to_string_lossy()
            .into_owned()
    };
    assert!(message.len() <= 511);
    (code, message)
}

#[test]
fn attack_corpus_through_the_c_abi_with_the_token_cache() {
    let corpus = load_corpus();
    let algs: Vec<&str> = corpus["policy"]["allowed_algs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let jwks = c(&corpus["jwks"].to_string());
    assert_eq!(gopher_auth_init(), 0);

    let mut clients: HashMap<String, *mut GopherAuthClient> = HashMap::new();
    let mut mismatches = Vec::new();
    let cases = corpus["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let checks = &case["required_checks"];
        let issuer = checks["issuer"].as_str().unwrap().to_owned();
        let client = *clients.entry(issuer.clone()).or_insert_with(|| {
            let mut client = null_mut();
            assert_eq!(
                gopher_auth_client_create(&mut client, c("").as_ptr(), c(&issuer).as_ptr()),
                0
            );
            assert_eq!(
                gopher_auth_client_set_option(
                    client,
                    c("allowed_algorithms").as_ptr(),
                    c(&algs.join(",")).as_ptr()
                ),
                0
            );
            assert_eq!(gopher_auth_client_load_jwks(client, jwks.as_ptr()), 0);
            client
        });
        let token = c(&expand_token(&case["token"]));
        let o = options_for(checks);
        let first = verdict(client, &token, o);
        let second = verdict(client, &token, o);
        assert_eq!(
            first.0, second.0,
            "{name}: a repeated token changed its verdict"
        );
        let expected_valid = case["expected"] == "valid";
        if (first.0 == 0) != expected_valid {
            mismatches.push(format!(
                "{name}: expected {}, got {} {}",
                case["expected"], first.0, first.1
            ));
        }
        let mut r = GopherAuthValidationResult {
            valid: false,
            error_code: 1,
            error_message: null(),
        };
        let mut payload = null_mut();
        let code =
            gopher_auth_validate_and_extract(client, token.as_ptr(), o, &mut r, &mut payload);
        assert_eq!(code, first.0, "{name}");
        assert_eq!(payload.is_null(), code != 0, "{name}");
        if !payload.is_null() {
            let mut json = null_mut();
            assert_eq!(gopher_auth_payload_get_claims_json(payload, &mut json), 0);
            assert!(!json.is_null());
            gopher_auth_free_string(json);
            assert_eq!(gopher_auth_payload_destroy(payload), 0);
        }
        let mut unverified = null_mut();
        if gopher_auth_extract_payload(token.as_ptr(), &mut unverified) == 0 {
            let mut sub = null_mut();
            assert_eq!(gopher_auth_payload_get_subject(unverified, &mut sub), 0);
            gopher_auth_free_string(sub);
            assert_eq!(gopher_auth_payload_destroy(unverified), 0);
        } else {
            assert!(unverified.is_null());
        }
        assert_eq!(gopher_auth_validation_options_destroy(o), 0);
    }
    let valid = cases.iter().filter(|c| c["expected"] == "valid").count();
    // SAFETY: the handles are live clients created above.
    let cached: usize = clients
        .values()
        .map(|&cl| unsafe { &*cl }.cached_tokens())
        .sum();
    assert!(
        mismatches.is_empty(),
        "{} of {} verdicts differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
    assert_eq!(
        cached, valid,
        "every valid token is in the cache, so its second verdict came from there"
    );
    for client in clients.into_values() {
        assert_eq!(gopher_auth_client_destroy(client), 0);
    }
}
