//! Raw signature verification of the same corpus signatures: ring vs aws-lc-rs.

use gopher_orch_backend_bench::{corpus, jwk, time_us, token};

fn b64(s: &str) -> Vec<u8> {
    gopher_orch::b64::decode(s.as_bytes()).expect("base64url")
}

fn member(k: &serde_json::Value, name: &str) -> Vec<u8> {
    b64(k[name].as_str().expect("member"))
}

fn split(token: &str) -> (Vec<u8>, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').expect("three segments");
    (input.as_bytes().to_vec(), b64(sig))
}

fn report(name: &str, (min, med): (f64, f64)) {
    println!("{name:36} min {min:8.2} µs   median {med:8.2} µs");
}

fn main() {
    let c = corpus();
    let (samples, batch) = (300, 20);

    for (case, kid, ring_alg, lc_alg) in [
        ("valid_rs256", "rs256-a", &ring::signature::RSA_PKCS1_2048_8192_SHA256, &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256),
        ("valid_ps256", "ps256-a", &ring::signature::RSA_PSS_2048_8192_SHA256, &aws_lc_rs::signature::RSA_PSS_2048_8192_SHA256),
    ] {
        let (m, sig) = split(&token(&c, case));
        let k = jwk(&c, kid);
        let (n, e) = (member(&k, "n"), member(&k, "e"));
        let ring_key = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
        report(&format!("ring {case} (components)"), time_us(samples, batch, || ring_key.verify(ring_alg, &m, &sig).is_ok()));
        let lc_components = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e };
        report(&format!("aws-lc {case} (components)"), time_us(samples, batch, || lc_components.verify(lc_alg, &m, &sig).is_ok()));
        let parsed = lc_components.to_parsed_public_key(lc_alg).expect("RSA key");
        report(&format!("aws-lc {case} (ParsedPublicKey)"), time_us(samples, batch, || parsed.verify_sig(&m, &sig).is_ok()));
    }

    for (case, kid, ring_alg, lc_alg, batch) in [
        ("valid_es256", "es256-a", &ring::signature::ECDSA_P256_SHA256_FIXED, &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED, batch),
        ("valid_es384", "es384-a", &ring::signature::ECDSA_P384_SHA384_FIXED, &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED, 4),
    ] {
        let (m, sig) = split(&token(&c, case));
        let k = jwk(&c, kid);
        let mut point = vec![4u8];
        point.extend(member(&k, "x"));
        point.extend(member(&k, "y"));
        let ring_key = ring::signature::UnparsedPublicKey::new(ring_alg, &point);
        report(&format!("ring {case}"), time_us(samples, batch, || ring_key.verify(&m, &sig).is_ok()));
        let parsed = aws_lc_rs::signature::ParsedPublicKey::new(lc_alg, &point).expect("EC key");
        report(&format!("aws-lc {case} (ParsedPublicKey)"), time_us(samples, batch, || parsed.verify_sig(&m, &sig).is_ok()));
    }

    let (m, sig) = split(&token(&c, "valid_eddsa"));
    let x = member(&jwk(&c, "ed25519-a"), "x");
    let ring_key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &x);
    report("ring valid_eddsa", time_us(samples, batch, || ring_key.verify(&m, &sig).is_ok()));
    let parsed = aws_lc_rs::signature::ParsedPublicKey::new(&aws_lc_rs::signature::ED25519, &x).expect("Ed25519 key");
    report("aws-lc valid_eddsa (ParsedPublicKey)", time_us(samples, batch, || parsed.verify_sig(&m, &sig).is_ok()));
}
