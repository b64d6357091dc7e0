//! Shared test helpers: Ed25519 test keys and tokens minted with `ed25519-dalek` + `base64`
//! (a different implementation than the engine's verifier), and a real loopback HTTP JWKS
//! server whose behaviour a test can change at any time.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};

pub const ISSUER: &str = "https://idp.test.example";
pub const AUDIENCE: &str = "https://mcp.test.example";

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A test-only Ed25519 key, derived from a one-byte seed so runs are reproducible.
pub struct TestKey {
    pub kid: String,
    signing: SigningKey,
}

impl TestKey {
    pub fn new(kid: &str, seed: u8) -> TestKey {
        let mut bytes = [0u8; 32];
        bytes
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = seed.wrapping_mul(31).wrapping_add(i as u8));
        TestKey {
            kid: kid.to_owned(),
            signing: SigningKey::from_bytes(&bytes),
        }
    }

    pub fn jwk(&self) -> String {
        let x = URL_SAFE_NO_PAD.encode(self.signing.verifying_key().as_bytes());
        format!(
            r#"{{"kty":"OKP","crv":"Ed25519","x":"{x}","kid":"{}","use":"sig","alg":"EdDSA"}}"#,
            self.kid
        )
    }

    /// A token with this key's kid (or `kid_override`) and the given payload JSON.
    pub fn sign_payload(&self, kid: &str, payload: &str) -> String {
        let header = format!(r#"{{"alg":"EdDSA","typ":"at+jwt","kid":"{kid}"}}"#);
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let sig = self.signing.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// A valid access token for ISSUER/AUDIENCE, one hour left, with `scope`.
    pub fn token(&self, scope: &str) -> String {
        self.token_with(&self.kid, ISSUER, now() + 3600, scope, "alice")
    }

    pub fn token_with(&self, kid: &str, iss: &str, exp: i64, scope: &str, sub: &str) -> String {
        let payload = format!(
            r#"{{"iss":"{iss}","sub":"{sub}","aud":"{AUDIENCE}","exp":{exp},"iat":{},"scope":"{scope}"}}"#,
            now() - 10
        );
        self.sign_payload(kid, &payload)
    }
}

pub fn jwks(keys: &[&TestKey]) -> String {
    let list: Vec<String> = keys.iter().map(|k| k.jwk()).collect();
    format!(r#"{{"keys":[{}]}}"#, list.join(","))
}

/// What the fake IdP answers.
#[derive(Clone, Debug)]
pub enum Behavior {
    /// 200 with this body and a Content-Length.
    Serve(String),
    /// 200 with this body, chunked.
    Chunked(String),
    /// This status with a short body.
    Status(u16),
    /// 302 to `Location` on the same server.
    Redirect(String),
    /// 200 with a Content-Length larger than any JWKS we accept (body not sent).
    HugeDeclared,
    /// 200 without Content-Length, streaming bytes until the client hangs up.
    HugeStream,
    /// Accepts, reads the request, never answers.
    Hang,
    /// Closes the connection at once.
    Close,
    /// 200 with the body of the route whose path equals the request's, else 404.
    Routes(Vec<(String, String)>),
}

pub struct JwksServer {
    pub port: u16,
    behavior: Arc<Mutex<Behavior>>,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<thread::JoinHandle<()>>,
}

impl JwksServer {
    pub fn start(behavior: Behavior) -> JwksServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let behavior = Arc::new(Mutex::new(behavior));
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, r, s) = (behavior.clone(), requests.clone(), stop.clone());
        let accept_thread = thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (b, r, s) = (b.clone(), r.clone(), s.clone());
                thread::spawn(move || serve(conn, &b, &r, &s));
            }
        });
        JwksServer {
            port,
            behavior,
            requests,
            stop,
            accept_thread: Some(accept_thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/jwks", self.port)
    }

    pub fn set(&self, behavior: Behavior) {
        *self.behavior.lock().unwrap() = behavior;
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    mut conn: TcpStream,
    behavior: &Mutex<Behavior>,
    requests: &AtomicUsize,
    stop: &AtomicBool,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    if stop.load(Ordering::SeqCst) {
        return;
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let behavior = behavior.lock().unwrap().clone();
    let behavior = match behavior {
        Behavior::Routes(routes) => {
            let head = String::from_utf8_lossy(&head);
            let path = head.split_whitespace().nth(1).unwrap_or("").to_owned();
            match routes.into_iter().find(|(p, _)| *p == path) {
                Some((_, body)) => Behavior::Serve(body),
                None => Behavior::Status(404),
            }
        }
        other => other,
    };
    let _ = match behavior {
        Behavior::Serve(body) => write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
        Behavior::Chunked(body) => {
            let mut out = String::from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            for piece in body.as_bytes().chunks(7) {
                out.push_str(&format!("{:x}\r\n{}\r\n", piece.len(), std::str::from_utf8(piece).unwrap()));
            }
            out.push_str("0\r\n\r\n");
            conn.write_all(out.as_bytes())
        }
        Behavior::Status(code) => {
            write!(conn, "HTTP/1.1 {code} Something\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops!")
        }
        Behavior::Redirect(location) => write!(
            conn,
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Behavior::HugeDeclared => {
            write!(conn, "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\nConnection: close\r\n\r\n{{\"keys\":[")
        }
        Behavior::HugeStream => {
            let _ = write!(conn, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{{\"keys\":[");
            let chunk = vec![b' '; 64 * 1024];
            let started = Instant::now();
            // Bounded: at most ~8 MiB or 10 s, the client hangs up long before.
            for _ in 0..128 {
                if conn.write_all(&chunk).is_err() || started.elapsed() > Duration::from_secs(10) {
                    break;
                }
            }
            Ok(())
        }
        Behavior::Hang => {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(20) {
                thread::sleep(Duration::from_millis(20));
            }
            Ok(())
        }
        Behavior::Close | Behavior::Routes(_) => Ok(()),
    };
    let _ = conn.shutdown(Shutdown::Both);
}

/// A port on which nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The cdylib built for this very test run: target/<profile>/deps/libgopher_orch.so, beside
/// the test binary (`cargo test` builds every crate type of the library there). The copy cargo
/// "uplifts" to target/<profile>/ is only refreshed by `cargo build` and may be stale or
/// missing, so it is never used. If the file is missing (a partial build), build it rather
/// than skip.
pub fn cdylib() -> PathBuf {
    let file = if cfg!(target_os = "macos") {
        "libgopher_orch.dylib"
    } else {
        "libgopher_orch.so"
    };
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let lib = deps.join(file);
    if !lib.exists() {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--lib", "--manifest-path"])
            .arg(manifest);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        assert!(
            cmd.status().unwrap().success(),
            "cargo build of the cdylib failed"
        );
        let uplifted = deps.parent().unwrap().join(file);
        assert!(
            uplifted.exists(),
            "no cdylib at {} after cargo build",
            uplifted.display()
        );
        return uplifted;
    }
    lib
}
