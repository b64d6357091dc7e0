//! Arbitrary bytes as a token: decode → verify (corpus JWKS) → claims::check must never panic,
//! and every error message stays bounded. The claim policy also runs on the unverified claims
//! (random bytes rarely carry a valid signature), so the token-kind rules (payload typ,
//! token_use, nonce/at_hash, cnf), scope-token filtering and client id sources are reached.
#![no_main]

use gopher_orch::alg::AlgorithmSet;
use gopher_orch::claims::{self, Requirements};
use gopher_orch::jwk::KeySet;
use gopher_orch::jwt;
use gopher_orch::policy::ClaimPolicy;
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

/// A non-default claim policy: another audience claim, dotted scope paths, a required claim.
fn policy() -> &'static ClaimPolicy {
    static POLICY: OnceLock<ClaimPolicy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let mut p = ClaimPolicy::default();
        p.set_audience_claim("audience_claim", "client_id")
            .expect("valid");
        p.set_scope_claims(
            "scope_claims",
            "scope,scp,roles,permissions,realm_access.roles,resource_access.mcp.roles",
        )
        .expect("valid");
        p.set_required_claims("required_claims", r#"{"token_use":"access"}"#)
            .expect("valid");
        p
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
        allow_bound: false,
    };
    if let Ok(unverified) = jwt::decode_unverified_claims(token, 16384) {
        for allow_bound in [false, true] {
            let req = Requirements {
                allow_bound,
                ..req.clone()
            };
            if let Err(e) = claims::check(&unverified, &req, 1_767_225_600) {
                assert!(e.message.len() <= 512, "unbounded claim message");
            }
        }
        assert!(unverified.scopes.iter().all(|s| claims::is_scope_token(s)));
        let audiences = ["https://mcp.example.com".to_owned(), "app".to_owned()];
        let scopes = ["mcp:read".to_owned()];
        let policy_req = claims::RequirementsRef {
            issuer: "https://auth.example.com/",
            audiences: &audiences,
            scopes: &scopes,
            clock_skew: 60,
            allow_bound: false,
            policy: policy(),
            exp_optional: false,
            audience_optional: false,
        };
        match claims::check_full(&unverified, policy_req, 1_767_225_600) {
            Ok(Some(granted)) => assert!(granted.iter().all(|s| claims::is_scope_token(s))),
            Ok(None) => {}
            Err(e) => assert!(e.message.len() <= 512, "unbounded policy message"),
        }
    }
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
