//! Arbitrary bytes as a JWK Set: KeySet::parse must never panic; every parsed key must survive
//! verification of garbage without panicking or accepting it.
#![no_main]

use gopher_orch::alg::Algorithm;
use gopher_orch::jwk::KeySet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(set) = KeySet::parse(data) else { return };
    assert!(set.keys.len() <= gopher_orch::jwk::MAX_KEYS);
    for key in &set.keys {
        for alg in Algorithm::ALL {
            let _ = key.permits(alg);
            assert!(!key.verify(alg, data, &data[..data.len().min(512)]));
        }
    }
    for kid in set.keys.iter().filter_map(|k| k.kid.as_deref()) {
        assert!(set.select(Some(kid)).is_some());
    }
});
