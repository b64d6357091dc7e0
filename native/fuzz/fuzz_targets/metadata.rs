//! Arbitrary bytes as an authorization-server metadata document (OIDC discovery / RFC 8414):
//! reading the issuer and jwks_uri must never panic, messages stay bounded, and an accepted
//! document always named exactly the configured issuer.
#![no_main]

use gopher_orch::discovery::jwks_uri_from;
use gopher_orch::fetch::JwksUrl;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const ISSUER: &str = "https://auth.example.com/";

fn url() -> &'static JwksUrl {
    static URL: OnceLock<JwksUrl> = OnceLock::new();
    URL.get_or_init(|| {
        JwksUrl::parse("https://auth.example.com/.well-known/openid-configuration").expect("url")
    })
}

fuzz_target!(|data: &[u8]| {
    match jwks_uri_from(data, ISSUER, url()) {
        Ok(_) => {
            let doc: serde_json::Value = serde_json::from_slice(data).expect("accepted => JSON");
            assert_eq!(
                doc["issuer"], ISSUER,
                "accepted a document for another issuer"
            );
        }
        Err(e) => assert!(e.message.len() <= 1024, "unbounded message"),
    }
});
