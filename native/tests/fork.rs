//! A client created before fork() (a pre-forking server such as gunicorn --preload) keeps
//! refreshing its keys in the child, whose copy of the client has no refresher thread.

mod support;

use std::thread;
use std::time::{Duration, Instant};

use gopher_orch::client::Client;
use gopher_orch::options::ValidationOptions;
use support::{jwks, Behavior, JwksServer, TestKey, AUDIENCE, ISSUER};

#[test]
#[cfg(unix)]
fn a_forked_child_refreshes_its_keys() {
    let (a, b) = (TestKey::new("a", 1), TestKey::new("b", 2));
    let server = JwksServer::start(Behavior::Serve(jwks(&[&a])));
    let client = Client::new(&server.url(), ISSUER).unwrap();
    for (k, v) in [
        ("request_timeout", "2"),
        ("cache_duration", "1"),
        ("min_refresh_interval", "3600"),
    ] {
        client.set_option(k, v).unwrap();
    }
    let mut options = ValidationOptions::default();
    options.set_audience(AUDIENCE).unwrap();
    client.validate(&a.token(""), &options).unwrap();
    assert!(client.key_store().background_running());
    // Spend the unknown-kid refetch (one per hour here): key b must come from a refresh.
    assert!(client
        .validate(
            &a.token_with("zzz", ISSUER, support::now() + 60, "", "x"),
            &options
        )
        .is_err());
    assert_eq!(server.requests(), 2);
    server.set(Behavior::Serve(jwks(&[&a, &b]))); // the parent's server thread answers the child
    let token_b = b.token("");

    // SAFETY: the child only validates (allocations are fork-safe with glibc) and leaves
    // with _exit, never returning into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let started = Instant::now();
        let mut ok = false;
        while started.elapsed() < Duration::from_secs(8) {
            if client.validate(&token_b, &options).is_ok() {
                ok = true;
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "the child crashed");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "the child never picked up key b"
    );
}
