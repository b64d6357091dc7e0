//! The C ABI, one file per exposed concept. Each function only converts arguments (via
//! `crate::ffi`) and calls the safe core; every body runs behind `crate::panic::guard`.

pub mod client;
pub mod headers;
pub mod lifecycle;
pub mod options;
pub mod payload;
pub mod validate;
