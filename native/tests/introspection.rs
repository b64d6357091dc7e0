//! Opaque tokens by RFC 7662 introspection against a real loopback endpoint: the request
//! (form, client authentication), the verdict under the JWT claim policy, every failure of the
//! endpoint as a 503-class verdict (never inactive, never active), the cache (positive,
//! negative, TTL, bound), single-flight under 8 threads, the concurrency cap and rate limit,
//! kept-alive connections, the modes, discovery of the endpoint, and the secret kept out of
//! every message.

#[path = "support/introspection_stub.rs"]
mod stub;
mod support;

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use gopher_orch::client::Client;
use gopher_orch::error::ErrorCode;
use gopher_orch::options::ValidationOptions;
use stub::{form_value, IntrospectionStub, Reply};
use support::{jwks, TestKey, AUDIENCE, ISSUER};

const SECRET: &str = "s3cr3t-Value:with&odd=chars";
const TOKEN: &str = "opaque-token-0123456789";

fn active_body(extra: &str) -> String {
    format!(
        r#"{{"active":true,"sub":"alice","client_id":"mcp-client","scope":"mcp:read mcp:write",
            "aud":"{AUDIENCE}","iss":"{ISSUER}","exp":{},"token_type":"Bearer"{extra}}}"#,
        support::now() + 3600
    )
}

fn options() -> ValidationOptions {
    let mut o = ValidationOptions::default();
    o.set_audience(AUDIENCE).unwrap();
    o.set_scopes("mcp:read").unwrap();
    o
}

fn client_for(stub: &IntrospectionStub) -> Client {
    let c = Client::new("", ISSUER).unwrap();
    c.set_introspection(&stub.url(), "resource-server", SECRET)
        .unwrap();
    c
}

fn code(c: &Client, token: &str) -> Option<ErrorCode> {
    c.validate_verdict(token, &options()).err().map(|e| e.code)
}

#[test]
fn an_active_token_is_accepted_with_its_claims() {
    let stub = IntrospectionStub::replying(Reply::Json(active_body("")));
    let c = client_for(&stub);
    let v = c.validate_verdict(TOKEN, &options()).unwrap();
    assert_eq!(v.claims.subject.as_deref(), Some("alice"));
    assert_eq!(v.claims.client_id.as_deref(), Some("mcp-client"));
    assert_eq!(v.scopes(), ["mcp:read", "mcp:write"]);
    assert!(v.claims.raw().get("active").is_none());
    let r = &stub.requests()[0];
    assert_eq!(form_value(&r.form, "token").as_deref(), Some(TOKEN));
    assert_eq!(
        form_value(&r.form, "token_type_hint").as_deref(),
        Some("access_token")
    );
    assert!(form_value(&r.form, "client_secret").is_none());
    // client_secret_basic: form-encoded id and secret (RFC 6749 §2.3.1), standard base64.
    use base64::Engine;
    let basic = r
        .authorization
        .as_deref()
        .unwrap()
        .strip_prefix("Basic ")
        .unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic)
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "resource-server:s3cr3t-Value%3Awith%26odd%3Dchars"
    );
}

#[test]
fn client_secret_post_sends_the_credentials_in_the_form() {
    let stub = IntrospectionStub::replying(Reply::Json(active_body("")));
    let c = client_for(&stub);
    c.set_option("introspection_auth_method", "client_secret_post")
        .unwrap();
    assert_eq!(code(&c, TOKEN), None);
    let r = &stub.requests()[0];
    assert!(r.authorization.is_none());
    assert_eq!(
        form_value(&r.form, "client_id").as_deref(),
        Some("resource-server")
    );
    assert_eq!(
        form_value(&r.form, "client_secret").as_deref(),
        Some(SECRET)
    );
}

#[test]
fn endpoint_failures_are_503_class_never_inactive_and_never_cached() {
    let cases: Vec<(Reply, ErrorCode)> = vec![
        (Reply::Status(500), ErrorCode::JwksFetchFailed),
        (Reply::Status(503), ErrorCode::JwksFetchFailed),
        (Reply::Status(401), ErrorCode::JwksFetchFailed),
        (Reply::Reset, ErrorCode::JwksFetchFailed),
        (Reply::Garbage, ErrorCode::JwksFetchFailed),
        (Reply::Huge, ErrorCode::JwksFetchFailed),
        (
            Reply::Slow(
                Duration::from_secs(3),
                Box::new(Reply::Json(active_body(""))),
            ),
            ErrorCode::NetworkError,
        ),
    ];
    for (reply, expected) in cases {
        let stub = IntrospectionStub::replying(reply);
        let c = client_for(&stub);
        c.set_option("request_timeout", "1").unwrap();
        let e = c.validate_verdict(TOKEN, &options()).err().unwrap();
        assert_eq!(e.code, expected, "{}", e.message);
        assert!(
            !e.message.contains(SECRET) && !e.message.contains(TOKEN),
            "{}",
            e.message
        );
        // Not cached: the next validation asks again.
        let before = stub.request_count();
        let _ = c.validate_verdict(TOKEN, &options());
        assert_eq!(stub.request_count(), before + 1, "{expected:?}");
        assert_eq!(c.introspector().cached(), 0);
    }
    // Nobody listening.
    let c = Client::new("", ISSUER).unwrap();
    c.set_introspection(
        &format!("http://127.0.0.1:{}/introspect", support::closed_port()),
        "rs",
        SECRET,
    )
    .unwrap();
    assert_eq!(code(&c, TOKEN), Some(ErrorCode::NetworkError));
}

#[test]
fn the_answer_is_checked_like_a_jwt() {
    let now = support::now();
    let cases = [
        (r#"{"active":"true"}"#.to_owned(), ErrorCode::InvalidToken),
        (r#"{"sub":"alice"}"#.to_owned(), ErrorCode::InvalidToken),
        (r#"{"active":false}"#.to_owned(), ErrorCode::InvalidToken),
        (
            format!(
                r#"{{"active":true,"aud":"{AUDIENCE}","scope":"mcp:read","exp":{}}}"#,
                now - 600
            ),
            ErrorCode::ExpiredToken,
        ),
        (
            format!(
                r#"{{"active":true,"aud":"{AUDIENCE}","scope":"mcp:read","exp":{},"iss":"https://evil.example"}}"#,
                now + 600
            ),
            ErrorCode::InvalidIssuer,
        ),
        (
            format!(
                r#"{{"active":true,"aud":"https://other.example","scope":"mcp:read","exp":{}}}"#,
                now + 600
            ),
            ErrorCode::InvalidAudience,
        ),
        (
            format!(
                r#"{{"active":true,"scope":"mcp:read","exp":{}}}"#,
                now + 600
            ),
            ErrorCode::InvalidToken,
        ),
        (
            format!(r#"{{"active":true,"aud":"{AUDIENCE}","scope":"mcp:read"}}"#),
            ErrorCode::InvalidToken,
        ),
        (
            format!(
                r#"{{"active":true,"aud":"{AUDIENCE}","scope":"other","exp":{}}}"#,
                now + 600
            ),
            ErrorCode::InsufficientScope,
        ),
        (
            format!(
                r#"{{"active":true,"aud":"{AUDIENCE}","scope":"mcp:read","exp":{},"token_type":"refresh_token"}}"#,
                now + 600
            ),
            ErrorCode::InvalidToken,
        ),
        (
            format!(
                r#"{{"active":true,"aud":"{AUDIENCE}","scope":"mcp:read","exp":{},"cnf":{{"jkt":"x"}}}}"#,
                now + 600
            ),
            ErrorCode::InvalidToken,
        ),
    ];
    for (body, expected) in cases {
        let stub = IntrospectionStub::replying(Reply::Json(body.clone()));
        let c = client_for(&stub);
        assert_eq!(code(&c, TOKEN), Some(expected), "{body}");
    }
    // Opt-outs for a server that omits exp or the audience; a present audience still counts.
    let stub =
        IntrospectionStub::replying(Reply::Json(r#"{"active":true,"scope":"mcp:read"}"#.into()));
    let c = client_for(&stub);
    c.set_option("introspection_require_exp", "false").unwrap();
    c.set_option("introspection_require_audience", "false")
        .unwrap();
    assert_eq!(code(&c, TOKEN), None);
    stub.set(|_| {
        Reply::Json(r#"{"active":true,"scope":"mcp:read","aud":"https://other.example"}"#.into())
    });
    assert_eq!(code(&c, "another-token"), Some(ErrorCode::InvalidAudience));
}

#[test]
fn answers_are_cached_by_token_hash_for_their_ttl() {
    let stub = IntrospectionStub::replying(Reply::Json(active_body("")));
    let c = client_for(&stub);
    let mut o = options();
    let now = support::now();
    o.set_time(now).unwrap();
    for _ in 0..5 {
        c.validate_verdict(TOKEN, &o).unwrap();
    }
    assert_eq!(stub.request_count(), 1);
    // Past the default 60 s TTL the server is asked again; a revocation shows then.
    stub.set(|_| Reply::Json(r#"{"active":false}"#.into()));
    o.set_time(now + 59).unwrap();
    assert!(c.validate_verdict(TOKEN, &o).is_ok());
    o.set_time(now + 61).unwrap();
    assert_eq!(
        c.validate_verdict(TOKEN, &o).err().unwrap().code,
        ErrorCode::InvalidToken
    );
    assert_eq!(stub.request_count(), 2);
    // Negative answers live 5 s.
    o.set_time(now + 64).unwrap();
    assert!(c.validate_verdict(TOKEN, &o).is_err());
    assert_eq!(stub.request_count(), 2);
    o.set_time(now + 67).unwrap();
    assert!(c.validate_verdict(TOKEN, &o).is_err());
    assert_eq!(stub.request_count(), 3);
    // TTL 0: every validation asks.
    c.set_option("introspection_cache_ttl", "0").unwrap();
    c.set_option("introspection_negative_cache_ttl", "0")
        .unwrap();
    stub.set(|_| Reply::Json(active_body("")));
    c.validate_verdict("fresh-token", &options()).unwrap();
    c.validate_verdict("fresh-token", &options()).unwrap();
    assert_eq!(stub.request_count(), 5);
}

#[test]
fn a_positive_answer_dies_with_the_tokens_exp() {
    let now = support::now();
    let body = format!(
        r#"{{"active":true,"aud":"{AUDIENCE}","scope":"mcp:read","exp":{}}}"#,
        now + 10
    );
    let stub = IntrospectionStub::replying(Reply::Json(body));
    let c = client_for(&stub);
    let mut o = options();
    o.set_time(now).unwrap();
    c.validate_verdict(TOKEN, &o).unwrap();
    o.set_time(now + 11).unwrap();
    o.set_clock_skew(0).unwrap();
    assert_eq!(
        c.validate_verdict(TOKEN, &o).err().unwrap().code,
        ErrorCode::ExpiredToken
    );
    assert_eq!(stub.request_count(), 2, "the cached answer ended at exp");
}

#[test]
fn the_cache_is_bounded() {
    let stub = IntrospectionStub::replying(Reply::Json(active_body("")));
    let c = client_for(&stub);
    c.set_option("introspection_cache_size", "3").unwrap();
    c.set_option("introspection_rate_limit", "0").unwrap();
    for i in 0..40 {
        c.validate_verdict(&format!("token-{i}"), &options())
            .unwrap();
        assert!(c.introspector().cached() <= 3);
    }
}

#[test]
fn eight_threads_with_one_uncached_token_make_one_request() {
    let stub = IntrospectionStub::replying(Reply::Slow(
        Duration::from_millis(400),
        Box::new(Reply::Json(active_body(""))),
    ));
    let c = Arc::new(client_for(&stub));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (c, barrier) = (c.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                c.validate_verdict(TOKEN, &options())
                    .map(|v| v.claims.subject.clone())
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().unwrap().as_deref(), Some("alice"));
    }
    assert_eq!(stub.request_count(), 1);
}

#[test]
fn the_rate_limit_and_the_concurrency_cap_answer_503_class_at_once() {
    let stub = IntrospectionStub::replying(Reply::Json(active_body("")));
    let c = client_for(&stub);
    c.set_option("introspection_rate_limit", "3").unwrap();
    let refused: Vec<ErrorCode> = (0..10)
        .filter_map(|i| code(&c, &format!("random-{i}")))
        .collect();
    assert!(!refused.is_empty() && refused.len() < 10, "{refused:?}");
    assert!(refused.iter().all(|&e| e == ErrorCode::NetworkError));
    assert!(stub.request_count() < 10);
    // Cached tokens are not limited.
    assert_eq!(code(&c, "random-0"), None);

    let slow = IntrospectionStub::replying(Reply::Slow(
        Duration::from_millis(500),
        Box::new(Reply::Json(active_body(""))),
    ));
    let c = Arc::new(client_for(&slow));
    c.set_option("introspection_max_concurrent", "1").unwrap();
    let barrier = Arc::new(Barrier::new(2));
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let (c, barrier) = (c.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                if i == 1 {
                    thread::sleep(Duration::from_millis(100));
                }
                code(&c, &format!("distinct-{i}"))
            })
        })
        .collect();
    let verdicts: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(verdicts, [None, Some(ErrorCode::NetworkError)]);
    assert_eq!(c.introspector().in_flight(), 0);
}

#[test]
fn connections_are_kept_alive() {
    let stub = IntrospectionStub::replying(Reply::Json(active_body("")));
    let c = client_for(&stub);
    for i in 0..5 {
        assert_eq!(code(&c, &format!("t-{i}")), None);
    }
    assert_eq!(stub.request_count(), 5);
    assert_eq!(stub.connections(), 1);
    c.set_option("introspection_keep_alive", "false").unwrap();
    for i in 5..8 {
        assert_eq!(code(&c, &format!("t-{i}")), None);
    }
    assert_eq!(stub.connections(), 4);
}

#[test]
fn modes_choose_which_tokens_are_introspected() {
    let key = TestKey::new("k1", 1);
    let jwt = key.token("mcp:read");
    let stub = IntrospectionStub::replying(Reply::Json(active_body("")));
    let c = client_for(&stub);
    c.load_jwks(&jwks(&[&key])).unwrap();
    assert_eq!(code(&c, &jwt), None);
    assert_eq!(
        stub.request_count(),
        0,
        "opaque mode: a JWT is verified locally"
    );
    assert_eq!(code(&c, TOKEN), None);
    assert_eq!(stub.request_count(), 1);
    c.set_option("introspection_mode", "always").unwrap();
    assert_eq!(code(&c, &jwt), None);
    assert_eq!(stub.request_count(), 2);
    c.set_option("introspection_mode", "never").unwrap();
    assert_eq!(code(&c, "never-seen"), Some(ErrorCode::InvalidToken));
    assert_eq!(stub.request_count(), 2);
    assert!(c.set_option("introspection_mode", "sometimes").is_err());
}

#[test]
fn the_endpoint_can_come_from_discovery() {
    let stub = IntrospectionStub::replying(Reply::Json("{}".into()));
    let idp = support::JwksServer::start(support::Behavior::Status(404));
    let issuer = format!("http://127.0.0.1:{}", idp.port);
    let doc = format!(
        r#"{{"issuer":"{issuer}","jwks_uri":"{issuer}/jwks","introspection_endpoint":"{}"}}"#,
        stub.url()
    );
    idp.set(support::Behavior::Routes(vec![(
        "/.well-known/openid-configuration".into(),
        doc,
    )]));
    let body = active_body("").replace(ISSUER, &issuer);
    stub.set(move |_| Reply::Json(body.clone()));
    let c = Client::new("", &issuer).unwrap();
    c.set_introspection("", "rs", SECRET).unwrap();
    assert_eq!(code(&c, TOKEN), None);
    assert_eq!(code(&c, "second-token"), None);
    assert_eq!(stub.request_count(), 2);
    assert_eq!(idp.requests(), 1, "the endpoint is discovered once");
}

#[test]
fn configuration_errors_never_quote_the_secret() {
    let c = Client::new("", ISSUER).unwrap();
    for (endpoint, id) in [("ftp://x/", "rs"), ("http://127.0.0.1/i", "")] {
        let e = c.set_introspection(endpoint, id, SECRET).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert!(!e.message.contains(SECRET), "{}", e.message);
    }
    let e = c
        .set_introspection("http://127.0.0.1/i", "rs", &"x".repeat(5000))
        .unwrap_err();
    assert!(!e.message.contains("xxxx"));
    let e = c
        .set_option("introspection_client_secret", SECRET)
        .unwrap_err();
    assert!(!e.message.contains(SECRET));
    assert_eq!(
        format!("{:?}", gopher_orch::introspection::Secret::new(SECRET)),
        "Secret(<redacted>)"
    );
}
