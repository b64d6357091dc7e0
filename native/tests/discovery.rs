//! Metadata discovery against a real loopback HTTP server: OpenID Connect Discovery first,
//! RFC 8414 (path-inserted) second, the document's issuer compared byte for byte, and the
//! JWKS transport rules (no redirects, https only except loopback).

mod support;

use std::time::Duration;

use gopher_orch::discovery::discover;
use gopher_orch::error::ErrorCode;
use gopher_orch::fetch::FetchSettings;
use support::{Behavior, JwksServer};

fn settings() -> FetchSettings {
    FetchSettings {
        timeout: Duration::from_secs(5),
        allow_insecure_http: false,
        max_bytes: 1 << 20,
        tls: None,
    }
}

fn doc(issuer: &str, jwks: &str) -> String {
    format!(r#"{{"issuer":"{issuer}","jwks_uri":"{jwks}","token_endpoint":"{issuer}/token"}}"#)
}

#[test]
fn openid_configuration_comes_first() {
    let server = JwksServer::start(Behavior::Status(404));
    let issuer = format!("http://127.0.0.1:{}/realms/mcp", server.port);
    let jwks = format!("{issuer}/protocol/openid-connect/certs");
    server.set(Behavior::Routes(vec![(
        "/realms/mcp/.well-known/openid-configuration".into(),
        doc(&issuer, &jwks),
    )]));
    assert_eq!(discover(&issuer, &settings(), None).unwrap().text, jwks);
    assert_eq!(server.requests(), 1);
}

#[test]
fn rfc8414_is_tried_with_the_path_inserted() {
    let server = JwksServer::start(Behavior::Status(404));
    let issuer = format!("http://127.0.0.1:{}/tenant-a", server.port);
    let jwks = format!("http://127.0.0.1:{}/keys", server.port);
    server.set(Behavior::Routes(vec![(
        "/.well-known/oauth-authorization-server/tenant-a".into(),
        doc(&issuer, &jwks),
    )]));
    assert_eq!(discover(&issuer, &settings(), None).unwrap().text, jwks);
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_document_for_another_issuer_names_both() {
    let server = JwksServer::start(Behavior::Status(404));
    let base = format!("http://127.0.0.1:{}", server.port);
    // The Auth0 mistake: configured without the trailing slash the IdP uses.
    server.set(Behavior::Routes(vec![(
        "/.well-known/openid-configuration".into(),
        doc(
            &format!("{base}/"),
            &format!("{base}/.well-known/jwks.json"),
        ),
    )]));
    let e = discover(&base, &settings(), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidConfig);
    assert!(
        e.message.contains(&format!("\"{base}/\"")) && e.message.contains(&format!("\"{base}\"")),
        "{}",
        e.message
    );
}

#[test]
fn transport_rules_apply() {
    let server = JwksServer::start(Behavior::Redirect("/elsewhere".into()));
    let issuer = format!("http://127.0.0.1:{}/r", server.port);
    let e = discover(&issuer, &settings(), None).unwrap_err();
    assert_ne!(e.code, ErrorCode::Success, "redirects are not followed");
    assert_eq!(
        server.requests(),
        2,
        "both locations tried, neither followed"
    );
    server.set(Behavior::Status(404));
    assert_eq!(
        discover(&issuer, &settings(), None).unwrap_err().code,
        ErrorCode::JwksFetchFailed
    );
    let e = discover("http://10.1.2.3/realms/x", &settings(), None).unwrap_err();
    assert_eq!(e.code, ErrorCode::JwksFetchFailed);
    assert!(e.message.contains("plain http"), "{}", e.message);
    server.set(Behavior::Serve("[1,2]".into()));
    assert_eq!(
        discover(&issuer, &settings(), None).unwrap_err().code,
        ErrorCode::JwksFetchFailed
    );
}
