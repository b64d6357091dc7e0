//! Validation from 8 threads while another thread keeps swapping the key set.
//!
//! The check is exact despite the races: key A is in every set, so A's tokens are always
//! valid; key D is in no set and a token signed by B but naming kid "a" never verifies, so
//! those are always invalid; B's tokens are valid or INVALID_KEY-refused depending on the
//! set of the moment, and once the swapping stops their verdict follows the final set.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use gopher_orch::client::Client;
use gopher_orch::error::ErrorCode;
use gopher_orch::options::ValidationOptions;
use support::{jwks, Behavior, JwksServer, TestKey, AUDIENCE, ISSUER};

struct Tokens {
    a: String,
    b: String,
    d: String,
    b_as_a: String,
}

fn tokens() -> Tokens {
    let (a, b, d) = (
        TestKey::new("a", 1),
        TestKey::new("b", 2),
        TestKey::new("d", 4),
    );
    Tokens {
        a: a.token("mcp:read"),
        b: b.token("mcp:read"),
        d: d.token("mcp:read"),
        b_as_a: b.token_with("a", ISSUER, support::now() + 3600, "mcp:read", "mallory"),
    }
}

fn options() -> ValidationOptions {
    let mut o = ValidationOptions::default();
    o.set_audience(AUDIENCE).unwrap();
    o.set_scopes("mcp:read").unwrap();
    o
}

/// Runs 8 validating threads until `swapper` returns; returns the number of validations.
fn hammer(client: Arc<Client>, swapper: impl FnOnce() + Send + 'static) -> usize {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|i| {
            let (client, stop, count) = (client.clone(), stop.clone(), count.clone());
            thread::spawn(move || {
                let t = tokens();
                let o = options();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || n < 50 {
                    let verdict =
                        |tok: &str| client.validate(tok, &o).map(|_| ()).map_err(|e| e.code);
                    assert_eq!(verdict(&t.a), Ok(()), "thread {i}: key A is in every set");
                    let d = verdict(&t.d);
                    assert!(d.is_err(), "thread {i}: key D is in no set");
                    assert_eq!(
                        verdict(&t.b_as_a),
                        Err(ErrorCode::InvalidSignature),
                        "thread {i}"
                    );
                    let b = verdict(&t.b);
                    assert!(
                        matches!(b, Ok(()) | Err(ErrorCode::InvalidKey)),
                        "thread {i}: B gave {b:?}"
                    );
                    n += 1;
                }
                count.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    swapper();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("a validating thread failed");
    }
    count.load(Ordering::Relaxed)
}

fn run_static(cache_size: &str) {
    let (a, b, c) = (
        TestKey::new("a", 1),
        TestKey::new("b", 2),
        TestKey::new("c", 3),
    );
    let with_b = jwks(&[&a, &b]);
    let without_b = jwks(&[&c, &a]);
    let client = Arc::new(Client::new("", ISSUER).unwrap());
    client.set_option("token_cache_size", cache_size).unwrap();
    client.load_jwks(&with_b).unwrap();
    let swapping = client.clone();
    let n = hammer(client.clone(), move || {
        for i in 0..400 {
            swapping
                .load_jwks(if i % 2 == 0 { &without_b } else { &with_b })
                .unwrap();
            thread::sleep(Duration::from_micros(200));
        }
    });
    assert!(n >= 400);
    // The final set (index 399: with B) decides B's verdict now.
    let t = tokens();
    assert!(client.validate(&t.b, &options()).is_ok());
    client.load_jwks(&jwks(&[&a, &c])).unwrap();
    assert_eq!(
        client.validate(&t.b, &options()).unwrap_err().code,
        ErrorCode::InvalidKey
    );
    assert!(client.validate(&t.a, &options()).is_ok());
}

#[test]
fn static_key_swaps_with_the_token_cache() {
    run_static("10000");
}

#[test]
fn static_key_swaps_without_the_token_cache() {
    run_static("0");
}

#[test]
fn fetched_key_rotation_under_load() {
    let (a, b, c) = (
        TestKey::new("a", 1),
        TestKey::new("b", 2),
        TestKey::new("c", 3),
    );
    let with_b = jwks(&[&a, &b]);
    let without_b = jwks(&[&a, &c]);
    let server = Arc::new(JwksServer::start(Behavior::Serve(with_b.clone())));
    let client = Arc::new(Client::new(&server.url(), ISSUER).unwrap());
    for (k, v) in [
        ("request_timeout", "1"),
        ("min_refresh_interval", "0"),
        ("cache_duration", "1"),
    ] {
        client.set_option(k, v).unwrap();
    }
    let srv = server.clone();
    hammer(client.clone(), move || {
        for i in 0..30 {
            srv.set(Behavior::Serve(if i % 2 == 0 {
                without_b.clone()
            } else {
                with_b.clone()
            }));
            thread::sleep(Duration::from_millis(40));
        }
    });
    assert!(server.requests() >= 2, "the rotation was fetched");
}
