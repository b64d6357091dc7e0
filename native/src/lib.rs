//! gopher-orch: validates JWT access tokens against an identity provider's JWKS.
//!
//! Layout (see `shared/DESIGN.md` §3): the safe core (`error`, `alg`, `b64`, `json`, `jwk`,
//! `jwt`, `claims`, `www_authenticate`, `fetch`, `keystore`, `cache`, `client`) knows nothing
//! of C; `panic` + `ffi` hold the unsafe boundary; `capi::*` maps one C concept per file.

pub mod alg;
pub mod b64;
pub mod claims;
pub mod crypto;
pub mod error;
pub mod json;
pub mod jwk;
pub mod jwt;
pub mod www_authenticate;
