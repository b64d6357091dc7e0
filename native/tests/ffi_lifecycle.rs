//! init / shutdown, alone in this test binary (they are process-wide state).

use std::ffi::CString;
use std::ptr::null_mut;

use gopher_orch::capi::client::{gopher_auth_client_create, gopher_auth_client_destroy};
use gopher_orch::capi::lifecycle::{gopher_auth_init, gopher_auth_shutdown};

#[test]
fn clients_need_init_and_survive_shutdown() {
    let (uri, iss) = (
        CString::new("").unwrap(),
        CString::new("https://i.example").unwrap(),
    );
    let mut out = null_mut();
    assert_eq!(
        gopher_auth_client_create(&mut out, uri.as_ptr(), iss.as_ptr()),
        -1012
    );
    assert!(out.is_null());
    assert_eq!(gopher_auth_init(), 0);
    assert_eq!(gopher_auth_init(), 0, "idempotent");
    assert_eq!(
        gopher_auth_client_create(&mut out, uri.as_ptr(), iss.as_ptr()),
        0
    );
    assert_eq!(gopher_auth_shutdown(), 0);
    assert_eq!(gopher_auth_shutdown(), 0, "idempotent");
    let mut second = null_mut();
    assert_eq!(
        gopher_auth_client_create(&mut second, uri.as_ptr(), iss.as_ptr()),
        -1012
    );
    assert_eq!(
        gopher_auth_client_destroy(out),
        0,
        "existing handles stay valid"
    );
    assert_eq!(gopher_auth_init(), 0);
    assert_eq!(
        gopher_auth_client_create(&mut second, uri.as_ptr(), iss.as_ptr()),
        0
    );
    assert_eq!(gopher_auth_client_destroy(second), 0);
}
