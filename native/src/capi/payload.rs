//! gopher_auth_payload_*: read-only views of a token's claims.

use std::ffi::c_char;
use std::sync::Arc;

use crate::claims::Claims;
use crate::error::Result;
use crate::ffi::{handle_ref, out_slot, string_out, take_handle};
use crate::ffi_fn;

/// The opaque `gopher_auth_token_payload_t`: shared claims (cheap to hand out from the cache),
/// and the scopes granted under the client's scope policy when it is not the default one.
pub struct GopherAuthTokenPayload {
    pub claims: Arc<Claims>,
    pub scopes: Option<Vec<String>>,
}

impl GopherAuthTokenPayload {
    fn granted(&self) -> &[String] {
        self.scopes.as_deref().unwrap_or(&self.claims.scopes)
    }
}

/// Writes `value` (or NULL) to `*out`; `*out` is NULL on any failure.
fn string_getter(
    payload: *const GopherAuthTokenPayload,
    out: *mut *mut c_char,
    value: impl FnOnce(&Claims) -> Option<String>,
) -> Result<()> {
    payload_getter(payload, out, |p| value(&p.claims))
}

fn payload_getter(
    payload: *const GopherAuthTokenPayload,
    out: *mut *mut c_char,
    value: impl FnOnce(&GopherAuthTokenPayload) -> Option<String>,
) -> Result<()> {
    let out = out_slot(out, "out")?;
    *out = std::ptr::null_mut();
    let payload = handle_ref(payload, "payload")?;
    if let Some(v) = value(payload) {
        *out = string_out(&v)?;
    }
    Ok(())
}

fn joined(list: &[String]) -> Option<String> {
    if list.is_empty() {
        None
    } else {
        Some(list.join(" "))
    }
}

ffi_fn! {
    fn gopher_auth_payload_get_subject(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        string_getter(payload, out, |c| c.subject.clone())
    }
}

/// A JSON array of strings (always an array, `[]` when empty).
fn json_list(list: &[String]) -> Option<String> {
    Some(serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned()))
}

ffi_fn! {
    /// Granted scopes (under the client's scope policy for a verified token) as a JSON array
    /// of strings, each an RFC 6749 scope-token; `[]` when none.
    fn gopher_auth_payload_get_scopes_json(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        payload_getter(payload, out, |p| json_list(p.granted()))
    }
}

ffi_fn! {
    /// `aud` as a JSON array of strings; `[]` when absent or ill-typed.
    fn gopher_auth_payload_get_audience_json(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        string_getter(payload, out, |c| json_list(&c.audience))
    }
}

ffi_fn! {
    /// The first present of `client_id`, `azp`, `cid`, `appid`; NULL when none or not a string.
    fn gopher_auth_payload_get_client_id(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        string_getter(payload, out, |c| c.client_id.clone())
    }
}

ffi_fn! {
    /// Granted scopes (`scope` then `scp`), space-separated, no duplicates; NULL when none.
    fn gopher_auth_payload_get_scopes(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        payload_getter(payload, out, |p| joined(p.granted()))
    }
}

ffi_fn! {
    /// `aud`; an array joined by single spaces; NULL when absent or ill-typed.
    fn gopher_auth_payload_get_audience(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        string_getter(payload, out, |c| joined(&c.audience))
    }
}

ffi_fn! {
    fn gopher_auth_payload_get_issuer(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        string_getter(payload, out, |c| c.issuer.clone())
    }
}

ffi_fn! {
    /// `exp` truncated to whole seconds (saturating); 0 when absent or not a number.
    fn gopher_auth_payload_get_expiration(payload: *const GopherAuthTokenPayload, out: *mut i64) {
        let out = out_slot(out, "out")?;
        *out = 0;
        let payload = handle_ref(payload, "payload")?;
        *out = payload.claims.expiration.filter(|e| e.is_finite()).map_or(0, |e| e.trunc() as i64);
        Ok(())
    }
}

ffi_fn! {
    fn gopher_auth_payload_get_claims_json(payload: *const GopherAuthTokenPayload, out: *mut *mut c_char) {
        string_getter(payload, out, |c| Some(c.to_json()))
    }
}

/// Frees the payload. Success keeps the thread's last error (see
/// [`crate::panic::guard_keeping_error`]).
#[no_mangle]
pub extern "C" fn gopher_auth_payload_destroy(payload: *mut GopherAuthTokenPayload) -> i32 {
    crate::panic::guard_keeping_error("gopher_auth_payload_destroy", || {
        drop(take_handle(payload, "payload")?);
        Ok(())
    })
}
