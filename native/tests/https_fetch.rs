//! JWKS over real HTTPS on loopback: a rustls server with a throwaway self-signed certificate
//! (rcgen). Shows the https path works with `ca_bundle`, and that an untrusted certificate or
//! a wrong host name is a NETWORK_ERROR.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use gopher_orch::client::Client;
use gopher_orch::error::ErrorCode;
use gopher_orch::options::ValidationOptions;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use support::{jwks, TestKey, AUDIENCE, ISSUER};

struct TlsServer {
    port: u16,
    ca_file: std::path::PathBuf,
    requests: Arc<AtomicUsize>,
}

/// Serves `body` over TLS for `names` (a bounded number of connections, then the thread ends).
fn tls_server(body: String, names: &[&str], tag: &str) -> TlsServer {
    let certified =
        rcgen::generate_simple_self_signed(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
    let ca_file = std::env::temp_dir().join(format!(
        "gopher-orch-test-ca-{}-{tag}.pem",
        std::process::id()
    ));
    std::fs::write(&ca_file, certified.cert.pem()).unwrap();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    thread::spawn(move || {
        for conn in listener.incoming().take(8) {
            let Ok(tcp) = conn else { continue };
            let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut tls = rustls::StreamOwned::new(
                rustls::ServerConnection::new(config.clone()).unwrap(),
                tcp,
            );
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            let ok = loop {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break false,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
                if head.windows(4).any(|w| w == b"\r\n\r\n") {
                    break true;
                }
            };
            if ok {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = write!(
                    tls,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        }
    });
    TlsServer {
        port,
        ca_file,
        requests,
    }
}

fn options() -> ValidationOptions {
    let mut o = ValidationOptions::default();
    o.set_audience(AUDIENCE).unwrap();
    o
}

fn client(url: &str) -> Client {
    let c = Client::new(url, ISSUER).unwrap();
    c.set_option("request_timeout", "2").unwrap();
    c
}

#[test]
fn https_with_a_ca_bundle_works() {
    let key = TestKey::new("tls", 5);
    let server = tls_server(jwks(&[&key]), &["localhost"], "ok");
    let c = client(&format!("https://localhost:{}/jwks", server.port));
    c.set_option("ca_bundle", server.ca_file.to_str().unwrap())
        .unwrap();
    c.validate(&key.token(""), &options())
        .expect("valid over https");
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    let _ = std::fs::remove_file(&server.ca_file);
}

#[test]
fn an_untrusted_certificate_is_a_network_error() {
    let key = TestKey::new("tls", 5);
    let server = tls_server(jwks(&[&key]), &["localhost"], "untrusted");
    let c = client(&format!("https://localhost:{}/jwks", server.port));
    let e = c.validate(&key.token(""), &options()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NetworkError, "{e}");
    assert!(e.message.contains("TLS"), "{e}");
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        0,
        "no request sent over an untrusted connection"
    );
    let _ = std::fs::remove_file(&server.ca_file);
}

#[test]
fn a_certificate_for_another_name_is_a_network_error() {
    let key = TestKey::new("tls", 5);
    let server = tls_server(jwks(&[&key]), &["idp.other.example"], "name");
    let c = client(&format!("https://localhost:{}/jwks", server.port));
    c.set_option("ca_bundle", server.ca_file.to_str().unwrap())
        .unwrap();
    let e = c.validate(&key.token(""), &options()).unwrap_err();
    assert_eq!(e.code, ErrorCode::NetworkError, "{e}");
    let _ = std::fs::remove_file(&server.ca_file);
}

#[test]
fn fixing_the_configuration_takes_effect_on_the_next_fetch() {
    let key = TestKey::new("tls", 5);
    let server = tls_server(jwks(&[&key]), &["localhost"], "fix");
    let c = client(&format!("https://localhost:{}/jwks", server.port));
    c.set_option("min_refresh_interval", "3600").unwrap(); // a long pause after failures
    assert_eq!(
        c.validate(&key.token(""), &options()).unwrap_err().code,
        ErrorCode::NetworkError
    );
    assert_eq!(
        c.validate(&key.token(""), &options()).unwrap_err().code,
        ErrorCode::NetworkError,
        "paused"
    );
    c.set_option("ca_bundle", server.ca_file.to_str().unwrap())
        .unwrap();
    c.validate(&key.token(""), &options())
        .expect("the new trust anchors are used at once");
    let _ = std::fs::remove_file(&server.ca_file);
}
