//! Stable-toolchain counterparts of the cargo-fuzz targets (native/fuzz): bounded, seeded
//! random inputs for token parsing + verification, JWKS parsing, WWW-Authenticate rendering,
//! base64url and JSON. Each checks a property, not just "no panic":
//! - a mutated token is only ever accepted if it is byte-for-byte an original valid token;
//! - error messages stay bounded (≤ 512 bytes);
//! - accepted base64url is canonical (re-encodes to the same text);
//! - rendered headers hold no control characters and balanced quoted-strings.

#[path = "support/quotes.rs"]
mod quotes;

use gopher_orch::alg::{Algorithm, AlgorithmSet};
use gopher_orch::claims::{self, Requirements};
use gopher_orch::error::Result;
use gopher_orch::jwk::KeySet;
use gopher_orch::{b64, json, jwt, www_authenticate};
use serde_json::Value;

/// SplitMix64: a small deterministic generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn corpus() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("corpus")).expect("corpus JSON")
}

fn requirements() -> Requirements {
    Requirements {
        issuer: "https://auth.example.com/".into(),
        audience: Some("https://mcp.example.com".into()),
        scopes: vec!["mcp:read".into()],
        clock_skew: 60,
        allow_bound: false,
    }
}

fn validate(token: &str, keys: &KeySet) -> Result<()> {
    let decoded = jwt::decode(token, 16384, AlgorithmSet::all())?;
    jwt::verify(&decoded, keys)?;
    claims::check(&decoded.claims, &requirements(), 1_767_225_600)
}

/// Characters a mutation may insert: the alphabet, separators, padding, whitespace, the
/// standard-base64 extras and some non-ASCII.
const INSERTS: &[&str] = &[
    "A", "z", "0", "-", "_", ".", "=", "+", "/", " ", "\n", "\0", "é", "€", "\u{feff}", "e",
];

fn mutate(rng: &mut Rng, token: &str) -> String {
    let mut chars: Vec<String> = token.chars().map(String::from).collect();
    for _ in 0..=rng.below(3) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 if at < chars.len() => chars[at] = (*rng.pick(INSERTS)).to_string(),
            1 => chars.insert(at, (*rng.pick(INSERTS)).to_string()),
            2 if at < chars.len() => {
                chars.remove(at);
            }
            3 => chars.truncate(at),
            4 => {
                // Swap the token's segments around.
                let s: String = chars.concat();
                let mut parts: Vec<&str> = s.split('.').collect();
                let (i, j) = (rng.below(parts.len()), rng.below(parts.len()));
                parts.swap(i, j);
                chars = parts.join(".").chars().map(String::from).collect();
            }
            _ if at < chars.len() => {
                // Flip a base64url character to a neighbouring one.
                let c = chars[at].chars().next().unwrap_or('A');
                let flipped = char::from_u32(u32::from(c) ^ 1).unwrap_or('A');
                chars[at] = flipped.to_string();
            }
            _ => {}
        }
    }
    chars.concat()
}

#[test]
fn mutated_tokens_are_never_accepted_and_never_panic() {
    let corpus = corpus();
    let keys = KeySet::parse(corpus["jwks"].to_string().as_bytes()).expect("corpus JWKS");
    let originals: Vec<&str> = corpus["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter_map(|c| c["token"].as_str())
        .collect();
    let valid: Vec<&str> = originals
        .iter()
        .copied()
        .filter(|t| validate(t, &keys).is_ok())
        .collect();
    assert!(valid.len() >= 10, "the corpus has valid tokens to mutate");
    let mut rng = Rng(0x5eed_0001);
    let mut accepted = 0;
    for _ in 0..2000 {
        let base = if rng.below(2) == 0 {
            *rng.pick(&valid)
        } else {
            *rng.pick(&originals)
        };
        let token = mutate(&mut rng, base);
        match validate(&token, &keys) {
            Ok(()) => {
                assert!(
                    valid.contains(&token.as_str()),
                    "a mutated token was accepted: {token}"
                );
                accepted += 1;
            }
            Err(e) => assert!(
                e.message.len() <= 512,
                "message of {} bytes",
                e.message.len()
            ),
        }
        let _ = jwt::decode_unverified_claims(&token, 16384);
    }
    // Some mutations are no-ops (e.g. swapping a segment with itself); they must stay valid.
    println!("{accepted} no-op mutations re-validated");
}

fn random_json(rng: &mut Rng, depth: usize) -> String {
    const NAMES: &[&str] = &[
        "alg", "kid", "typ", "crit", "jku", "jwk", "x5c", "cty", "b64", "exp", "iss", "aud",
        "scope", "scp", "nbf", "iat", "kty", "crv", "n", "e", "x", "y", "use", "key_ops", "keys",
    ];
    const SCALARS: &[&str] = &[
        "\"RS256\"",
        "\"ES256\"",
        "\"EdDSA\"",
        "\"none\"",
        "\"HS256\"",
        "\"at+jwt\"",
        "\"JWT\"",
        "\"rs256-a\"",
        "\"es256-a\"",
        "\"RSA\"",
        "\"EC\"",
        "\"OKP\"",
        "\"P-256\"",
        "\"Ed25519\"",
        "\"AQAB\"",
        "\"sig\"",
        "1767228900",
        "1e308",
        "-0",
        "0.5",
        "true",
        "null",
        "\"\"",
        "\"\\ud800\"",
        "\"https://auth.example.com/\"",
        "\"https://mcp.example.com\"",
        "\"mcp:read\"",
    ];
    if depth == 0 || rng.below(3) == 0 {
        return (*rng.pick(SCALARS)).to_string();
    }
    if rng.below(4) == 0 {
        let items: Vec<String> = (0..rng.below(4))
            .map(|_| random_json(rng, depth - 1))
            .collect();
        return format!("[{}]", items.join(","));
    }
    let members: Vec<String> = (0..rng.below(6))
        .map(|_| format!("\"{}\":{}", rng.pick(NAMES), random_json(rng, depth - 1)))
        .collect();
    format!("{{{}}}", members.join(","))
}

#[test]
fn random_structured_tokens_never_verify() {
    let corpus = corpus();
    let keys = KeySet::parse(corpus["jwks"].to_string().as_bytes()).expect("corpus JWKS");
    let mut rng = Rng(0x5eed_0002);
    for _ in 0..2500 {
        let header = random_json(&mut rng, 2);
        let payload = random_json(&mut rng, 3);
        let sig: Vec<u8> = (0..*rng.pick(&[0usize, 64, 96, 256, 512]))
            .map(|_| rng.next() as u8)
            .collect();
        let token = format!(
            "{}.{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(payload.as_bytes()),
            b64::encode(&sig)
        );
        match validate(&token, &keys) {
            Ok(()) => panic!("a random signature verified: {header} / {payload}"),
            Err(e) => assert!(e.message.len() <= 512),
        }
    }
}

#[test]
fn random_and_mutated_jwks_never_panic() {
    let corpus = corpus();
    let text = corpus["jwks"].to_string();
    let mut rng = Rng(0x5eed_0003);
    for i in 0..1500 {
        let doc = if i % 2 == 0 {
            mutate(&mut rng, &text)
        } else {
            format!(
                "{{\"keys\":[{},{}]}}",
                random_json(&mut rng, 2),
                random_json(&mut rng, 1)
            )
        };
        if let Ok(set) = KeySet::parse(doc.as_bytes()) {
            assert!(set.keys.len() <= gopher_orch::jwk::MAX_KEYS);
            for key in &set.keys {
                for alg in Algorithm::ALL {
                    assert!(!key.verify(alg, doc.as_bytes(), &[0x5a; 256]));
                }
            }
        }
    }
}

#[test]
fn www_authenticate_random_params() {
    const PIECES: &[&str] = &[
        "a",
        "Z",
        " ",
        "\"",
        "\\",
        ",",
        "=",
        "\r",
        "\n",
        "\t",
        "\0",
        "\u{7f}",
        "é",
        "\u{85}",
        "invalid_token",
        "https://x/y",
    ];
    let mut rng = Rng(0x5eed_0004);
    for _ in 0..20_000 {
        let mut params: Vec<Option<String>> = Vec::new();
        for _ in 0..5 {
            params.push(match rng.below(3) {
                0 => None,
                _ => Some((0..rng.below(6)).map(|_| *rng.pick(PIECES)).collect()),
            });
        }
        let p = |i: usize| params[i].as_deref();
        let has_ctl = params
            .iter()
            .flatten()
            .any(|s| s.bytes().any(|b| b < 0x20 || b == 0x7f));
        match www_authenticate::render(p(0), p(1), p(2), p(3), p(4)) {
            Ok(v) => {
                assert!(!has_ctl);
                assert!(v == "Bearer" || v.starts_with("Bearer "));
                assert!(!v.bytes().any(|b| b < 0x20 || b == 0x7f));
                let quotes = quotes::unescaped_quotes(&v);
                assert_eq!(quotes % 2, 0, "{v:?}");
                let present = params.iter().flatten().filter(|s| !s.is_empty()).count();
                assert_eq!(quotes, 2 * present, "{v:?}");
            }
            Err(e) => assert_eq!(e.code, gopher_orch::error::ErrorCode::InvalidParameter),
        }
    }
}

#[test]
fn base64url_accepts_only_canonical_text() {
    const ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .";
    let mut rng = Rng(0x5eed_0005);
    for _ in 0..50_000 {
        let text: Vec<u8> = (0..rng.below(12)).map(|_| *rng.pick(ALPHABET)).collect();
        if let Ok(bytes) = b64::decode(&text) {
            assert_eq!(
                b64::encode(&bytes).as_bytes(),
                &text[..],
                "non-canonical text accepted"
            );
        }
        let data: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
        assert_eq!(
            b64::decode(b64::encode(&data).as_bytes()).expect("round trip"),
            data
        );
    }
}

#[test]
fn json_parser_is_consistent() {
    let mut rng = Rng(0x5eed_0006);
    for _ in 0..20_000 {
        let text = random_json(&mut rng, 4);
        if let Ok(v) = json::parse(text.as_bytes()) {
            let again = json::parse(v.to_string().as_bytes()).expect("re-serialized JSON parses");
            assert_eq!(v, again);
        }
        let mutated = mutate(&mut rng, &text);
        let _ = json::parse(mutated.as_bytes());
    }
}

#[test]
fn random_introspection_responses_are_active_only_with_boolean_true() {
    use gopher_orch::introspection::response::{parse, Outcome};
    const ACTIVE: &[&str] = &["true", "false", "\"true\"", "1", "null", "[true]", "{}"];
    let mut rng = Rng(0x5eed_0007);
    for i in 0..2000 {
        let body = match i % 3 {
            0 => random_json(&mut rng, 3),
            1 => {
                let rest = random_json(&mut rng, 2);
                let rest = rest.strip_prefix('{').map_or(String::from("}"), |r| {
                    if r == "}" {
                        r.to_owned()
                    } else {
                        format!(",{r}")
                    }
                });
                format!("{{\"active\":{}{rest}", rng.pick(ACTIVE))
            }
            _ => mutate(
                &mut rng,
                r#"{"active":true,"scope":"mcp:read","exp":1767228900}"#,
            ),
        };
        match parse(body.as_bytes(), "https://auth.example.com/") {
            Ok(Outcome::Active(_)) => {
                let doc: Value = serde_json::from_str(&body).expect("accepted => JSON");
                assert_eq!(doc["active"], Value::Bool(true), "{body}");
            }
            Ok(Outcome::Refused(e)) => assert!(e.message.len() <= 512),
            Err(e) => assert!(e.message.len() <= 1024),
        }
    }
}
