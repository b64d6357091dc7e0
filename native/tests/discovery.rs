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

mod through_the_client {
    use super::*;
    use gopher_orch::client::Client;
    use gopher_orch::options::ValidationOptions;
    use support::{jwks, TestKey, AUDIENCE};

    fn options() -> ValidationOptions {
        let mut o = ValidationOptions::default();
        o.set_audience(AUDIENCE).unwrap();
        o
    }

    fn token(key: &TestKey, iss: &str) -> String {
        key.token_with(&key.kid, iss, support::now() + 600, "", "alice")
    }

    #[test]
    fn an_issuer_without_jwks_uri_is_discovered_once() {
        let key = TestKey::new("k", 31);
        let server = JwksServer::start(Behavior::Status(404));
        let issuer = format!("http://127.0.0.1:{}/realms/mcp", server.port);
        server.set(Behavior::Routes(vec![
            (
                "/realms/mcp/.well-known/openid-configuration".into(),
                doc(&issuer, &format!("{issuer}/certs")),
            ),
            ("/realms/mcp/certs".into(), jwks(&[&key])),
        ]));
        let c = Client::new("", &issuer).unwrap();
        c.discover_issuer(&issuer).unwrap();
        assert_eq!(server.requests(), 0, "nothing fetched at configuration");
        // Unknown issuers cost nothing, even before any discovery.
        for i in 0..20 {
            let e = c
                .validate(
                    &token(&key, &format!("https://evil-{i}.example")),
                    &options(),
                )
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidIssuer);
        }
        assert_eq!(server.requests(), 0);
        c.validate(&token(&key, &issuer), &options()).unwrap();
        assert_eq!(server.requests(), 2, "metadata, then keys");
        c.validate(&token(&TestKey::new("k", 31), &issuer), &options())
            .unwrap();
        assert_eq!(server.requests(), 2);
        // A second, discovered issuer on the same client keeps its own keys.
        let other = format!("http://127.0.0.1:{}/realms/other", server.port);
        c.discover_issuer(&other).unwrap();
        let e = c.validate(&token(&key, &other), &options()).unwrap_err();
        assert_eq!(e.code, ErrorCode::JwksFetchFailed, "{}", e.message);
    }

    #[test]
    fn the_last_discovered_jwks_uri_serves_while_the_metadata_is_down() {
        // Like keys during an outage: once discovered, the jwks_uri stays in use when a later
        // rediscovery fails, so a key rotation is still picked up from the known address; a
        // metadata document that now names another issuer is never papered over.
        let (a, b) = (TestKey::new("a", 34), TestKey::new("b", 35));
        let server = JwksServer::start(Behavior::Status(404));
        let issuer = format!("http://127.0.0.1:{}/realms/mcp", server.port);
        let metadata = "/realms/mcp/.well-known/openid-configuration".to_string();
        let certs = "/realms/mcp/certs".to_string();
        server.set(Behavior::Routes(vec![
            (metadata.clone(), doc(&issuer, &format!("{issuer}/certs"))),
            (certs.clone(), jwks(&[&a])),
        ]));
        let c = Client::new("", &issuer).unwrap();
        c.set_option("cache_duration", "1").unwrap();
        c.set_option("min_refresh_interval", "1").unwrap();
        c.discover_issuer(&issuer).unwrap();
        c.validate(&token(&a, &issuer), &options()).unwrap();
        assert_eq!(server.requests(), 2, "metadata, then keys");

        // The metadata is gone (404 at both locations); the keys rotated to b at the old address.
        server.set(Behavior::Routes(vec![(certs.clone(), jwks(&[&a, &b]))]));
        std::thread::sleep(std::time::Duration::from_millis(1100));
        c.validate(&token(&b, &issuer), &options())
            .expect("b is fetched from the last discovered jwks_uri");
        assert!(server.requests() > 2);

        // The metadata is back but names another issuer: nothing is taken from it. The key
        // of a token signed by a key published only now is never fetched from its jwks_uri.
        server.set(Behavior::Routes(vec![
            (
                metadata,
                doc(&format!("{issuer}/"), &format!("{issuer}/other-certs")),
            ),
            (
                "/realms/mcp/other-certs".into(),
                jwks(&[&a, &b, &TestKey::new("c", 36)]),
            ),
            (certs, jwks(&[&a, &b])),
        ]));
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let c_key = TestKey::new("c", 36);
        let e = c.validate(&token(&c_key, &issuer), &options()).unwrap_err();
        assert!(
            matches!(e.code, ErrorCode::InvalidConfig | ErrorCode::InvalidKey),
            "{:?} {}",
            e.code,
            e.message
        );
        c.validate(&token(&b, &issuer), &options())
            .expect("the keys already trusted stay in use");
    }

    #[test]
    fn a_metadata_issuer_mismatch_is_a_configuration_error_naming_both() {
        let key = TestKey::new("k", 32);
        let server = JwksServer::start(Behavior::Status(404));
        let issuer = format!("http://127.0.0.1:{}", server.port);
        server.set(Behavior::Routes(vec![
            (
                "/.well-known/openid-configuration".into(),
                doc(&format!("{issuer}/"), &format!("{issuer}/jwks")),
            ),
            ("/jwks".into(), jwks(&[&key])),
        ]));
        let c = Client::new("", &issuer).unwrap();
        c.discover_issuer(&issuer).unwrap();
        let e = c.validate(&token(&key, &issuer), &options()).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert!(
            e.message.contains(&format!("\"{issuer}/\""))
                && e.message.contains(&format!("\"{issuer}\"")),
            "{}",
            e.message
        );
    }

    #[test]
    fn discovery_configuration_errors() {
        let key = TestKey::new("k", 33);
        let c = Client::new("", "https://static.example/").unwrap();
        c.load_jwks(&jwks(&[&key])).unwrap();
        assert_eq!(
            c.discover_issuer("https://static.example/")
                .unwrap_err()
                .code,
            ErrorCode::InvalidConfig,
            "has static keys"
        );
        let fetched = Client::new("https://idp.example/jwks", "https://idp.example/").unwrap();
        assert_eq!(
            fetched
                .discover_issuer("https://idp.example/")
                .unwrap_err()
                .code,
            ErrorCode::InvalidConfig,
            "has a jwks_uri"
        );
        for bad in ["", "not a url", "https://x/?q=1"] {
            assert_eq!(
                c.discover_issuer(bad).unwrap_err().code,
                ErrorCode::InvalidConfig,
                "{bad:?}"
            );
        }
    }
}
