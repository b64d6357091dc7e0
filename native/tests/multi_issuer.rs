//! Several trusted issuers on one client: `iss` selects the issuer (exact bytes) before any
//! key lookup or fetch, unknown issuers cost no request, keys never cross issuers, and 8
//! threads validating tokens of several issuers get exact verdicts.

mod support;

use std::sync::Arc;
use std::thread;

use gopher_orch::client::Client;
use gopher_orch::error::ErrorCode;
use gopher_orch::options::ValidationOptions;
use support::{jwks, Behavior, JwksServer, TestKey, AUDIENCE};

const A: &str = "https://login.example.com/tenant-a/v2.0";
const B: &str = "https://sts.example.net/tenant-a/";
const C: &str = "https://idp.example.org/realms/mcp";

fn options() -> ValidationOptions {
    let mut o = ValidationOptions::default();
    o.set_audience(AUDIENCE).unwrap();
    o.set_scopes("mcp:read").unwrap();
    o
}

fn token(key: &TestKey, kid: &str, iss: &str) -> String {
    key.token_with(kid, iss, support::now() + 3600, "mcp:read", "alice")
}

fn code(c: &Client, t: &str) -> Option<ErrorCode> {
    c.validate(t, &options()).err().map(|e| e.code)
}

#[test]
fn each_issuer_uses_only_its_own_keys() {
    // Same kid in both issuers' key sets, different keys.
    let (ka, kb) = (TestKey::new("k", 1), TestKey::new("k", 2));
    let c = Client::new("", A).unwrap();
    c.load_jwks(&jwks(&[&ka])).unwrap();
    c.add_issuer(B, "").unwrap();
    c.load_issuer_jwks(B, &jwks(&[&kb])).unwrap();
    assert_eq!(c.issuers(), vec![A.to_owned(), B.to_owned()]);
    assert_eq!(code(&c, &token(&ka, "k", A)), None);
    assert_eq!(code(&c, &token(&kb, "k", B)), None);
    // A's key signing a token that claims B (and the reverse) never verifies.
    assert_eq!(
        code(&c, &token(&ka, "k", B)),
        Some(ErrorCode::InvalidSignature)
    );
    assert_eq!(
        code(&c, &token(&kb, "k", A)),
        Some(ErrorCode::InvalidSignature)
    );
    // Twice: the cached verdicts keep the issuer they were verified under.
    for _ in 0..2 {
        assert_eq!(code(&c, &token(&ka, "k", A)), None);
        assert_eq!(
            code(&c, &token(&ka, "k", B)),
            Some(ErrorCode::InvalidSignature)
        );
    }
    // Replacing B's keys invalidates B's cached tokens, not A's.
    let tb = token(&kb, "k", B);
    let ta = token(&ka, "k", A);
    assert_eq!((code(&c, &tb), code(&c, &ta)), (None, None));
    c.load_issuer_jwks(B, &jwks(&[&TestKey::new("k", 3)]))
        .unwrap();
    assert_eq!(code(&c, &tb), Some(ErrorCode::InvalidSignature));
    assert_eq!(code(&c, &ta), None);
}

#[test]
fn issuer_configuration_errors() {
    let c = Client::new("", A).unwrap();
    for (issuer, uri) in [("", ""), (A, ""), (B, "ftp://x/jwks")] {
        let e = c.add_issuer(issuer, uri).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig, "{issuer:?} {uri:?}");
    }
    assert!(c.add_issuer(&"x".repeat(2049), "").is_err());
    let e = c
        .load_issuer_jwks(C, &jwks(&[&TestKey::new("k", 1)]))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidConfig);
    assert!(e.message.contains("not trusted"), "{}", e.message);
    for i in 1..gopher_orch::client::MAX_ISSUERS {
        c.add_issuer(&format!("https://issuer-{i}.example"), "")
            .unwrap();
    }
    assert_eq!(
        c.add_issuer("https://one-too-many.example", "")
            .unwrap_err()
            .code,
        ErrorCode::InvalidConfig
    );
}

#[test]
fn unknown_issuers_cost_no_request() {
    let key = TestKey::new("k", 5);
    let sa = JwksServer::start(Behavior::Serve(jwks(&[&key])));
    let sb = JwksServer::start(Behavior::Serve(jwks(&[&key])));
    let c = Client::new(&sa.url(), A).unwrap();
    c.add_issuer(B, &sb.url()).unwrap();
    c.set_option("min_refresh_interval", "0").unwrap();
    // A flood of tokens naming other issuers (random kids, some near-misses of A and B).
    for i in 0..300 {
        let iss = match i % 4 {
            0 => format!("https://evil-{i}.example"),
            1 => format!("{A}/"),
            2 => B.trim_end_matches('/').to_owned(),
            _ => A.to_uppercase(),
        };
        let t = token(&key, &format!("kid-{i}"), &iss);
        assert_eq!(code(&c, &t), Some(ErrorCode::InvalidIssuer), "{iss}");
    }
    let no_iss = key.sign_payload(
        "k",
        &format!(r#"{{"aud":"{AUDIENCE}","exp":{}}}"#, support::now() + 60),
    );
    assert_eq!(code(&c, &no_iss), Some(ErrorCode::InvalidToken));
    let bad_iss = key.sign_payload(
        "k",
        &format!(
            r#"{{"iss":["{A}"],"aud":"{AUDIENCE}","exp":{}}}"#,
            support::now() + 60
        ),
    );
    assert_eq!(code(&c, &bad_iss), Some(ErrorCode::InvalidToken));
    assert_eq!((sa.requests(), sb.requests()), (0, 0), "no network request");
    let e = c
        .validate(&token(&key, "k", "https://evil.example"), &options())
        .unwrap_err();
    assert!(
        e.message.contains("one of 1 other trusted issuer") && e.message.contains("evil"),
        "{}",
        e.message
    );
    // A known issuer fetches its own keys only.
    assert_eq!(code(&c, &token(&key, "k", B)), None);
    assert_eq!((sa.requests(), sb.requests()), (0, 1));
}

#[test]
fn eight_threads_with_several_issuers_get_exact_verdicts() {
    let keys = [
        TestKey::new("k", 11),
        TestKey::new("k", 12),
        TestKey::new("k", 13),
    ];
    let issuers = [A, B, C];
    let servers: Vec<JwksServer> = keys
        .iter()
        .map(|k| JwksServer::start(Behavior::Serve(jwks(&[k]))))
        .collect();
    let client = Arc::new(Client::new(&servers[0].url(), A).unwrap());
    client.add_issuer(B, &servers[1].url()).unwrap();
    client.add_issuer(C, &servers[2].url()).unwrap();
    // For each (key i, issuer j): valid iff i == j.
    let mut cases: Vec<(String, bool)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        for (j, iss) in issuers.iter().enumerate() {
            cases.push((token(key, "k", iss), i == j));
        }
        cases.push((token(key, "k", "https://unknown.example"), false));
    }
    let cases = Arc::new(cases);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let (client, cases) = (client.clone(), cases.clone());
            thread::spawn(move || {
                let o = options();
                for round in 0..200 {
                    let (t, valid) = &cases[(w + round) % cases.len()];
                    let verdict = client.validate(t, &o);
                    assert_eq!(
                        verdict.is_ok(),
                        *valid,
                        "worker {w} round {round}: {verdict:?}"
                    );
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    for s in &servers {
        assert_eq!(s.requests(), 1, "each issuer's keys fetched once");
    }
}
