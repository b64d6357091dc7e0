//! Shared helpers of the measurement binaries: the corpus and a min/median timer.

use std::hint::black_box;
use std::time::Instant;

/// The attack corpus (its JWKS and valid tokens are the measured inputs).
pub fn corpus() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/corpus.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("corpus.json")).expect("corpus JSON")
}

/// The token of a named corpus case.
pub fn token(corpus: &serde_json::Value, name: &str) -> String {
    corpus["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["name"] == name))
        .and_then(|c| c["token"].as_str())
        .expect("case")
        .to_owned()
}

/// The JWK with this kid.
pub fn jwk(corpus: &serde_json::Value, kid: &str) -> serde_json::Value {
    corpus["jwks"]["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .expect("kid")
        .clone()
}

/// Min and median µs per call over `samples` short batches of `batch` calls. Short batches
/// dodge preemption on a shared machine; the min is the stable statistic there.
pub fn time_us(samples: usize, batch: usize, mut f: impl FnMut() -> bool) -> (f64, f64) {
    assert!(f(), "the measured operation must succeed");
    let mut v: Vec<f64> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                black_box(f());
            }
            t.elapsed().as_nanos() as f64 / batch as f64 / 1000.0
        })
        .collect();
    v.sort_by(f64::total_cmp);
    (v[0], v[v.len() / 2])
}
