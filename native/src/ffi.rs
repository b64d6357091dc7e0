//! Raw-pointer handling for the C ABI, in one place: NULL checks, C strings in and out,
//! opaque handles, and the thread-local error message storage.
//!
//! Ownership rules (mirrors `include/gopher_auth.h`):
//! - strings handed out are `CString::into_raw` and come back only via `gopher_auth_free_string`;
//! - handles are `Box::into_raw` and come back only via their `*_destroy` function; destroying
//!   a handle twice, or using it after destroy, is the caller's bug and cannot be detected;
//! - the thread's last error message (also the `error_message` of a validation result) lives
//!   until the next call into the library on the same thread.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};

use crate::error::{Error, ErrorCode, Result};

/// Longest message kept for C (the header promises at most 512 bytes including the NUL).
pub const MAX_MESSAGE_BYTES: usize = 511;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

static EMPTY: &CStr = c"";

// The storage is reached with `try_with`: a C thread may call in from its own thread-exit
// destructors (pthread keys), after this thread-local was destroyed; `with` would panic
// there, outside any panic barrier. Without storage the message is simply "".

/// Replaces the thread's last error with a sanitized, bounded copy of `message`.
pub fn set_last_error(message: &str) {
    let c = sanitize(message);
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = Some(c);
        }
    });
}

/// Forgets the thread's last error (cheap when there is none).
pub fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            if slot.is_some() {
                *slot = None;
            }
        }
    });
}

/// The thread's last error message, or "" — valid until the next call on this thread.
pub fn last_error_ptr() -> *const c_char {
    LAST_ERROR
        .try_with(|cell| match cell.try_borrow().as_deref() {
            Ok(Some(c)) => c.as_ptr(),
            _ => EMPTY.as_ptr(),
        })
        .unwrap_or(EMPTY.as_ptr())
}

/// Control characters become '?', the text is cut (on a char boundary) to
/// [`MAX_MESSAGE_BYTES`], so the result is always a valid C string.
pub fn sanitize(message: &str) -> CString {
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE_BYTES));
    for ch in message.chars() {
        let ch = if ch.is_control() { '?' } else { ch };
        if out.len() + ch.len_utf8() > MAX_MESSAGE_BYTES {
            break;
        }
        out.push(ch);
    }
    // No NUL can remain (it is a control character), so this cannot fail.
    CString::new(out).unwrap_or_default()
}

fn null(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidParameter,
        format!("{what} must not be NULL"),
    )
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety contract (upheld by the C caller)
/// `ptr` is NULL or points to a NUL-terminated string that outlives the call.
pub(crate) fn str_arg<'a>(ptr: *const c_char, what: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: non-NULL and NUL-terminated per the header's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        Error::new(
            ErrorCode::InvalidParameter,
            format!(
                "{what} is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// An optional string argument: NULL → None.
pub(crate) fn opt_str_arg<'a>(ptr: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        str_arg(ptr, what).map(Some)
    }
}

/// A shared reference to the object behind an opaque handle.
pub(crate) fn handle_ref<'a, T>(ptr: *const T, what: &str) -> Result<&'a T> {
    // SAFETY: a non-NULL handle was produced by `into_handle` and not yet destroyed
    // (the header's contract).
    unsafe { ptr.as_ref() }.ok_or_else(|| null(what))
}

/// An exclusive reference (setters; the header forbids concurrent modification).
pub(crate) fn handle_mut<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: as `handle_ref`; exclusivity is the caller's documented obligation.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(what))
}

/// Moves `value` to the heap and hands out the raw pointer.
pub fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back a handle for destruction.
pub(crate) fn take_handle<T>(ptr: *mut T, what: &str) -> Result<Box<T>> {
    if ptr.is_null() {
        return Err(null(what));
    }
    // SAFETY: produced by `into_handle` and destroyed only once (caller's contract).
    Ok(unsafe { Box::from_raw(ptr) })
}

/// An out-parameter slot; NULL → INVALID_PARAMETER.
pub(crate) fn out_slot<'a, T>(ptr: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: the caller passes a pointer to writable storage for one T, or NULL.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(what))
}

/// Hands out a string (caller frees with `gopher_auth_free_string`). Interior NULs cannot be
/// represented in C; such a value is refused rather than silently truncated.
pub fn string_out(value: &str) -> Result<*mut c_char> {
    CString::new(value).map(CString::into_raw).map_err(|_| {
        Error::new(
            ErrorCode::InvalidToken,
            "the value contains a NUL character and cannot be returned as a C string",
        )
    })
}

/// Releases a string produced by [`string_out`].
pub(crate) fn free_string(ptr: *mut c_char) {
    if !ptr.is_null() {
        // SAFETY: produced by `CString::into_raw` in `string_out` (caller's contract).
        drop(unsafe { CString::from_raw(ptr) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_bounds_and_cleans() {
        assert_eq!(sanitize("a\nb\0c\u{7f}").to_str().unwrap(), "a?b?c?");
        let long = sanitize(&"é".repeat(1000));
        assert!(long.as_bytes().len() <= MAX_MESSAGE_BYTES);
        assert!(long.to_str().is_ok(), "cut on a char boundary");
    }

    #[test]
    fn strings_round_trip() {
        let s = c"héllo";
        assert_eq!(str_arg(s.as_ptr(), "x").unwrap(), "héllo");
        assert_eq!(
            str_arg(std::ptr::null(), "x").unwrap_err().code,
            ErrorCode::InvalidParameter
        );
        assert_eq!(opt_str_arg(std::ptr::null(), "x").unwrap(), None);
        let bad = CString::new(vec![0xc3u8]).unwrap();
        assert_eq!(
            str_arg(bad.as_ptr(), "x").unwrap_err().code,
            ErrorCode::InvalidParameter
        );
        let out = string_out("value").unwrap();
        free_string(out);
        free_string(std::ptr::null_mut());
        assert!(string_out("a\0b").is_err());
    }
}
