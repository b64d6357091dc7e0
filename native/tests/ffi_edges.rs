//! Edge cases of the C ABI, exercised through the exported functions themselves.
//!
//! Not testable by design: destroying a handle twice, using it after destroy, or freeing a
//! string twice are the caller's bugs (undefined behaviour, as with free()); the header and
//! README say so.

mod support;

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use gopher_orch::capi::client::*;
use gopher_orch::capi::headers::*;
use gopher_orch::capi::lifecycle::*;
use gopher_orch::capi::options::*;
use gopher_orch::capi::payload::*;
use gopher_orch::capi::validate::*;
use support::{jwks, TestKey, AUDIENCE, ISSUER};

const INVALID_PARAMETER: i32 = -1011;
const INVALID_CONFIG: i32 = -1009;

fn last_error() -> String {
    unsafe { CStr::from_ptr(gopher_auth_last_error_message()) }
        .to_string_lossy()
        .into_owned()
}

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn new_client() -> *mut GopherAuthClient {
    assert_eq!(gopher_auth_init(), 0);
    let mut client = null_mut();
    assert_eq!(
        gopher_auth_client_create(&mut client, c("").as_ptr(), c(ISSUER).as_ptr()),
        0
    );
    assert!(!client.is_null());
    client
}

fn empty_result() -> GopherAuthValidationResult {
    GopherAuthValidationResult {
        valid: true,
        error_code: 12345,
        error_message: null(),
    }
}

/// Options with the test audience (a validation without one is a configuration error).
fn audience_options() -> *mut GopherAuthValidationOptions {
    let mut o = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut o), 0);
    assert_eq!(
        gopher_auth_validation_options_set_audience(o, c(AUDIENCE).as_ptr()),
        0
    );
    o
}

#[test]
fn versions() {
    assert_eq!(gopher_auth_abi_version(), 3);
    let v = unsafe { CStr::from_ptr(gopher_auth_version()) }
        .to_str()
        .unwrap();
    assert_eq!(v, env!("CARGO_PKG_VERSION"));
}

#[test]
fn nulls_are_invalid_parameters() {
    let client = new_client();
    let mut out: *mut GopherAuthClient = null_mut();
    assert_eq!(
        gopher_auth_client_create(null_mut(), c("").as_ptr(), c(ISSUER).as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_create(&mut out, null(), c(ISSUER).as_ptr()),
        INVALID_PARAMETER
    );
    assert!(last_error().contains("jwks_uri"), "{}", last_error());
    assert_eq!(
        gopher_auth_client_create(&mut out, c("").as_ptr(), null()),
        INVALID_PARAMETER
    );
    assert!(out.is_null());
    assert_eq!(gopher_auth_client_destroy(null_mut()), INVALID_PARAMETER);
    assert_eq!(
        gopher_auth_client_set_option(null_mut(), c("a").as_ptr(), c("b").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_set_option(client, null(), c("b").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_set_option(client, c("auto_refresh").as_ptr(), null()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_load_jwks(client, null()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_create(null_mut()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_destroy(null_mut()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_scopes(null_mut(), c("a").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_audience(null_mut(), c("a").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_clock_skew(null_mut(), 1),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_time(null_mut(), 1),
        INVALID_PARAMETER
    );
    let mut r = empty_result();
    assert_eq!(
        gopher_auth_validate_token(client, null(), null(), &mut r),
        INVALID_PARAMETER
    );
    assert!(!r.valid);
    assert_eq!(r.error_code, INVALID_PARAMETER);
    assert!(unsafe { CStr::from_ptr(r.error_message) }
        .to_str()
        .unwrap()
        .contains("token"));
    assert_eq!(
        gopher_auth_validate_token(client, c("x").as_ptr(), null(), null_mut()),
        INVALID_PARAMETER
    );
    let mut p: *mut GopherAuthTokenPayload = null_mut();
    assert_eq!(
        gopher_auth_validate_and_extract(client, c("x").as_ptr(), null(), &mut r, null_mut()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validate_and_extract(null_mut(), c("x").as_ptr(), null(), &mut r, &mut p),
        INVALID_PARAMETER
    );
    assert!(p.is_null());
    assert_eq!(
        gopher_auth_extract_payload(null(), &mut p),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_extract_payload(c("x").as_ptr(), null_mut()),
        INVALID_PARAMETER
    );
    let mut s: *mut c_char = null_mut();
    let mut e = 0i64;
    assert_eq!(
        gopher_auth_payload_get_subject(null(), &mut s),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_payload_get_scopes(null(), &mut s),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_payload_get_audience(null(), &mut s),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_payload_get_issuer(null(), &mut s),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_payload_get_claims_json(null(), &mut s),
        INVALID_PARAMETER
    );
    for getter in [
        gopher_auth_payload_get_scopes_json,
        gopher_auth_payload_get_audience_json,
        gopher_auth_payload_get_client_id,
    ] {
        assert_eq!(getter(null(), &mut s), INVALID_PARAMETER);
        assert!(s.is_null());
    }
    assert_eq!(
        gopher_auth_payload_get_expiration(null(), &mut e),
        INVALID_PARAMETER
    );
    assert_eq!(gopher_auth_payload_destroy(null_mut()), INVALID_PARAMETER);
    assert_eq!(
        gopher_auth_generate_www_authenticate(null(), null(), null(), null_mut()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_generate_www_authenticate_v2(
            null(),
            null(),
            null(),
            null(),
            null(),
            null_mut()
        ),
        INVALID_PARAMETER
    );
    gopher_auth_free_string(null_mut());
    assert_eq!(gopher_auth_client_destroy(client), 0);
}

#[test]
fn invalid_utf8_is_an_invalid_parameter() {
    let client = new_client();
    let bad = CString::new(vec![b'a', 0xff, b'b']).unwrap();
    assert_eq!(
        gopher_auth_client_set_option(client, bad.as_ptr(), c("1").as_ptr()),
        INVALID_PARAMETER
    );
    assert!(last_error().contains("UTF-8"), "{}", last_error());
    let mut r = empty_result();
    assert_eq!(
        gopher_auth_validate_token(client, bad.as_ptr(), null(), &mut r),
        INVALID_PARAMETER
    );
    let mut out = null_mut();
    assert_eq!(
        gopher_auth_client_create(&mut out, bad.as_ptr(), c(ISSUER).as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(gopher_auth_client_destroy(client), 0);
}

#[test]
fn set_option_errors_carry_a_message() {
    let client = new_client();
    assert_eq!(
        gopher_auth_client_set_option(client, c("request_timeout").as_ptr(), c("0").as_ptr()),
        INVALID_CONFIG
    );
    let msg = last_error();
    assert!(
        msg.contains("request_timeout") && msg.contains("1..300"),
        "{msg}"
    );
    assert_eq!(
        gopher_auth_client_set_option(client, c("bogus").as_ptr(), c("1").as_ptr()),
        INVALID_CONFIG
    );
    assert!(last_error().contains("bogus"));
    // A successful call clears the message.
    assert_eq!(
        gopher_auth_client_set_option(client, c("request_timeout").as_ptr(), c("5").as_ptr()),
        0
    );
    assert_eq!(last_error(), "");
    assert_eq!(gopher_auth_client_destroy(client), 0);
}

#[test]
fn error_message_lives_until_the_next_call_and_is_bounded() {
    let audience = audience_options();
    let client = new_client();
    let key = TestKey::new("k", 9);
    assert_eq!(
        gopher_auth_client_load_jwks(client, c(&jwks(&[&key])).as_ptr()),
        0
    );
    let wrong_issuer = key.token_with(
        "k",
        &format!("https://evil.example/{}", "x".repeat(2000)),
        support::now() + 60,
        "",
        "u",
    );
    let mut r = empty_result();
    let code = gopher_auth_validate_token(client, c(&wrong_issuer).as_ptr(), audience, &mut r);
    assert_eq!(code, -1003, "INVALID_ISSUER");
    assert_eq!((r.valid, r.error_code), (false, -1003));
    let message = unsafe { CStr::from_ptr(r.error_message) }
        .to_bytes()
        .to_vec();
    assert!(
        !message.is_empty() && message.len() <= 511,
        "{} bytes",
        message.len()
    );
    assert!(!message.iter().any(|b| b.is_ascii_control()));
    // gopher_auth_last_error_message does not invalidate it: same storage, same text.
    assert_eq!(
        unsafe { CStr::from_ptr(gopher_auth_last_error_message()) }.to_bytes(),
        &message[..]
    );
    assert_eq!(
        unsafe { CStr::from_ptr(r.error_message) }.to_bytes(),
        &message[..]
    );
    // A valid token: no message.
    let mut r = empty_result();
    let mut o = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut o), 0);
    assert_eq!(
        gopher_auth_validation_options_set_audience(o, c(AUDIENCE).as_ptr()),
        0
    );
    assert_eq!(
        gopher_auth_validate_token(client, c(&key.token("")).as_ptr(), o, &mut r),
        0
    );
    assert!(r.valid && r.error_message.is_null());
    assert_eq!(gopher_auth_validation_options_destroy(o), 0);
    assert_eq!(gopher_auth_client_destroy(client), 0);
    assert_eq!(gopher_auth_validation_options_destroy(audience), 0);
}

#[test]
fn destroying_a_handle_keeps_the_last_error_message() {
    let audience = audience_options();
    // A binding's garbage collector may destroy handles between a failed call and the read
    // of its message: the destroy functions must not free the text being read.
    let client = new_client();
    let mut r = empty_result();
    let code = gopher_auth_validate_token(client, c("not-a-jwt").as_ptr(), audience, &mut r);
    assert_eq!(code, -1000, "INVALID_TOKEN");
    let message = unsafe { CStr::from_ptr(r.error_message) }
        .to_bytes()
        .to_vec();
    assert!(!message.is_empty());
    let mut payload = null_mut();
    let token = TestKey::new("k", 3).token("");
    assert_eq!(
        gopher_auth_extract_payload(c(&token).as_ptr(), &mut payload),
        0
    );
    // (extract_payload succeeded: it cleared the message, as any non-destroy call may.)
    assert_eq!(last_error(), "");
    let other = new_client();
    let mut o = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut o), 0);
    let code = gopher_auth_validate_token(client, c("not-a-jwt").as_ptr(), audience, &mut r);
    assert_eq!(code, -1000);
    assert_eq!(gopher_auth_payload_destroy(payload), 0);
    assert_eq!(gopher_auth_validation_options_destroy(o), 0);
    assert_eq!(gopher_auth_client_destroy(other), 0);
    assert_eq!(
        gopher_auth_last_error_message(),
        r.error_message,
        "same storage: not freed by the destroys"
    );
    assert_eq!(
        unsafe { CStr::from_ptr(r.error_message) }.to_bytes(),
        &message[..]
    );
    assert_eq!(gopher_auth_client_destroy(client), 0);
    assert_eq!(gopher_auth_validation_options_destroy(audience), 0);
}

/// What a call made from a thread-exit destructor returned (0 = not run yet).
static CODE_AT_THREAD_EXIT: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

struct CallsTheLibraryAtThreadExit;

impl Drop for CallsTheLibraryAtThreadExit {
    fn drop(&mut self) {
        let mut r = empty_result();
        let code = gopher_auth_validate_token(null_mut(), c("t").as_ptr(), null(), &mut r);
        assert!(!r.error_message.is_null());
        let _ = unsafe { CStr::from_ptr(r.error_message) }.to_bytes().len();
        CODE_AT_THREAD_EXIT.store(code, std::sync::atomic::Ordering::SeqCst);
    }
}

thread_local! {
    static AT_EXIT: CallsTheLibraryAtThreadExit = const { CallsTheLibraryAtThreadExit };
}

#[test]
fn calls_from_thread_exit_destructors_do_not_abort() {
    // A C thread may call in from its thread-exit destructors (pthread keys run after the
    // library's thread-local message storage is gone). Thread-local destructors run in reverse
    // order of registration, so AT_EXIT (registered first) runs after the message storage
    // (registered by the failing call) was destroyed.
    std::thread::spawn(|| {
        AT_EXIT.with(|_| ());
        let mut r = empty_result();
        assert_eq!(
            gopher_auth_validate_token(null_mut(), c("t").as_ptr(), null(), &mut r),
            INVALID_PARAMETER
        );
    })
    .join()
    .unwrap();
    assert_eq!(
        CODE_AT_THREAD_EXIT.load(std::sync::atomic::Ordering::SeqCst),
        INVALID_PARAMETER
    );
}

#[test]
fn messages_are_per_thread() {
    let client = new_client();
    assert_eq!(
        gopher_auth_client_set_option(client, c("bogus").as_ptr(), c("1").as_ptr()),
        INVALID_CONFIG
    );
    let other = std::thread::spawn(|| {
        unsafe { CStr::from_ptr(gopher_auth_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    })
    .join()
    .unwrap();
    assert_eq!(other, "");
    assert!(last_error().contains("bogus"));
    assert_eq!(gopher_auth_client_destroy(client), 0);
}

#[test]
fn validation_option_ranges_are_invalid_parameters() {
    let mut o = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut o), 0);
    assert_eq!(
        gopher_auth_validation_options_set_clock_skew(o, -1),
        INVALID_PARAMETER
    );
    assert!(last_error().contains("clock skew"));
    assert_eq!(
        gopher_auth_validation_options_set_clock_skew(o, 86_401),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_time(o, -1),
        INVALID_PARAMETER
    );
    assert_eq!(gopher_auth_validation_options_set_clock_skew(o, 0), 0);
    assert_eq!(gopher_auth_validation_options_destroy(o), 0);
}

#[test]
fn payload_getters_and_absent_claims() {
    let key = TestKey::new("k", 9);
    let token = key.sign_payload(
        "k",
        r#"{"sub":"bob","aud":["x","y"],"exp":1.9e9,"scp":["b","a"],"scope":"a c","n":1}"#,
    );
    let mut p = null_mut();
    assert_eq!(gopher_auth_extract_payload(c(&token).as_ptr(), &mut p), 0);
    let get = |f: extern "C" fn(*const GopherAuthTokenPayload, *mut *mut c_char) -> i32| {
        let mut s: *mut c_char = null_mut();
        assert_eq!(f(p, &mut s), 0);
        if s.is_null() {
            return None;
        }
        let v = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
        gopher_auth_free_string(s);
        Some(v)
    };
    assert_eq!(get(gopher_auth_payload_get_subject).as_deref(), Some("bob"));
    assert_eq!(get(gopher_auth_payload_get_issuer), None, "absent → NULL");
    assert_eq!(
        get(gopher_auth_payload_get_audience).as_deref(),
        Some("x y")
    );
    assert_eq!(
        get(gopher_auth_payload_get_scopes).as_deref(),
        Some("a c b")
    );
    let mut exp = 0;
    assert_eq!(gopher_auth_payload_get_expiration(p, &mut exp), 0);
    assert_eq!(exp, 1_900_000_000);
    let json = get(gopher_auth_payload_get_claims_json).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["n"], 1);
    assert_eq!(gopher_auth_payload_destroy(p), 0);

    let mut p = null_mut();
    assert_eq!(
        gopher_auth_extract_payload(c("garbage").as_ptr(), &mut p),
        -1000
    );
    assert!(p.is_null());
}

fn get_string(
    p: *const GopherAuthTokenPayload,
    f: extern "C" fn(*const GopherAuthTokenPayload, *mut *mut c_char) -> i32,
) -> Option<String> {
    let mut s: *mut c_char = null_mut();
    assert_eq!(f(p, null_mut()), INVALID_PARAMETER, "NULL out");
    assert_eq!(f(p, &mut s), 0);
    if s.is_null() {
        return None;
    }
    let v = unsafe { CStr::from_ptr(s) }.to_string_lossy().into_owned();
    gopher_auth_free_string(s);
    Some(v)
}

#[test]
fn scopes_and_audience_as_json_lists_and_the_client_id() {
    let key = TestKey::new("k", 9);
    let token = key.sign_payload(
        "k",
        r#"{"aud":["x y","z"],"exp":1.9e9,"scp":["mcp:read mcp:write","b\"q","a"],"scope":"c","cid":"okta-app","appid":"v1"}"#,
    );
    let mut p = null_mut();
    assert_eq!(gopher_auth_extract_payload(c(&token).as_ptr(), &mut p), 0);
    assert_eq!(
        get_string(p, gopher_auth_payload_get_scopes_json).as_deref(),
        Some(r#"["c","a"]"#),
        "an item holding a space grants nothing"
    );
    assert_eq!(
        get_string(p, gopher_auth_payload_get_scopes).as_deref(),
        Some("c a")
    );
    assert_eq!(
        get_string(p, gopher_auth_payload_get_audience_json).as_deref(),
        Some(r#"["x y","z"]"#)
    );
    assert_eq!(
        get_string(p, gopher_auth_payload_get_client_id).as_deref(),
        Some("okta-app")
    );
    assert_eq!(gopher_auth_payload_destroy(p), 0);

    let token = key.sign_payload("k", r#"{"exp":1.9e9}"#);
    let mut p = null_mut();
    assert_eq!(gopher_auth_extract_payload(c(&token).as_ptr(), &mut p), 0);
    assert_eq!(
        get_string(p, gopher_auth_payload_get_scopes_json).as_deref(),
        Some("[]")
    );
    assert_eq!(
        get_string(p, gopher_auth_payload_get_audience_json).as_deref(),
        Some("[]")
    );
    assert_eq!(get_string(p, gopher_auth_payload_get_client_id), None);
    assert_eq!(gopher_auth_payload_destroy(p), 0);
}

#[test]
fn id_tokens_and_bound_tokens_are_refused_through_the_c_abi() {
    let audience = audience_options();
    let key = TestKey::new("k", 11);
    let client = new_client();
    assert_eq!(
        gopher_auth_client_load_jwks(client, c(&jwks(&[&key])).as_ptr()),
        0
    );
    let exp = support::now() + 600;
    let token = |extra: &str| {
        key.sign_payload(
            "k",
            &format!(r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","exp":{exp},"sub":"u"{extra}}}"#),
        )
    };
    let verdict = |t: &str| {
        let mut r = empty_result();
        let code = gopher_auth_validate_token(client, c(t).as_ptr(), audience, &mut r);
        let message = if r.error_message.is_null() {
            String::new()
        } else {
            unsafe { CStr::from_ptr(r.error_message) }
                .to_string_lossy()
                .into_owned()
        };
        (code, message)
    };
    assert_eq!(verdict(&token("")).0, 0);
    for (extra, rule) in [
        (r#","typ":"ID""#, "rule payload-typ"),
        (r#","typ":"Refresh""#, "rule payload-typ"),
        (r#","typ":"Logout""#, "rule payload-typ"),
        (r#","token_use":"id""#, "rule token_use"),
        (r#","nonce":"abc""#, "carries nonce"),
        (r#","at_hash":"abc""#, "carries at_hash"),
        (r#","cnf":{"jkt":"abc"}"#, "rule cnf"),
    ] {
        let t = token(extra);
        // Twice: the second answer must not come from the token cache as a success.
        for _ in 0..2 {
            let (code, message) = verdict(&t);
            assert_eq!(code, -1000, "{extra}: {message}");
            assert!(message.contains(rule), "{extra}: {message}");
        }
    }
    for extra in [
        r#","typ":"Bearer""#,
        r#","typ":"at+JWT""#,
        r#","token_use":"access""#,
    ] {
        assert_eq!(verdict(&token(extra)).0, 0, "{extra}");
    }
    let bound = token(r#","cnf":{"x5t#S256":"abc"}"#);
    assert_eq!(
        gopher_auth_client_set_option(
            client,
            c("allow_bound_tokens_as_bearer").as_ptr(),
            c("sometimes").as_ptr()
        ),
        INVALID_CONFIG
    );
    assert_eq!(
        gopher_auth_client_set_option(
            client,
            c("allow_bound_tokens_as_bearer").as_ptr(),
            c("true").as_ptr()
        ),
        0
    );
    assert_eq!(verdict(&bound).0, 0);
    assert_eq!(
        gopher_auth_client_set_option(
            client,
            c("allow_bound_tokens_as_bearer").as_ptr(),
            c("false").as_ptr()
        ),
        0
    );
    assert_eq!(verdict(&bound).0, -1000, "cached verdict re-checked");
    assert_eq!(gopher_auth_client_destroy(client), 0);
    assert_eq!(gopher_auth_validation_options_destroy(audience), 0);
}

#[test]
fn audience_lists_claim_policy_and_policy_scopes_through_the_c_abi() {
    let key = TestKey::new("k", 12);
    let client = new_client();
    assert_eq!(
        gopher_auth_client_load_jwks(client, c(&jwks(&[&key])).as_ptr()),
        0
    );
    let set = |name: &str, value: &str| {
        gopher_auth_client_set_option(client, c(name).as_ptr(), c(value).as_ptr())
    };
    let mut o = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut o), 0);
    assert_eq!(
        gopher_auth_validation_options_set_audiences(null_mut(), c("[]").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_audiences(o, null()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_audiences(o, c("[\"a\",2]").as_ptr()),
        INVALID_PARAMETER
    );
    assert!(last_error().contains("JSON array"), "{}", last_error());
    assert_eq!(
        gopher_auth_validation_options_set_audiences(
            o,
            c(r#"["5r2ib8hs8oi1f0hcdt1s7kj4l0","api://mcp"]"#).as_ptr()
        ),
        0
    );
    let exp = support::now() + 600;
    let cognito = key.sign_payload(
        "k",
        &format!(
            r#"{{"iss":"{ISSUER}","exp":{exp},"sub":"u","token_use":"access","client_id":"5r2ib8hs8oi1f0hcdt1s7kj4l0","scope":"mcp/read","roles":["Admin"],"realm_access":{{"roles":["mcp:admin"]}}}}"#
        ),
    );
    let validate = |t: &str| {
        let mut r = empty_result();
        let mut p = null_mut();
        let code = gopher_auth_validate_and_extract(client, c(t).as_ptr(), o, &mut r, &mut p);
        (code, p)
    };
    assert_eq!(
        validate(&cognito).0,
        -1000,
        "no aud under the default policy"
    );
    assert_eq!(set("audience_claim", "client_id"), 0);
    assert_eq!(set("required_claims", r#"{"token_use":"access"}"#), 0);
    let (code, p) = validate(&cognito);
    assert_eq!(code, 0, "{}", last_error());
    assert_eq!(
        get_string(p, gopher_auth_payload_get_scopes_json).as_deref(),
        Some(r#"["mcp/read"]"#)
    );
    assert_eq!(gopher_auth_payload_destroy(p), 0);
    assert_eq!(set("scope_claims", "scope,roles,realm_access.roles"), 0);
    let (code, p) = validate(&cognito);
    assert_eq!(code, 0);
    assert_eq!(
        get_string(p, gopher_auth_payload_get_scopes_json).as_deref(),
        Some(r#"["mcp/read","Admin","mcp:admin"]"#),
        "the scopes of the client's policy, from the cached token too"
    );
    assert_eq!(
        get_string(p, gopher_auth_payload_get_scopes).as_deref(),
        Some("mcp/read Admin mcp:admin")
    );
    assert_eq!(gopher_auth_payload_destroy(p), 0);
    assert_eq!(set("required_claims", r#"{"token_use":"id"}"#), 0);
    assert_eq!(validate(&cognito).0, -1000);
    assert!(last_error().contains("required claim"), "{}", last_error());
    assert_eq!(set("required_claims", ""), 0);
    assert_eq!(
        gopher_auth_validation_options_set_audiences(o, c(r#"["another-app"]"#).as_ptr()),
        0
    );
    assert_eq!(validate(&cognito).0, -1004);
    for (name, value) in [
        ("audience_claim", ""),
        ("scope_claims", "a..b"),
        ("required_claims", "{\"a\":1}"),
    ] {
        assert_eq!(set(name, value), INVALID_CONFIG, "{name}");
        assert!(last_error().contains(name), "{}", last_error());
    }
    assert_eq!(gopher_auth_validation_options_destroy(o), 0);
    assert_eq!(gopher_auth_client_destroy(client), 0);
}

#[test]
fn several_issuers_through_the_c_abi() {
    let audience = audience_options();
    const OTHER: &str = "https://other-issuer.example/";
    let (ka, kb) = (TestKey::new("k", 21), TestKey::new("k", 22));
    let client = new_client();
    assert_eq!(
        gopher_auth_client_add_issuer(null_mut(), c(OTHER).as_ptr(), c("").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_add_issuer(client, null(), c("").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_add_issuer(client, c(OTHER).as_ptr(), null()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_load_issuer_jwks(client, null(), c("{}").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_load_issuer_jwks(client, c(OTHER).as_ptr(), null()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_load_issuer_jwks(client, c(OTHER).as_ptr(), c(&jwks(&[&kb])).as_ptr()),
        INVALID_CONFIG,
        "not trusted yet"
    );
    assert_eq!(
        gopher_auth_client_add_issuer(client, c(OTHER).as_ptr(), c("").as_ptr()),
        0
    );
    assert_eq!(
        gopher_auth_client_add_issuer(client, c(OTHER).as_ptr(), c("").as_ptr()),
        INVALID_CONFIG,
        "already trusted"
    );
    assert!(last_error().contains("already trusted"), "{}", last_error());
    assert_eq!(
        gopher_auth_client_load_issuer_jwks(client, c(ISSUER).as_ptr(), c(&jwks(&[&ka])).as_ptr()),
        0
    );
    assert_eq!(
        gopher_auth_client_load_issuer_jwks(client, c(OTHER).as_ptr(), c(&jwks(&[&kb])).as_ptr()),
        0
    );
    let exp = support::now() + 600;
    let verdict = |key: &TestKey, iss: &str| {
        let t = key.token_with("k", iss, exp, "", "u");
        let mut r = empty_result();
        gopher_auth_validate_token(client, c(&t).as_ptr(), audience, &mut r)
    };
    assert_eq!(verdict(&ka, ISSUER), 0);
    assert_eq!(verdict(&kb, OTHER), 0);
    assert_eq!(
        verdict(&ka, OTHER),
        -1002,
        "A's key never verifies B's token"
    );
    assert_eq!(verdict(&kb, ISSUER), -1002);
    assert_eq!(verdict(&ka, "https://unknown.example"), -1003);
    assert_eq!(gopher_auth_client_destroy(client), 0);
    assert_eq!(gopher_auth_validation_options_destroy(audience), 0);
}

#[test]
fn discover_issuer_through_the_c_abi() {
    let client = new_client();
    assert_eq!(
        gopher_auth_client_discover_issuer(null_mut(), c("https://a.example/").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_discover_issuer(client, null()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_client_discover_issuer(client, c("no url").as_ptr()),
        INVALID_CONFIG
    );
    assert_eq!(
        gopher_auth_client_discover_issuer(client, c(ISSUER).as_ptr()),
        0,
        "the creation issuer of a client without jwks_uri"
    );
    assert_eq!(
        gopher_auth_client_discover_issuer(client, c("https://b.example/").as_ptr()),
        0
    );
    assert_eq!(gopher_auth_client_destroy(client), 0);
}

#[test]
fn a_validation_without_an_audience_is_refused_as_a_configuration_error() {
    // NULL options and options with no audience alike: the audience check cannot be off, and
    // no setter turns it off ("" and [] are refused, the previous audience kept).
    let key = TestKey::new("k", 13);
    let client = new_client();
    assert_eq!(
        gopher_auth_client_load_jwks(client, c(&jwks(&[&key])).as_ptr()),
        0
    );
    let token = c(&key.token(""));
    let mut bare = null_mut();
    assert_eq!(gopher_auth_validation_options_create(&mut bare), 0);
    for options in [null(), bare.cast_const()] {
        let mut r = empty_result();
        assert_eq!(
            gopher_auth_validate_token(client, token.as_ptr(), options, &mut r),
            INVALID_CONFIG
        );
        assert!(!r.valid);
        assert!(
            last_error().contains("no audience is configured"),
            "{}",
            last_error()
        );
        let mut p = null_mut();
        let mut r = empty_result();
        assert_eq!(
            gopher_auth_validate_and_extract(client, token.as_ptr(), options, &mut r, &mut p),
            INVALID_CONFIG
        );
        assert!(p.is_null());
    }
    let audience = audience_options();
    assert_eq!(
        gopher_auth_validation_options_set_audience(audience, c("").as_ptr()),
        INVALID_PARAMETER
    );
    assert_eq!(
        gopher_auth_validation_options_set_audiences(audience, c("[]").as_ptr()),
        INVALID_PARAMETER
    );
    let mut r = empty_result();
    assert_eq!(
        gopher_auth_validate_token(client, token.as_ptr(), audience, &mut r),
        0,
        "the audience set before the refused calls still applies"
    );
    assert_eq!(gopher_auth_validation_options_destroy(audience), 0);
    assert_eq!(gopher_auth_validation_options_destroy(bare), 0);
    assert_eq!(gopher_auth_client_destroy(client), 0);
}

#[test]
fn set_introspection_through_the_c_abi() {
    let client = new_client();
    let (url, id, secret) = (
        c("http://127.0.0.1:9/introspect"),
        c("rs"),
        c("hunter2-secret"),
    );
    assert_eq!(
        gopher_auth_client_set_introspection(
            null_mut(),
            url.as_ptr(),
            id.as_ptr(),
            secret.as_ptr()
        ),
        INVALID_PARAMETER
    );
    for (u, i, s) in [
        (null(), id.as_ptr(), secret.as_ptr()),
        (url.as_ptr(), null(), secret.as_ptr()),
        (url.as_ptr(), id.as_ptr(), null()),
    ] {
        assert_eq!(
            gopher_auth_client_set_introspection(client, u, i, s),
            INVALID_PARAMETER
        );
    }
    assert_eq!(
        gopher_auth_client_set_introspection(
            client,
            c("ftp://x/").as_ptr(),
            id.as_ptr(),
            secret.as_ptr()
        ),
        INVALID_CONFIG
    );
    assert_eq!(
        gopher_auth_client_set_introspection(client, url.as_ptr(), c("").as_ptr(), secret.as_ptr()),
        INVALID_CONFIG
    );
    assert_eq!(
        gopher_auth_client_set_introspection(client, url.as_ptr(), id.as_ptr(), secret.as_ptr()),
        0
    );
    assert_eq!(gopher_auth_client_destroy(client), 0);
}
