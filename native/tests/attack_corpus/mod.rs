//! Reading `tests/data/corpus.json` (a copy of `shared/attack-corpus/corpus.json`), shared by
//! the corpus tests of the safe core (`corpus.rs`) and of the C ABI (`corpus_capi.rs`).
#![allow(dead_code)]

use serde_json::Value;

pub fn load_corpus() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).expect("corpus.json is JSON")
}

/// Expands a case's `token`: a string, or `{"generate": [part…]}` where a part is a string or
/// `{"repeat": S, "count": N}`.
pub fn expand_token(token: &Value) -> String {
    match token {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let parts = o
                .get("generate")
                .and_then(Value::as_array)
                .expect("generate is a list");
            let mut out = String::new();
            for part in parts {
                match part {
                    Value::String(s) => out.push_str(s),
                    Value::Object(r) => {
                        let s = r
                            .get("repeat")
                            .and_then(Value::as_str)
                            .expect("repeat is a string");
                        let n = r
                            .get("count")
                            .and_then(Value::as_u64)
                            .expect("count is a number");
                        out.push_str(&s.repeat(usize::try_from(n).expect("count fits usize")));
                    }
                    other => panic!("unexpected generate part {other}"),
                }
            }
            out
        }
        other => panic!("unexpected token form {other}"),
    }
}
