//! gopher_auth_validate_token / validate_and_extract / extract_payload.

use std::ffi::c_char;
use std::sync::{Arc, OnceLock};

use crate::capi::client::GopherAuthClient;
use crate::capi::options::GopherAuthValidationOptions;
use crate::capi::payload::GopherAuthTokenPayload;
use crate::client::{defaults, Client};
use crate::error::Result;
use crate::ffi::{self, handle_ref, into_handle, out_slot, str_arg};
use crate::options::ValidationOptions;
use crate::{ffi_fn, jwt, panic};

/// `gopher_auth_validation_result_t`.
#[repr(C)]
pub struct GopherAuthValidationResult {
    pub valid: bool,
    pub error_code: i32,
    /// NULL when valid; else the thread's last error message (library-owned).
    pub error_message: *const c_char,
}

fn default_options() -> &'static ValidationOptions {
    static DEFAULT: OnceLock<ValidationOptions> = OnceLock::new();
    DEFAULT.get_or_init(ValidationOptions::default)
}

/// The shared part of both validate functions: arguments → `Client::validate`.
fn run(
    client: *mut GopherAuthClient,
    token: *const c_char,
    options: *const GopherAuthValidationOptions,
) -> Result<crate::client::Verdict> {
    let client: &Client = handle_ref(client, "client")?;
    let token = str_arg(token, "token")?;
    let options = if options.is_null() {
        default_options()
    } else {
        handle_ref(options, "options")?
    };
    client.validate_verdict(token, options)
}

/// Writes the verdict into `*result` (if non-NULL) after the guarded body ran.
fn finish(result: *mut GopherAuthValidationResult, code: i32) -> i32 {
    // SAFETY: NULL or a writable result struct (header contract).
    if let Some(r) = unsafe { result.as_mut() } {
        r.valid = code == 0;
        r.error_code = code;
        r.error_message = if code == 0 {
            std::ptr::null()
        } else {
            ffi::last_error_ptr()
        };
    }
    code
}

#[no_mangle]
pub extern "C" fn gopher_auth_validate_token(
    client: *mut GopherAuthClient,
    token: *const c_char,
    options: *const GopherAuthValidationOptions,
    result: *mut GopherAuthValidationResult,
) -> i32 {
    let code = panic::guard("gopher_auth_validate_token", || {
        out_slot(result, "result")?;
        run(client, token, options).map(drop)
    });
    finish(result, code)
}

#[no_mangle]
pub extern "C" fn gopher_auth_validate_and_extract(
    client: *mut GopherAuthClient,
    token: *const c_char,
    options: *const GopherAuthValidationOptions,
    result: *mut GopherAuthValidationResult,
    out_payload: *mut *mut GopherAuthTokenPayload,
) -> i32 {
    let code = panic::guard("gopher_auth_validate_and_extract", || {
        let out = out_slot(out_payload, "out_payload")?;
        *out = std::ptr::null_mut();
        out_slot(result, "result")?;
        let verdict = run(client, token, options)?;
        *out = into_handle(GopherAuthTokenPayload {
            claims: verdict.claims,
            scopes: verdict.scopes,
        });
        Ok(())
    });
    finish(result, code)
}

ffi_fn! {
    /// DIAGNOSTICS ONLY: decodes the payload without verifying anything. Tokens up to the
    /// largest `max_token_bytes` (1 MiB) are accepted.
    fn gopher_auth_extract_payload(token: *const c_char, out_payload: *mut *mut GopherAuthTokenPayload) {
        let out = out_slot(out_payload, "out_payload")?;
        *out = std::ptr::null_mut();
        let token = str_arg(token, "token")?;
        let claims = jwt::decode_unverified_claims(token, defaults::MAX_TOKEN_BYTES_RANGE.1 as usize)?;
        *out = into_handle(GopherAuthTokenPayload { claims: Arc::new(claims), scopes: None });
        Ok(())
    }
}
