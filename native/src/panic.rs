//! The panic barrier of the C ABI: every `extern "C"` function runs its body through
//! [`guard`] (or [`guard_with`]), so no panic ever unwinds into C. A caught panic becomes
//! `GOPHER_AUTH_ERROR_INTERNAL_ERROR` with a message on the calling thread.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, ErrorCode};
use crate::ffi;

/// Runs `body`; `Ok` → 0 (and the thread's last error is cleared), `Err(e)` → `e.code` (and
/// `e.message` becomes the thread's last error), panic → INTERNAL_ERROR.
pub fn guard<F>(function: &'static str, body: F) -> i32
where
    F: FnOnce() -> Result<(), Error>,
{
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            ffi::clear_last_error();
            ErrorCode::Success as i32
        }
        Ok(Err(error)) => {
            ffi::set_last_error(&error.message);
            error.code as i32
        }
        Err(_) => internal_error(function),
    }
}

/// As [`guard`], but success leaves the thread's last error as it is. For the `*_destroy`
/// functions: a binding's garbage collector may destroy a handle between a failed call and the
/// moment the caller reads that call's message (`error_message` of a validation result, or
/// `gopher_auth_last_error_message`); clearing it there would free the text being read.
pub fn guard_keeping_error<F>(function: &'static str, body: F) -> i32
where
    F: FnOnce() -> Result<(), Error>,
{
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ErrorCode::Success as i32,
        Ok(Err(error)) => {
            ffi::set_last_error(&error.message);
            error.code as i32
        }
        Err(_) => internal_error(function),
    }
}

/// As [`guard`] for bodies that must produce a value other than a code (e.g. a pointer);
/// `fallback` is returned when the body panics.
pub fn guard_with<T, F>(function: &'static str, fallback: T, body: F) -> T
where
    F: FnOnce() -> T,
{
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(value) => value,
        Err(_) => {
            internal_error(function);
            fallback
        }
    }
}

fn internal_error(function: &'static str) -> i32 {
    // Setting the message allocates; a second panic here must not escape either.
    let _ = catch_unwind(|| {
        ffi::set_last_error(&format!(
            "internal error in {function}: the library caught a panic (please report this bug)"
        ))
    });
    ErrorCode::InternalError as i32
}

/// Declares an `extern "C"` function returning `int32_t` whose body is a
/// `Result<(), Error>` expression, wrapped in [`guard`] under the function's own name.
#[macro_export]
macro_rules! ffi_fn {
    ($(#[$meta:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        #[no_mangle]
        pub extern "C" fn $name($($arg: $ty),*) -> i32 {
            $crate::panic::guard(stringify!($name), || -> ::std::result::Result<(), $crate::error::Error> { $body })
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last() -> String {
        // SAFETY: the pointer is valid until the next library call on this thread.
        unsafe { CStr::from_ptr(ffi::last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn codes_messages_and_caught_panics() {
        assert_eq!(
            guard("f", || Err(Error::new(
                ErrorCode::InvalidConfig,
                "bad option"
            ))),
            -1009
        );
        assert_eq!(last(), "bad option");
        assert_eq!(guard("f", || Ok(())), 0);
        assert_eq!(last(), "");
        let code = guard("my_function", || panic!("boom"));
        assert_eq!(code, ErrorCode::InternalError as i32);
        assert!(last().contains("my_function"), "{}", last());
        assert_eq!(guard_with("g", 42, || panic!("boom")), 42);
    }
}
