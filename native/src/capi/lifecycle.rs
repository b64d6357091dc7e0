//! gopher_auth_init / shutdown / version / abi_version / last_error_message / free_string.

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, ErrorCode, Result};
use crate::{ffi, ffi_fn, panic};

/// The ABI version of `include/gopher_auth.h` this library implements.
pub const ABI_VERSION: i32 = 3;

static INITIALIZED: AtomicBool = AtomicBool::new(false);
static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// NOT_INITIALIZED unless `gopher_auth_init` was called (and no shutdown since).
pub fn require_initialized() -> Result<()> {
    if INITIALIZED.load(Ordering::Acquire) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::NotInitialized,
            "the library is not initialised: call gopher_auth_init() first",
        ))
    }
}

ffi_fn! {
    /// Idempotent, thread-safe.
    fn gopher_auth_init() {
        INITIALIZED.store(true, Ordering::Release);
        Ok(())
    }
}

ffi_fn! {
    /// No new clients until the next init; existing handles stay valid.
    fn gopher_auth_shutdown() {
        INITIALIZED.store(false, Ordering::Release);
        Ok(())
    }
}

/// "X.Y.Z", static storage.
#[no_mangle]
pub extern "C" fn gopher_auth_version() -> *const c_char {
    VERSION.as_ptr().cast()
}

#[no_mangle]
pub extern "C" fn gopher_auth_abi_version() -> i32 {
    ABI_VERSION
}

/// The calling thread's last failure, or "" (valid until the next call on this thread).
#[no_mangle]
pub extern "C" fn gopher_auth_last_error_message() -> *const c_char {
    panic::guard_with(
        "gopher_auth_last_error_message",
        c"".as_ptr(),
        ffi::last_error_ptr,
    )
}

/// Releases a string handed out by the library; NULL is a no-op. Freeing a string twice, or
/// one not from this library, is the caller's bug (undefined behaviour, as with free()).
#[no_mangle]
pub extern "C" fn gopher_auth_free_string(s: *mut c_char) {
    panic::guard_with("gopher_auth_free_string", (), || ffi::free_string(s))
}
