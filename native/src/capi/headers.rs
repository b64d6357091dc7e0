//! gopher_auth_generate_www_authenticate (RFC 6750 §3) and its MCP / RFC 9728 form `_v2`.

use std::ffi::c_char;

use crate::ffi::{opt_str_arg, out_slot, string_out};
use crate::{ffi_fn, www_authenticate};

ffi_fn! {
    fn gopher_auth_generate_www_authenticate(realm: *const c_char, error: *const c_char, description: *const c_char, out: *mut *mut c_char) {
        let out = out_slot(out, "out")?;
        *out = std::ptr::null_mut();
        let value = www_authenticate::render(
            opt_str_arg(realm, "realm")?,
            None,
            None,
            opt_str_arg(error, "error")?,
            opt_str_arg(description, "description")?,
        )?;
        *out = string_out(&value)?;
        Ok(())
    }
}

ffi_fn! {
    fn gopher_auth_generate_www_authenticate_v2(
        realm: *const c_char,
        resource_metadata: *const c_char,
        scope: *const c_char,
        error: *const c_char,
        description: *const c_char,
        out: *mut *mut c_char,
    ) {
        let out = out_slot(out, "out")?;
        *out = std::ptr::null_mut();
        let value = www_authenticate::render(
            opt_str_arg(realm, "realm")?,
            opt_str_arg(resource_metadata, "resource_metadata")?,
            opt_str_arg(scope, "scope")?,
            opt_str_arg(error, "error")?,
            opt_str_arg(description, "description")?,
        )?;
        *out = string_out(&value)?;
        Ok(())
    }
}
