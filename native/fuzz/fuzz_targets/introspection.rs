//! Arbitrary bytes as an RFC 7662 introspection response: parsing and the claim checks that
//! follow must never panic, messages stay bounded, and a response is taken as active only if
//! it is a JSON object whose `active` member is the boolean `true`.
#![no_main]

use gopher_orch::claims::{self, RequirementsRef};
use gopher_orch::introspection::response::{parse, Outcome};
use gopher_orch::policy::ClaimPolicy;
use libfuzzer_sys::fuzz_target;

const ISSUER: &str = "https://auth.example.com/";

fuzz_target!(|data: &[u8]| {
    match parse(data, ISSUER) {
        Ok(Outcome::Active(found)) => {
            let doc: serde_json::Value = serde_json::from_slice(data).expect("accepted => JSON");
            assert_eq!(doc["active"], serde_json::Value::Bool(true), "not active: true");
            let audiences = ["https://mcp.example.com".to_owned()];
            let scopes = ["mcp:read".to_owned()];
            for optional in [false, true] {
                let req = RequirementsRef {
                    issuer: ISSUER,
                    audiences: &audiences,
                    scopes: &scopes,
                    clock_skew: 60,
                    allow_bound: false,
                    policy: ClaimPolicy::default_ref(),
                    exp_optional: optional,
                    audience_optional: optional,
                };
                if let Err(e) = claims::check_full(&found, req, 1_767_225_600) {
                    assert!(e.message.len() <= 512, "unbounded claim message");
                }
            }
        }
        Ok(Outcome::Refused(e)) => assert!(e.message.len() <= 512, "unbounded refusal"),
        Err(e) => assert!(e.message.len() <= 1024, "unbounded message"),
    }
});
