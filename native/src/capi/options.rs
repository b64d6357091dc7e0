//! gopher_auth_validation_options_*.

use std::ffi::c_char;

use crate::ffi::{handle_mut, into_handle, out_slot, str_arg, take_handle};
use crate::ffi_fn;
use crate::options::ValidationOptions;

/// The opaque `gopher_auth_validation_options_t`.
pub type GopherAuthValidationOptions = ValidationOptions;

ffi_fn! {
    fn gopher_auth_validation_options_create(out_options: *mut *mut GopherAuthValidationOptions) {
        let out = out_slot(out_options, "out_options")?;
        *out = into_handle(ValidationOptions::default());
        Ok(())
    }
}

/// Frees the options. Success keeps the thread's last error (see
/// [`crate::panic::guard_keeping_error`]).
#[no_mangle]
pub extern "C" fn gopher_auth_validation_options_destroy(
    options: *mut GopherAuthValidationOptions,
) -> i32 {
    crate::panic::guard_keeping_error("gopher_auth_validation_options_destroy", || {
        drop(take_handle(options, "options")?);
        Ok(())
    })
}

ffi_fn! {
    fn gopher_auth_validation_options_set_scopes(options: *mut GopherAuthValidationOptions, scopes: *const c_char) {
        handle_mut(options, "options")?.set_scopes(str_arg(scopes, "scopes")?)
    }
}

ffi_fn! {
    fn gopher_auth_validation_options_set_audience(options: *mut GopherAuthValidationOptions, audience: *const c_char) {
        handle_mut(options, "options")?.set_audience(str_arg(audience, "audience")?)
    }
}

ffi_fn! {
    fn gopher_auth_validation_options_set_audiences(options: *mut GopherAuthValidationOptions, audiences_json: *const c_char) {
        handle_mut(options, "options")?.set_audiences(str_arg(audiences_json, "audiences_json")?)
    }
}

ffi_fn! {
    fn gopher_auth_validation_options_set_clock_skew(options: *mut GopherAuthValidationOptions, seconds: i64) {
        handle_mut(options, "options")?.set_clock_skew(seconds)
    }
}

ffi_fn! {
    fn gopher_auth_validation_options_set_time(options: *mut GopherAuthValidationOptions, unix_seconds: i64) {
        handle_mut(options, "options")?.set_time(unix_seconds)
    }
}
