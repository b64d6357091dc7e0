//! gopher_auth_client_create / destroy / set_option / load_jwks.

use std::ffi::c_char;

use crate::capi::lifecycle::require_initialized;
use crate::client::Client;
use crate::ffi::{handle_ref, into_handle, out_slot, str_arg, take_handle};
use crate::ffi_fn;

/// The opaque `gopher_auth_client_t`.
pub type GopherAuthClient = Client;

ffi_fn! {
    fn gopher_auth_client_create(out_client: *mut *mut GopherAuthClient, jwks_uri: *const c_char, issuer: *const c_char) {
        let out = out_slot(out_client, "out_client")?;
        *out = std::ptr::null_mut();
        let jwks_uri = str_arg(jwks_uri, "jwks_uri")?;
        let issuer = str_arg(issuer, "issuer")?;
        require_initialized()?;
        *out = into_handle(Client::new(jwks_uri, issuer)?);
        Ok(())
    }
}

/// Stops the background refresh (bounded wait) and frees the client. Success keeps the
/// thread's last error (see [`crate::panic::guard_keeping_error`]).
#[no_mangle]
pub extern "C" fn gopher_auth_client_destroy(client: *mut GopherAuthClient) -> i32 {
    crate::panic::guard_keeping_error("gopher_auth_client_destroy", || {
        drop(take_handle(client, "client")?);
        Ok(())
    })
}

ffi_fn! {
    fn gopher_auth_client_set_option(client: *mut GopherAuthClient, name: *const c_char, value: *const c_char) {
        let client = handle_ref(client, "client")?;
        client.set_option(str_arg(name, "option name")?, str_arg(value, "option value")?)
    }
}

ffi_fn! {
    fn gopher_auth_client_load_jwks(client: *mut GopherAuthClient, jwks_json: *const c_char) {
        let client = handle_ref(client, "client")?;
        client.load_jwks(str_arg(jwks_json, "jwks_json")?)
    }
}

ffi_fn! {
    fn gopher_auth_client_add_issuer(client: *mut GopherAuthClient, issuer: *const c_char, jwks_uri: *const c_char) {
        let client = handle_ref(client, "client")?;
        client.add_issuer(str_arg(issuer, "issuer")?, str_arg(jwks_uri, "jwks_uri")?)
    }
}

ffi_fn! {
    fn gopher_auth_client_load_issuer_jwks(client: *mut GopherAuthClient, issuer: *const c_char, jwks_json: *const c_char) {
        let client = handle_ref(client, "client")?;
        client.load_issuer_jwks(str_arg(issuer, "issuer")?, str_arg(jwks_json, "jwks_json")?)
    }
}

ffi_fn! {
    fn gopher_auth_client_discover_issuer(client: *mut GopherAuthClient, issuer: *const c_char) {
        let client = handle_ref(client, "client")?;
        client.discover_issuer(str_arg(issuer, "issuer")?)
    }
}

ffi_fn! {
    fn gopher_auth_client_set_introspection(client: *mut GopherAuthClient, endpoint: *const c_char, client_id: *const c_char, client_secret: *const c_char) {
        let client = handle_ref(client, "client")?;
        client.set_introspection(
            str_arg(endpoint, "endpoint")?,
            str_arg(client_id, "client_id")?,
            str_arg(client_secret, "client_secret")?,
        )
    }
}
