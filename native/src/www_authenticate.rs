//! RFC 6750 §3 WWW-Authenticate values.
//! INTERFACE STUB (added by the client/C-ABI work so it compiles) — the JOSE-core branch owns
//! and implements this file; its version replaces this one on merge.

use crate::error::Result;

/// Renders `Bearer realm="…", resource_metadata="…", scope="…", error="…", error_description="…"`
/// with NULL/empty parameters omitted.
pub fn render(
    realm: Option<&str>,
    resource_metadata: Option<&str>,
    scope: Option<&str>,
    error: Option<&str>,
    description: Option<&str>,
) -> Result<String> {
    let _ = (realm, resource_metadata, scope, error, description);
    todo!()
}
