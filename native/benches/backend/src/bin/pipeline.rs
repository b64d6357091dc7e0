//! The engine's safe-core validation (decode → verify → claims::check) against its own raw
//! signature verification of the same token (Key::verify on pre-decoded bytes).

use gopher_orch::alg::AlgorithmSet;
use gopher_orch::claims::{self, Requirements};
use gopher_orch::jwk::KeySet;
use gopher_orch::{b64, jwt};
use gopher_orch_backend_bench::{corpus, time_us, token};
use std::hint::black_box;

fn main() {
    let c = corpus();
    let keys = KeySet::parse(c["jwks"].to_string().as_bytes()).expect("corpus JWKS");
    let req = Requirements {
        issuer: "https://auth.example.com/".into(),
        audience: Some("https://mcp.example.com".into()),
        scopes: vec!["mcp:read".into()],
        clock_skew: 60,
    };
    let now = 1_767_225_600;
    let allowed = AlgorithmSet::all();
    for case in ["valid_rs256", "valid_ps256", "valid_es256", "valid_es384", "valid_eddsa"] {
        let tok = token(&c, case);
        let (input, sig) = tok.rsplit_once('.').expect("three segments");
        let sig = b64::decode(sig.as_bytes()).expect("signature");
        let decoded = jwt::decode(&tok, 16384, allowed).expect("decodes");
        let key = jwt::verify(&decoded, &keys).expect("verifies");
        let alg = decoded.alg;
        let batch = if case.contains("384") { 4 } else { 20 };
        let raw = time_us(300, batch, || key.verify(alg, input.as_bytes(), &sig));
        let full = time_us(300, batch, || {
            let Ok(d) = jwt::decode(black_box(&tok), 16384, allowed) else { return false };
            jwt::verify(&d, &keys).is_ok() && claims::check(&d.claims, &req, now).is_ok()
        });
        let decode = time_us(300, batch, || jwt::decode(black_box(&tok), 16384, allowed).is_ok());
        println!(
            "{case:12} raw verify {:7.2} µs | full validation {:7.2} µs | ratio {:.3} | decode alone {:5.2} µs (mins)",
            raw.0, full.0, full.0 / raw.0, decode.0
        );
    }
}
