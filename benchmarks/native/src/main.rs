//! gopher-orch native benchmark (issue "Native token engine", section Speed).
//!
//! For RS256, PS256, ES256 and EdDSA tokens signed with fresh throw-away keys, one run measures:
//!   (a) the raw signature verification by the crypto backend, called directly (key pre-parsed
//!       where the backend allows it) — for both aws-lc-rs and ring;
//!   (b) full validation through the C ABI (`gopher_auth_validate_token`; 12-key JWKS loaded with
//!       `gopher_auth_client_load_jwks`, `token_cache_size=0`, options with audience, scopes and a
//!       fixed time);
//!   (c) the same with the verified-token cache on (the same token again and again);
//!   (b5), (c5) the same as (b), (c) with a client trusting 5 issuers, the token's issuer added
//!       last (issue 11: target <= 1.05x the one-issuer time);
//! and reports medians, the ratio (b)/(a) against the engine's own backend (target <= 1.25),
//! (c) in µs (target < 3 µs), and (b5)/(b), (c5)/(c).
//!
//! Run: `cargo run --release --manifest-path benchmarks/native/Cargo.toml -- [--quick]`

mod b64;
mod capi;
mod harness;
mod mint;
mod raw;

// Links the engine; its #[no_mangle] extern "C" functions satisfy the declarations in capi.rs.
extern crate gopher_orch;

use std::ffi::CString;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use capi::{Client, Options};
use harness::{Case, Clock, Plan};
use mint::{Alg, Claims, Fixture};
use raw::{Backend, RawVerifier};

const ISSUER: &str = "https://idp.bench.example/realms/mcp";
const AUDIENCE: &str = "https://mcp.bench.example/mcp";
const SCOPES: &str = "mcp:read mcp:write";
const INSUFFICIENT_SCOPE: i32 = -1005;
const RS256_RATIO_TARGET: f64 = 1.25;
const CACHE_TARGET_US: f64 = 3.0;
const FIVE_ISSUERS_TARGET: f64 = 1.05;

/// The engine's manifest, read when this benchmark is compiled against it.
const ENGINE_MANIFEST: &str = include_str!("../../../native/Cargo.toml");

struct Args {
    plan: Plan,
    backend: Option<Backend>,
    /// `--profile LABEL N`: run only the cases whose label contains LABEL, N times each, untimed
    /// (for `perf record` / `valgrind --tool=callgrind`).
    profile: Option<(String, u64)>,
}

fn parse_args() -> Args {
    let mut plan = Plan {
        warmup: Duration::from_millis(300),
        batch: Duration::from_millis(10),
        rounds: 41,
        clock: Clock::ThreadCpu,
    };
    let mut backend = None;
    let mut profile = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--quick" => {
                plan = Plan {
                    warmup: Duration::from_millis(100),
                    batch: Duration::from_millis(4),
                    rounds: 11,
                    ..plan
                }
            }
            "--wall-clock" => plan.clock = Clock::Wall,
            "--rounds" => {
                plan.rounds = value("--rounds")
                    .parse()
                    .unwrap_or_else(|_| usage("--rounds takes a count"))
            }
            "--batch-ms" => {
                plan.batch = Duration::from_millis(
                    value("--batch-ms")
                        .parse()
                        .unwrap_or_else(|_| usage("--batch-ms takes ms")),
                )
            }
            "--backend" => {
                backend = Some(match value("--backend").as_str() {
                    "aws-lc-rs" => Backend::AwsLcRs,
                    "ring" => Backend::Ring,
                    other => usage(&format!("unknown backend '{other}' (aws-lc-rs or ring)")),
                })
            }
            "--profile" => {
                let label = value("--profile");
                let n = value("--profile")
                    .parse()
                    .unwrap_or_else(|_| usage("--profile LABEL N: N is a count"));
                profile = Some((label, n));
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument '{other}'")),
        }
    }
    Args {
        plan,
        backend,
        profile,
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("error: {problem}");
    }
    eprintln!("usage: gopher-orch-bench [--quick] [--wall-clock] [--rounds N] [--batch-ms MS] [--backend aws-lc-rs|ring] [--profile LABEL N]");
    std::process::exit(2)
}

/// The crypto crate named in the `[dependencies]` table of native/Cargo.toml.
fn engine_backend(manifest: &str) -> Option<Backend> {
    let mut in_deps = false;
    let mut found = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        let name = line.split(['=', ' ', '.']).next().unwrap_or("");
        match (in_deps, name) {
            (true, "aws-lc-rs") => found.push(Backend::AwsLcRs),
            (true, "ring") => found.push(Backend::Ring),
            _ => {}
        }
    }
    match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn fail(message: String) -> ! {
    eprintln!("benchmark setup failed: {message}");
    std::process::exit(1)
}

fn main() {
    let args = parse_args();
    let backend = args.backend.or_else(|| engine_backend(ENGINE_MANIFEST)).unwrap_or_else(|| {
        fail("cannot tell the engine's backend from native/Cargo.toml [dependencies]; pass --backend".into())
    });

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let started = Instant::now();
    let fixture = Fixture::generate(&Claims {
        issuer: ISSUER,
        audience: AUDIENCE,
        scopes: SCOPES,
        now,
    });
    let keygen = started.elapsed();

    capi::init().unwrap_or_else(|e| fail(e.0));
    let no_cache = Client::new(ISSUER).unwrap_or_else(|e| fail(e.0));
    no_cache
        .set_option("token_cache_size", "0")
        .unwrap_or_else(|e| fail(e.0));
    no_cache
        .load_jwks(&fixture.jwks_json)
        .unwrap_or_else(|e| fail(e.0));
    let cached = Client::new(ISSUER).unwrap_or_else(|e| fail(e.0));
    cached
        .set_option("token_cache_size", "10000")
        .unwrap_or_else(|e| fail(e.0));
    cached
        .load_jwks(&fixture.jwks_json)
        .unwrap_or_else(|e| fail(e.0));
    // Five trusted issuers, the tokens' own last (the longest issuer selection).
    let five = |cache_size: &str| {
        let client = Client::new("https://other-0.bench.example/").unwrap_or_else(|e| fail(e.0));
        client
            .set_option("token_cache_size", cache_size)
            .unwrap_or_else(|e| fail(e.0));
        client
            .load_jwks(&fixture.jwks_json)
            .unwrap_or_else(|e| fail(e.0));
        for i in 1..4 {
            client
                .add_static_issuer(
                    &format!("https://other-{i}.bench.example/"),
                    &fixture.jwks_json,
                )
                .unwrap_or_else(|e| fail(e.0));
        }
        client
            .add_static_issuer(ISSUER, &fixture.jwks_json)
            .unwrap_or_else(|e| fail(e.0));
        client
    };
    let no_cache5 = five("0");
    let cached5 = five("10000");
    let options = Options::new(AUDIENCE, SCOPES, 60, now).unwrap_or_else(|e| fail(e.0));
    let too_much =
        Options::new(AUDIENCE, "mcp:read mcp:admin", 60, now).unwrap_or_else(|e| fail(e.0));

    let tokens: Vec<CString> = fixture
        .tokens
        .iter()
        .map(|t| CString::new(t.compact.clone()).expect("no NUL"))
        .collect();
    sanity_checks(&fixture, &tokens, &no_cache, &cached, &options, &too_much);
    sanity_checks(&fixture, &tokens, &no_cache5, &cached5, &options, &too_much);

    let mut cases = Vec::new();
    for (token, c_token) in fixture.tokens.iter().zip(&tokens) {
        let (msg, sig) = (&token.signing_input[..], &token.signature[..]);
        let verifiers = [
            RawVerifier::aws_lc_parsed(token),
            RawVerifier::aws_lc_unparsed(token),
            RawVerifier::ring(token),
        ];
        for (label, v) in ["raw aws-lc-rs parsed", "raw aws-lc-rs unparsed", "raw ring"]
            .into_iter()
            .zip(verifiers)
        {
            cases.push(Case::new(
                format!("{} {label}", token.alg.name()),
                move || v.verify(msg, sig),
            ));
        }
        let (nc, ca, op) = (&no_cache, &cached, &options);
        cases.push(Case::new(
            format!("{} capi cache off", token.alg.name()),
            move || nc.validate(c_token, op) == 0,
        ));
        cases.push(Case::new(
            format!("{} capi cache on", token.alg.name()),
            move || ca.validate(c_token, op) == 0,
        ));
        cases.push(Case::new(
            format!("{} capi extract cache on", token.alg.name()),
            move || ca.validate_and_extract(c_token, op) == 0,
        ));
        let (nc5, ca5) = (&no_cache5, &cached5);
        cases.push(Case::new(
            format!("{} capi 5 issuers cache off", token.alg.name()),
            move || nc5.validate(c_token, op) == 0,
        ));
        cases.push(Case::new(
            format!("{} capi 5 issuers cache on", token.alg.name()),
            move || ca5.validate(c_token, op) == 0,
        ));
    }
    const PER_ALG: usize = 8;

    if let Some((label, n)) = &args.profile {
        for case in cases
            .iter_mut()
            .filter(|c| c.label.contains(label.as_str()))
        {
            let ok = (0..*n).fold(true, |ok, _| ok & std::hint::black_box((case.op)()));
            println!("{}: {n} calls, all succeeded: {ok}", case.label);
        }
        return;
    }

    let started = Instant::now();
    harness::run(&mut cases, &args.plan);
    let measured = started.elapsed();

    println!(
        "gopher-orch native benchmark — {} — {} logical CPUs",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "engine backend: {} | {} rounds x {} ms batches ({}), round-robin, medians | keygen {:.1} s, measuring {:.1} s",
        backend.name(),
        args.plan.rounds,
        args.plan.batch.as_millis(),
        args.plan.clock.name(),
        keygen.as_secs_f64(),
        measured.as_secs_f64()
    );
    println!("JWKS: 12 keys; token cache off: token_cache_size=0; options: audience, 2 scopes, fixed time\n");
    println!("| alg | (a) raw verify, engine backend µs | raw aws-lc-rs parsed µs | raw aws-lc-rs unparsed µs | raw ring µs | (b) C ABI cache off µs | (b)/(a) | (c) C ABI cache on µs | extract, cache on µs | (b5) 5 issuers cache off µs | (b5)/(b) | (c5) 5 issuers cache on µs | (c5)/(c) |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut verdicts = Vec::new();
    for (i, alg) in Alg::ALL.into_iter().enumerate() {
        let group = &cases[i * PER_ALG..(i + 1) * PER_ALG];
        let [parsed, unparsed, ring, off, on, extract, off5, on5] = group else {
            unreachable!()
        };
        let reference = match backend {
            Backend::AwsLcRs => parsed,
            Backend::Ring => ring,
        };
        let ratio = harness::paired_ratio(off, reference);
        let us = |c: &Case<'_>| c.median_ns() / 1000.0;
        let (ratio5, ratio5_cached) = (
            harness::paired_ratio(off5, off),
            harness::paired_ratio(on5, on),
        );
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | {:.2} | {:.3} | {:.3} | {:.3} |",
            alg.name(),
            us(reference),
            us(parsed),
            us(unparsed),
            us(ring),
            us(off),
            ratio,
            us(on),
            us(extract),
            us(off5),
            ratio5,
            us(on5),
            ratio5_cached
        );
        verdicts.push(format!(
            "{} 5 issuers (b5)/(b) = {ratio5:.3}, (c5)/(c) = {ratio5_cached:.3} (target <= {FIVE_ISSUERS_TARGET}): {}",
            alg.name(),
            pass(ratio5 <= FIVE_ISSUERS_TARGET)
        ));
        if alg == Alg::Rs256 {
            verdicts.push(format!(
                "RS256 (b)/(a) = {ratio:.3} (target <= {RS256_RATIO_TARGET}): {}",
                pass(ratio <= RS256_RATIO_TARGET)
            ));
        }
        verdicts.push(format!(
            "{} cache on = {:.3} µs (target < {CACHE_TARGET_US} µs): {}",
            alg.name(),
            us(on),
            pass(us(on) < CACHE_TARGET_US)
        ));
    }
    println!();
    for v in verdicts {
        println!("{v}");
    }
}

fn pass(ok: bool) -> &'static str {
    if ok {
        "MET"
    } else {
        "MISSED"
    }
}

/// The benchmark only means something if every measured call does the real work: every token
/// validates, a forged one does not, the cache still checks scopes, raw verifiers reject junk.
fn sanity_checks(
    fixture: &Fixture,
    tokens: &[CString],
    no_cache: &Client,
    cached: &Client,
    options: &Options,
    too_much: &Options,
) {
    for (token, c_token) in fixture.tokens.iter().zip(tokens) {
        let alg = token.alg.name();
        for (name, client) in [("cache off", no_cache), ("cache on", cached)] {
            for _ in 0..2 {
                let code = client.validate(c_token, options);
                if code != 0 {
                    fail(format!(
                        "{alg} token rejected ({name}): {code} {}",
                        Client::last_error()
                    ));
                }
            }
            let code = client.validate(c_token, too_much);
            if code != INSUFFICIENT_SCOPE {
                fail(format!("{alg} token with a missing scope gave {code} ({name}), expected {INSUFFICIENT_SCOPE}"));
            }
        }
        let mut forged = token.compact.clone().into_bytes();
        let last = forged.len() - 3;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        let forged = CString::new(forged).expect("no NUL");
        if no_cache.validate(&forged, options) == 0 {
            fail(format!("{alg} token with a damaged signature was accepted"));
        }
        let mut bad_msg = token.signing_input.clone();
        bad_msg[10] ^= 1;
        for v in [
            RawVerifier::aws_lc_parsed(token),
            RawVerifier::aws_lc_unparsed(token),
            RawVerifier::ring(token),
        ] {
            if !v.verify(&token.signing_input, &token.signature)
                || v.verify(&bad_msg, &token.signature)
            {
                fail(format!(
                    "raw verifier for {alg} does not tell good from bad"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_read_from_the_dependencies_table_only() {
        let m = "[dependencies]\nserde_json = \"1\"\naws-lc-rs = { version = \"1\" }\n[dev-dependencies]\nring = \"0.17\"\n";
        assert_eq!(engine_backend(m), Some(Backend::AwsLcRs));
        assert_eq!(
            engine_backend("[dependencies]\nring = \"0.17\"\n"),
            Some(Backend::Ring)
        );
        assert_eq!(engine_backend("[dependencies]\nserde_json = \"1\"\n"), None);
    }
}
