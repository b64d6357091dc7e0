//! gopher-orch: validates JWT access tokens against an identity provider's JWKS.
//!
//! Layout (see `shared/DESIGN.md` §3): the safe core (`error`, `alg`, `b64`, `json`, `header`,
//! `payload`, `jwk`, `jwt`, `claims`, `www_authenticate`, `fetch`, `keystore`, `cache`, `client`) knows nothing
//! of C; `panic` + `ffi` hold the unsafe boundary; `capi::*` maps one C concept per file.

pub mod alg;
pub mod b64;
pub mod claims;
pub mod crypto;
pub mod error;
pub mod header;
pub mod json;
pub mod jwk;
pub mod jwt;
pub mod payload;
pub mod policy;
pub mod www_authenticate;

// Key fetching, key store, verified-token cache and the safe client.
pub mod cache;
pub mod client;
pub mod discovery;
pub mod fetch;
pub mod introspection;
pub mod keystore;
pub mod options;

// The C ABI: the unsafe boundary (panic + ffi) and one module per exposed concept.
pub mod capi;
pub mod ffi;
pub mod panic;
