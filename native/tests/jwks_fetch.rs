//! JWKS fetching through the safe `Client` against a real loopback HTTP server.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use gopher_orch::client::Client;
use gopher_orch::error::ErrorCode;
use gopher_orch::options::ValidationOptions;
use support::{jwks, Behavior, JwksServer, TestKey, AUDIENCE, ISSUER};

fn options() -> ValidationOptions {
    let mut o = ValidationOptions::default();
    o.set_audience(AUDIENCE).unwrap();
    o
}

/// A client of `server` with short waits (every test stays fast).
fn client(url: &str) -> Client {
    let c = Client::new(url, ISSUER).unwrap();
    c.set_option("request_timeout", "1").unwrap();
    c.set_option("min_refresh_interval", "1").unwrap();
    c
}

fn code(c: &Client, token: &str) -> ErrorCode {
    match c.validate(token, &options()) {
        Ok(_) => ErrorCode::Success,
        Err(e) => e.code,
    }
}

/// Waits (bounded) until `cond` holds; the bound only prevents a hang.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "timed out waiting for: {what}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn fetches_once_and_caches() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    assert_eq!(server.requests(), 0, "keys are fetched lazily");
    let token = a.token("mcp:read");
    let claims = c.validate(&token, &options()).unwrap();
    assert_eq!(claims.subject.as_deref(), Some("alice"));
    for _ in 0..20 {
        c.validate(&a.token("mcp:read"), &options()).unwrap();
    }
    assert_eq!(server.requests(), 1);
    // A forged signature is refused without another fetch.
    let mut forged = token.clone();
    forged.truncate(forged.len() - 4);
    forged.push_str("AAAA");
    assert_ne!(code(&c, &forged), ErrorCode::Success);
    assert_eq!(server.requests(), 1);
}

#[test]
fn chunked_responses_are_read() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Chunked(jwks(&[&a])));
    let c = client(&server.url());
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
}

#[test]
fn rotation_is_picked_up_through_an_unknown_kid() {
    let (a, b) = (TestKey::new("a", 1), TestKey::new("b", 2));
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    c.set_option("min_refresh_interval", "0").unwrap();
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
    server.set(Behavior::Serve(jwks(&[&b])));
    assert_eq!(
        code(&c, &b.token("")),
        ErrorCode::Success,
        "unknown kid b → one refetch"
    );
    assert_eq!(server.requests(), 2);
    // Key a is gone from the set: its (cached) token is no longer accepted.
    assert_ne!(code(&c, &a.token("")), ErrorCode::Success);
}

#[test]
fn rotation_is_picked_up_after_the_cache_expires() {
    let (a, b) = (TestKey::new("a", 1), TestKey::new("b", 2));
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    c.set_option("auto_refresh", "false").unwrap();
    c.set_option("cache_duration", "1").unwrap();
    c.set_option("min_refresh_interval", "3600").unwrap(); // no unknown-kid shortcut
    let token_a = a.token("");
    assert_eq!(code(&c, &token_a), ErrorCode::Success);
    server.set(Behavior::Serve(jwks(&[&b])));
    // Lazy refresh: a validation after expiry triggers it without waiting for it.
    eventually("the lazy refresh replaces key a by key b", || {
        let _ = c.validate(&token_a, &options());
        code(&c, &b.token("")) == ErrorCode::Success
    });
    assert_ne!(
        code(&c, &token_a),
        ErrorCode::Success,
        "a token of a dropped key dies with it"
    );
}

#[test]
fn a_cached_token_alone_triggers_the_lazy_refresh_and_dies_with_its_key() {
    // Only the one cached token arrives (an MCP client re-sending its token): the cache hits
    // must still notice stale keys, or a key dropped by the IdP stays trusted until exp.
    let (a, b) = (TestKey::new("a", 1), TestKey::new("b", 2));
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    c.set_option("auto_refresh", "false").unwrap();
    c.set_option("cache_duration", "1").unwrap();
    let token_a = a.token("");
    assert_eq!(code(&c, &token_a), ErrorCode::Success);
    assert_eq!(c.cached_tokens(), 1);
    server.set(Behavior::Serve(jwks(&[&b])));
    eventually("the dropped key's cached token is refused", || {
        code(&c, &token_a) != ErrorCode::Success
    });
}

#[test]
fn auto_refresh_fetches_in_the_background_and_stops_on_drop() {
    let (a, b) = (TestKey::new("a", 1), TestKey::new("b", 2));
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    c.set_option("cache_duration", "1").unwrap();
    c.set_option("min_refresh_interval", "3600").unwrap();
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
    assert!(c.key_store().background_running());
    server.set(Behavior::Serve(jwks(&[&b])));
    eventually("the background refresh fetched again", || {
        server.requests() >= 2
    });
    eventually("key b is in use", || {
        code(&c, &b.token("")) == ErrorCode::Success
    });
    let store = c.key_store().clone();
    let started = Instant::now();
    drop(c);
    assert!(
        !store.background_running(),
        "the refresher thread ended with the client"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "destroy does not hang"
    );
}

#[test]
fn destroy_interrupts_a_background_fetch_of_a_hanging_idp() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    c.set_option("request_timeout", "30").unwrap();
    c.set_option("cache_duration", "1").unwrap();
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
    server.set(Behavior::Hang);
    eventually("the background fetch is hanging", || server.requests() >= 2);
    let store = c.key_store().clone();
    let started = Instant::now();
    drop(c);
    assert!(!store.background_running());
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "destroy did not wait for the 30 s timeout"
    );
}

#[test]
fn a_flood_of_unknown_kids_fetches_at_most_once_per_interval() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = Arc::new(client(&server.url()));
    c.set_option("min_refresh_interval", "60").unwrap();
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
    assert_eq!(server.requests(), 1);
    let done = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (c, done) = (c.clone(), done.clone());
            thread::spawn(move || {
                let a = TestKey::new("a", 1);
                for i in 0..250 {
                    let token = a.token_with(
                        &format!("random-{t}-{i}-{}", i * 7919 % 1000),
                        ISSUER,
                        support::now() + 60,
                        "",
                        "x",
                    );
                    assert_ne!(code(&c, &token), ErrorCode::Success);
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(done.load(Ordering::SeqCst), 1000);
    assert!(
        server.requests() <= 2,
        "1000 unknown kids caused {} fetches",
        server.requests()
    );
    // Known tokens keep validating.
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
}

#[test]
fn keeps_the_last_good_keys_while_the_idp_is_down() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    c.set_option("cache_duration", "1").unwrap();
    c.set_option("token_cache_size", "0").unwrap(); // every validation really verifies
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
    for down in [Behavior::Status(503), Behavior::Hang, Behavior::Close] {
        server.set(down);
        let before = server.requests();
        eventually("a refresh was attempted", || {
            let _ = c.validate(&a.token(""), &options());
            server.requests() > before
        });
        for _ in 0..5 {
            assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
        }
    }
}

#[test]
fn a_key_set_without_usable_keys_does_not_replace_the_last_good_one() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url());
    c.set_option("cache_duration", "1").unwrap();
    c.set_option("token_cache_size", "0").unwrap(); // every validation really verifies
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
    let hmac_only = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"}]}"#;
    for unusable in [r#"{"keys":[]}"#, hmac_only] {
        server.set(Behavior::Serve(unusable.to_string()));
        let before = server.requests();
        eventually("a refresh fetched the unusable set", || {
            let _ = c.validate(&a.token(""), &options());
            server.requests() > before
        });
        for _ in 0..5 {
            assert_eq!(
                code(&c, &a.token("")),
                ErrorCode::Success,
                "after serving {unusable}"
            );
        }
    }
}

#[test]
fn a_first_fetch_without_usable_keys_fails_closed() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(r#"{"keys":[]}"#.to_string()));
    let c = client(&server.url());
    let err = c.validate(&a.token(""), &options()).unwrap_err();
    assert_eq!(err.code, ErrorCode::JwksFetchFailed);
    assert!(err.message.contains("no usable key"), "{}", err.message);
}

#[test]
fn no_reachable_idp_fails_closed_within_the_timeout() {
    let a = TestKey::new("a", 1);
    let url = format!("http://127.0.0.1:{}/jwks", support::closed_port());
    let c = client(&url);
    let started = Instant::now();
    let e = c.validate(&a.token(""), &options()).unwrap_err();
    assert!(
        matches!(e.code, ErrorCode::NetworkError | ErrorCode::JwksFetchFailed),
        "{e}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // Again (within the retry pause): the same error, at once, without a new attempt.
    let again = c.validate(&a.token(""), &options()).unwrap_err();
    assert_eq!(again.code, e.code);
}

#[test]
fn a_hanging_idp_fails_closed_within_the_timeout() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Hang);
    let c = Arc::new(client(&server.url()));
    let started = Instant::now();
    // Several first validations at once: one fetch, the others wait for it (bounded).
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let c = c.clone();
            let token = a.token("");
            thread::spawn(move || c.validate(&token, &options()).unwrap_err().code)
        })
        .collect();
    for t in threads {
        let code = t.join().unwrap();
        assert!(
            matches!(code, ErrorCode::NetworkError | ErrorCode::JwksFetchFailed),
            "{code:?}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 1, "one fetch in flight at a time");
}

#[test]
fn error_statuses_and_redirects_are_refused() {
    let a = TestKey::new("a", 1);
    for (behavior, needle) in [
        (Behavior::Status(500), "500"),
        (Behavior::Status(404), "404"),
        (Behavior::Redirect("/jwks2".into()), "302"),
    ] {
        let server = JwksServer::start(behavior);
        let c = client(&server.url());
        let e = c.validate(&a.token(""), &options()).unwrap_err();
        assert_eq!(e.code, ErrorCode::JwksFetchFailed, "{e}");
        assert!(e.message.contains(needle), "{e}");
        assert_eq!(server.requests(), 1, "the redirect was not followed");
    }
}

#[test]
fn oversized_and_malformed_jwks_are_refused() {
    let a = TestKey::new("a", 1);
    let huge_valid_json = format!(
        r#"{{"keys":[{}],"pad":"{}"}}"#,
        a.jwk(),
        "x".repeat(2 * 1024 * 1024)
    );
    for (behavior, needle) in [
        (Behavior::HugeDeclared, "larger than"),
        (Behavior::HugeStream, "larger than"),
        (Behavior::Serve(huge_valid_json), "larger than"),
        (Behavior::Serve("this is not json".into()), "not usable"),
        (Behavior::Serve(r#"{"keys":"#.into()), "not usable"),
        (Behavior::Serve(r#"{"no_keys":[]}"#.into()), "not usable"),
    ] {
        let server = JwksServer::start(behavior);
        let c = client(&server.url());
        let e = c.validate(&a.token(""), &options()).unwrap_err();
        assert_eq!(e.code, ErrorCode::JwksFetchFailed, "{e}");
        assert!(e.message.contains(needle), "{e}");
    }
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_allowed() {
    let a = TestKey::new("a", 1);
    // TEST-NET-1 (RFC 5737): nothing answers there; a connection attempt would time out.
    let c = client("http://192.0.2.1/jwks");
    let started = Instant::now();
    let e = c.validate(&a.token(""), &options()).unwrap_err();
    assert_eq!(e.code, ErrorCode::JwksFetchFailed);
    assert!(e.message.contains("allow_insecure_http"), "{e}");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "refused before connecting"
    );
    let c = client("http://192.0.2.1/jwks");
    c.set_option("allow_insecure_http", "true").unwrap();
    let e = c.validate(&a.token(""), &options()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NetworkError, "now it really tried: {e}");
}

#[test]
fn https_to_a_plain_http_server_fails_as_a_network_error() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&format!("https://127.0.0.1:{}/jwks", server.port));
    let e = c.validate(&a.token(""), &options()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NetworkError, "{e}");
}

#[test]
fn garbage_tokens_never_trigger_a_fetch() {
    let server = JwksServer::start(Behavior::Serve(jwks(&[&TestKey::new("a", 1)])));
    let c = client(&server.url());
    for t in ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.e30."] {
        assert_eq!(code(&c, t), ErrorCode::InvalidToken, "{t}");
    }
    assert_eq!(server.requests(), 0);
}

#[test]
fn unknown_kid_refetches_resume_after_the_interval() {
    let a = TestKey::new("a", 1);
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let c = client(&server.url()); // min_refresh_interval = 1 s
    assert_eq!(code(&c, &a.token("")), ErrorCode::Success);
    let unknown = |n: u32| {
        a.token_with(
            &format!("unknown-{n}"),
            ISSUER,
            support::now() + 60,
            "",
            "x",
        )
    };
    assert_eq!(code(&c, &unknown(1)), ErrorCode::InvalidKey);
    assert_eq!(server.requests(), 2, "the first unknown kid refetches");
    assert_eq!(code(&c, &unknown(2)), ErrorCode::InvalidKey);
    assert_eq!(server.requests(), 2, "within the interval: no refetch");
    thread::sleep(Duration::from_millis(1100));
    assert_eq!(code(&c, &unknown(3)), ErrorCode::InvalidKey);
    assert_eq!(server.requests(), 3, "after the interval: one more");
}
