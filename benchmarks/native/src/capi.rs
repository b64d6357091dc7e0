//! The slice of the `gopher_auth` C ABI (native/include/gopher_auth.h) the benchmark calls,
//! declared as C functions and wrapped in small RAII handles. The definitions come from the
//! linked `gopher_orch` rlib: the very `extern "C"` entry points the shared library exports.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;

/// `gopher_auth_validation_result_t`.
#[repr(C)]
pub struct ValidationResult {
    pub valid: bool,
    pub error_code: i32,
    pub error_message: *const c_char,
}

impl ValidationResult {
    pub fn empty() -> Self {
        ValidationResult {
            valid: false,
            error_code: 0,
            error_message: ptr::null(),
        }
    }
}

extern "C" {
    fn gopher_auth_init() -> i32;
    fn gopher_auth_last_error_message() -> *const c_char;
    fn gopher_auth_client_create(
        out: *mut *mut c_void,
        jwks_uri: *const c_char,
        issuer: *const c_char,
    ) -> i32;
    fn gopher_auth_client_destroy(client: *mut c_void) -> i32;
    fn gopher_auth_client_set_option(
        client: *mut c_void,
        name: *const c_char,
        value: *const c_char,
    ) -> i32;
    fn gopher_auth_client_load_jwks(client: *mut c_void, jwks_json: *const c_char) -> i32;
    fn gopher_auth_client_add_issuer(
        client: *mut c_void,
        issuer: *const c_char,
        jwks_uri: *const c_char,
    ) -> i32;
    fn gopher_auth_client_load_issuer_jwks(
        client: *mut c_void,
        issuer: *const c_char,
        jwks_json: *const c_char,
    ) -> i32;
    fn gopher_auth_validation_options_create(out: *mut *mut c_void) -> i32;
    fn gopher_auth_validation_options_destroy(options: *mut c_void) -> i32;
    fn gopher_auth_validation_options_set_scopes(
        options: *mut c_void,
        scopes: *const c_char,
    ) -> i32;
    fn gopher_auth_validation_options_set_audience(
        options: *mut c_void,
        audience: *const c_char,
    ) -> i32;
    fn gopher_auth_validation_options_set_clock_skew(options: *mut c_void, seconds: i64) -> i32;
    fn gopher_auth_validation_options_set_time(options: *mut c_void, unix_seconds: i64) -> i32;
    fn gopher_auth_validate_token(
        client: *mut c_void,
        token: *const c_char,
        options: *const c_void,
        result: *mut ValidationResult,
    ) -> i32;
    fn gopher_auth_validate_and_extract(
        client: *mut c_void,
        token: *const c_char,
        options: *const c_void,
        result: *mut ValidationResult,
        out_payload: *mut *mut c_void,
    ) -> i32;
    fn gopher_auth_payload_destroy(payload: *mut c_void) -> i32;
}

/// A failed C call: which function, its code and the library's message.
#[derive(Debug)]
pub struct CallFailed(pub String);

fn check(what: &str, code: i32) -> Result<(), CallFailed> {
    if code == 0 {
        return Ok(());
    }
    // SAFETY: the library returns a NUL-terminated string valid until the next call on this thread.
    let message = unsafe { CStr::from_ptr(gopher_auth_last_error_message()) }
        .to_string_lossy()
        .into_owned();
    Err(CallFailed(format!("{what} returned {code}: {message}")))
}

fn cstring(s: &str) -> CString {
    CString::new(s).expect("benchmark strings contain no NUL byte")
}

pub fn init() -> Result<(), CallFailed> {
    // SAFETY: no arguments.
    check("gopher_auth_init", unsafe { gopher_auth_init() })
}

/// An owned `gopher_auth_client_t*`.
pub struct Client(*mut c_void);

impl Client {
    pub fn new(issuer: &str) -> Result<Client, CallFailed> {
        let mut handle = ptr::null_mut();
        let (uri, iss) = (cstring(""), cstring(issuer));
        // SAFETY: valid out-pointer and NUL-terminated strings.
        check("gopher_auth_client_create", unsafe {
            gopher_auth_client_create(&mut handle, uri.as_ptr(), iss.as_ptr())
        })?;
        Ok(Client(handle))
    }

    pub fn set_option(&self, name: &str, value: &str) -> Result<(), CallFailed> {
        let (n, v) = (cstring(name), cstring(value));
        // SAFETY: live handle, NUL-terminated strings.
        check("gopher_auth_client_set_option", unsafe {
            gopher_auth_client_set_option(self.0, n.as_ptr(), v.as_ptr())
        })
    }

    pub fn load_jwks(&self, jwks_json: &str) -> Result<(), CallFailed> {
        let j = cstring(jwks_json);
        // SAFETY: live handle, NUL-terminated string.
        check("gopher_auth_client_load_jwks", unsafe {
            gopher_auth_client_load_jwks(self.0, j.as_ptr())
        })
    }

    /// Trusts `issuer` too, with the static keys of `jwks_json`.
    pub fn add_static_issuer(&self, issuer: &str, jwks_json: &str) -> Result<(), CallFailed> {
        let (i, empty, j) = (cstring(issuer), cstring(""), cstring(jwks_json));
        // SAFETY: live handle, NUL-terminated strings.
        check("gopher_auth_client_add_issuer", unsafe {
            gopher_auth_client_add_issuer(self.0, i.as_ptr(), empty.as_ptr())
        })?;
        // SAFETY: as above.
        check("gopher_auth_client_load_issuer_jwks", unsafe {
            gopher_auth_client_load_issuer_jwks(self.0, i.as_ptr(), j.as_ptr())
        })
    }

    /// `gopher_auth_validate_token`; returns the error code (0 = valid).
    #[inline]
    pub fn validate(&self, token: &CStr, options: &Options) -> i32 {
        let mut result = ValidationResult::empty();
        // SAFETY: live handles, NUL-terminated token, valid out-pointer.
        unsafe { gopher_auth_validate_token(self.0, token.as_ptr(), options.0, &mut result) }
    }

    /// `gopher_auth_validate_and_extract` followed by `gopher_auth_payload_destroy`.
    #[inline]
    pub fn validate_and_extract(&self, token: &CStr, options: &Options) -> i32 {
        let mut result = ValidationResult::empty();
        let mut payload = ptr::null_mut();
        // SAFETY: live handles, NUL-terminated token, valid out-pointers; the payload is
        // released right away and only when one was handed out.
        unsafe {
            let code = gopher_auth_validate_and_extract(
                self.0,
                token.as_ptr(),
                options.0,
                &mut result,
                &mut payload,
            );
            if !payload.is_null() {
                gopher_auth_payload_destroy(payload);
            }
            code
        }
    }

    /// The message of the last failure on this thread (for a readable abort).
    pub fn last_error() -> String {
        // SAFETY: see `check`.
        unsafe { CStr::from_ptr(gopher_auth_last_error_message()) }
            .to_string_lossy()
            .into_owned()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: the handle was created by gopher_auth_client_create and is destroyed once.
        unsafe { gopher_auth_client_destroy(self.0) };
    }
}

/// An owned `gopher_auth_validation_options_t*`.
pub struct Options(*mut c_void);

impl Options {
    pub fn new(
        audience: &str,
        scopes: &str,
        clock_skew: i64,
        now: i64,
    ) -> Result<Options, CallFailed> {
        let mut handle = ptr::null_mut();
        // SAFETY: valid out-pointer.
        check("gopher_auth_validation_options_create", unsafe {
            gopher_auth_validation_options_create(&mut handle)
        })?;
        let options = Options(handle);
        let (aud, sc) = (cstring(audience), cstring(scopes));
        // SAFETY: live handle, NUL-terminated strings.
        unsafe {
            check(
                "…_set_audience",
                gopher_auth_validation_options_set_audience(handle, aud.as_ptr()),
            )?;
            check(
                "…_set_scopes",
                gopher_auth_validation_options_set_scopes(handle, sc.as_ptr()),
            )?;
            check(
                "…_set_clock_skew",
                gopher_auth_validation_options_set_clock_skew(handle, clock_skew),
            )?;
            check(
                "…_set_time",
                gopher_auth_validation_options_set_time(handle, now),
            )?;
        }
        Ok(options)
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: created by gopher_auth_validation_options_create, destroyed once.
        unsafe { gopher_auth_validation_options_destroy(self.0) };
    }
}
