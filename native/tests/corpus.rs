//! Runs every case of the attack corpus (`tests/data/corpus.json`, a copy of
//! `shared/attack-corpus/corpus.json`) through the safe core — `jwt::decode` → `jwt::verify` →
//! `claims::check` — with the case's `required_checks` and the policy's allowed algorithms, and
//! requires every verdict to match `expected`. The tokens were minted by a different JOSE
//! implementation (Python); nothing here knows case names.

use gopher_orch::alg::AlgorithmSet;
use gopher_orch::claims::{self, Requirements};
use gopher_orch::crypto;
use gopher_orch::error::Result;
use gopher_orch::jwk::KeySet;
use gopher_orch::jwt;
use serde_json::Value;

mod attack_corpus;
use attack_corpus::{expand_token, load_corpus};

fn requirements(checks: &Value) -> (Requirements, i64) {
    let scopes = checks["required_scopes"]
        .as_array()
        .expect("required_scopes is a list")
        .iter()
        .map(|s| s.as_str().expect("scope is a string").to_owned())
        .collect();
    let req = Requirements {
        issuer: checks["issuer"].as_str().expect("issuer").to_owned(),
        audience: checks["audience"]
            .as_str()
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        scopes,
        clock_skew: checks["clock_skew_s"].as_i64().expect("clock_skew_s"),
        allow_bound: false,
    };
    (req, checks["now"].as_i64().expect("now"))
}

/// The full validation, as the client does it, minus fetching and caching.
fn validate(
    token: &str,
    keys: &KeySet,
    allowed: AlgorithmSet,
    max_bytes: usize,
    req: &Requirements,
    now: i64,
) -> Result<()> {
    let decoded = jwt::decode(token, max_bytes, allowed)?;
    jwt::verify(&decoded, keys)?;
    claims::check(&decoded.claims, req, now)
}

#[test]
fn attack_corpus_verdicts_match() {
    let corpus = load_corpus();
    let policy = &corpus["policy"];
    let allowed_list: Vec<&str> = policy["allowed_algs"]
        .as_array()
        .expect("policy.allowed_algs")
        .iter()
        .map(|a| a.as_str().expect("alg name"))
        .collect();
    let allowed =
        AlgorithmSet::parse(&allowed_list.join(",")).expect("policy algorithms are supported");
    let max_bytes = policy["max_token_bytes"]
        .as_u64()
        .map_or(16384, |v| v as usize);
    assert_eq!(max_bytes, 16384);

    let jwks = serde_json::to_vec(&corpus["jwks"]).expect("jwks serializes");
    let keys = KeySet::parse(&jwks).expect("the corpus JWKS loads");
    assert!(!keys.is_empty(), "the corpus JWKS has usable keys");
    println!(
        "corpus JWKS: {} usable keys, {} skipped",
        keys.len(),
        keys.skipped.len()
    );
    for reason in &keys.skipped {
        println!("  {reason}");
    }

    let cases = corpus["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    let mut mismatches = Vec::new();
    let mut integrity = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("case name");
        let token = expand_token(&case["token"]);
        let want_len = case["token_len"].as_u64().expect("token_len") as usize;
        let want_sha = case["token_sha256"].as_str().expect("token_sha256");
        let got_sha = crypto::hex(&crypto::sha256(token.as_bytes()));
        if token.len() != want_len || got_sha != want_sha {
            integrity.push(format!("{name}: expanded token has {} bytes / sha256 {got_sha}, corpus says {want_len} / {want_sha}", token.len()));
            continue;
        }
        let (req, now) = requirements(&case["required_checks"]);
        let outcome = validate(&token, &keys, allowed, max_bytes, &req, now);
        let expected_valid = match case["expected"].as_str() {
            Some("valid") => true,
            Some("invalid") => false,
            other => panic!("{name}: unexpected expected value {other:?}"),
        };
        let verdict = match &outcome {
            Ok(()) => "valid".to_string(),
            Err(e) => format!("invalid ({:?}: {})", e.code, e.message),
        };
        if std::env::var_os("CORPUS_VERBOSE").is_some() {
            println!("  {name}: {verdict}");
        }
        if outcome.is_ok() != expected_valid {
            mismatches.push(format!(
                "{name}: expected {}, got {verdict}",
                case["expected"].as_str().unwrap_or("?")
            ));
        }
        // Error messages stay bounded whatever the token held.
        if let Err(e) = &outcome {
            assert!(
                e.message.len() <= 512,
                "{name}: error message of {} bytes",
                e.message.len()
            );
        }
    }
    let total = cases.len();
    let passed = total - mismatches.len() - integrity.len();
    println!("attack corpus: {passed}/{total} verdicts match");
    for m in integrity.iter().chain(mismatches.iter()) {
        println!("  MISMATCH {m}");
    }
    assert!(
        integrity.is_empty(),
        "{} cases did not expand to their recorded token",
        integrity.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {total} verdicts differ from the corpus",
        mismatches.len()
    );
}
