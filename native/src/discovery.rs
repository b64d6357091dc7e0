//! Authorization-server metadata discovery: OpenID Connect Discovery 1.0
//! (`<issuer>/.well-known/openid-configuration`) and RFC 8414
//! (`/.well-known/oauth-authorization-server` inserted before the issuer's path), fetched
//! with the same transport rules as a JWKS (`fetch::fetch`: https only except loopback, no
//! redirects, size and time limits). The document's `issuer` must equal the configured issuer
//! byte for byte (RFC 8414 §3.3, OIDC Discovery §4.3), else a configuration error naming both.
//!
//! Used by the key store of an issuer configured for discovery (`KeyStore::discovering`,
//! `Client::discover_issuer`): on its fetching thread, single-flight, cached.

#![forbid(unsafe_code)]

use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value};

use crate::error::{quote, Error, ErrorCode, Result};
use crate::fetch::{self, FetchSettings, JwksUrl};

/// Largest metadata document accepted.
pub const MAX_METADATA_BYTES: usize = 256 * 1024;

/// The two metadata URLs of `issuer`, in the order they are tried: OpenID Connect Discovery,
/// then RFC 8414. INVALID_CONFIG when the issuer is not an absolute http(s) URL without query
/// or fragment (RFC 8414 §2).
pub fn metadata_urls(issuer: &str) -> Result<[JwksUrl; 2]> {
    let parsed = JwksUrl::parse(issuer).map_err(|e| {
        Error::new(
            ErrorCode::InvalidConfig,
            format!(
                "the issuer {} cannot be discovered: {}",
                quote(issuer, 128),
                e.message
            ),
        )
    })?;
    if parsed.target.contains('?') {
        return Err(Error::new(
            ErrorCode::InvalidConfig,
            format!(
                "the issuer {} has a query; an issuer identifier has none (RFC 8414 §2)",
                quote(issuer, 128)
            ),
        ));
    }
    let base = issuer.trim_end_matches('/');
    let oidc = JwksUrl::parse(&format!("{base}/.well-known/openid-configuration"))?;
    // scheme://authority + /.well-known/oauth-authorization-server + path (without the
    // trailing slash; "/" alone is no path).
    let path = parsed.target.trim_end_matches('/');
    let after_scheme = issuer.find("://").map_or(0, |i| i + 3);
    let origin = issuer[after_scheme..]
        .find('/')
        .map_or(issuer, |i| &issuer[..after_scheme + i]);
    let rfc8414 = JwksUrl::parse(&format!(
        "{origin}/.well-known/oauth-authorization-server{path}"
    ))?;
    Ok([oidc, rfc8414])
}

/// Checks a metadata document fetched from `url` for `issuer`: a JSON object whose `issuer`
/// equals `issuer` byte for byte.
pub fn checked_metadata(
    document: &[u8],
    issuer: &str,
    url: &JwksUrl,
) -> Result<Map<String, Value>> {
    let map = crate::json::parse_object(document).map_err(|e| {
        Error::new(
            ErrorCode::JwksFetchFailed,
            format!("the metadata at {} is not a JSON object: {e}", url.text),
        )
    })?;
    match map.get("issuer") {
        Some(Value::String(found)) if found == issuer => {}
        Some(Value::String(found)) => {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "the metadata at {} names the issuer {}, but the configured issuer is {}: \
                     they must be equal byte for byte (RFC 8414 §3.3; mind a trailing slash)",
                    url.text,
                    quote(found, 128),
                    quote(issuer, 128)
                ),
            ))
        }
        _ => {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "the metadata at {} has no issuer string (expected {})",
                    url.text,
                    quote(issuer, 128)
                ),
            ))
        }
    }
    Ok(map)
}

/// Checks a metadata document fetched from `url` for `issuer` and returns its `jwks_uri`.
pub fn jwks_uri_from(document: &[u8], issuer: &str, url: &JwksUrl) -> Result<JwksUrl> {
    let map = checked_metadata(document, issuer, url)?;
    match map.get("jwks_uri") {
        Some(Value::String(uri)) => JwksUrl::parse(uri),
        _ => Err(Error::new(
            ErrorCode::InvalidConfig,
            format!("the metadata at {} has no jwks_uri string", url.text),
        )),
    }
}

/// Resolves `issuer` to its `jwks_uri`: OpenID Connect Discovery first, then RFC 8414. A
/// document that names another issuer is INVALID_CONFIG at once (the issuer is misconfigured,
/// the other location would not fix it); fetch failures of both locations give the first
/// one's error.
pub fn discover(
    issuer: &str,
    settings: &FetchSettings,
    cancel: Option<&AtomicBool>,
) -> Result<JwksUrl> {
    discover_with(issuer, settings, cancel, jwks_uri_from)
}

/// The `introspection_endpoint` (RFC 8414 §2) of a metadata document fetched from `url`.
pub fn introspection_endpoint_from(
    document: &[u8],
    issuer: &str,
    url: &JwksUrl,
) -> Result<JwksUrl> {
    let map = checked_metadata(document, issuer, url)?;
    match map.get("introspection_endpoint") {
        Some(Value::String(uri)) => JwksUrl::parse(uri),
        _ => Err(Error::new(
            ErrorCode::InvalidConfig,
            format!(
                "the metadata at {} has no introspection_endpoint string: configure the \
                 introspection endpoint explicitly",
                url.text
            ),
        )),
    }
}

/// Resolves `issuer` to the URL `pick` reads from its metadata: OpenID Connect Discovery
/// first, then RFC 8414 (as [`discover`]).
pub fn discover_with(
    issuer: &str,
    settings: &FetchSettings,
    cancel: Option<&AtomicBool>,
    pick: fn(&[u8], &str, &JwksUrl) -> Result<JwksUrl>,
) -> Result<JwksUrl> {
    let settings = FetchSettings {
        max_bytes: settings.max_bytes.min(MAX_METADATA_BYTES),
        ..settings.clone()
    };
    let mut first_error: Option<Error> = None;
    for url in metadata_urls(issuer)? {
        match fetch::fetch(&url, &settings, cancel) {
            Ok(body) => return pick(&body, issuer, &url),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| Error::new(ErrorCode::JwksFetchFailed, "no metadata")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(issuer: &str) -> (String, String) {
        let [a, b] = metadata_urls(issuer).unwrap();
        (a.text, b.text)
    }

    #[test]
    fn metadata_locations() {
        assert_eq!(
            urls("https://example.auth0.com/"),
            (
                "https://example.auth0.com/.well-known/openid-configuration".into(),
                "https://example.auth0.com/.well-known/oauth-authorization-server".into()
            )
        );
        assert_eq!(
            urls("https://kc.example/realms/mcp"),
            (
                "https://kc.example/realms/mcp/.well-known/openid-configuration".into(),
                "https://kc.example/.well-known/oauth-authorization-server/realms/mcp".into()
            )
        );
        assert_eq!(
            urls("https://sts.windows.net/tid/"),
            (
                "https://sts.windows.net/tid/.well-known/openid-configuration".into(),
                "https://sts.windows.net/.well-known/oauth-authorization-server/tid".into()
            )
        );
        assert_eq!(
            urls("http://127.0.0.1:8080"),
            (
                "http://127.0.0.1:8080/.well-known/openid-configuration".into(),
                "http://127.0.0.1:8080/.well-known/oauth-authorization-server".into()
            )
        );
        for bad in ["", "issuer", "ftp://x/", "https://x/?q=1", "https://x/#f"] {
            assert_eq!(
                metadata_urls(bad).unwrap_err().code,
                ErrorCode::InvalidConfig,
                "{bad}"
            );
        }
    }

    #[test]
    fn documents_must_name_the_issuer_exactly() {
        let url = JwksUrl::parse("https://idp.example/.well-known/openid-configuration").unwrap();
        let ok = br#"{"issuer":"https://idp.example/","jwks_uri":"https://idp.example/keys"}"#;
        assert_eq!(
            jwks_uri_from(ok, "https://idp.example/", &url)
                .unwrap()
                .text,
            "https://idp.example/keys"
        );
        let e = jwks_uri_from(ok, "https://idp.example", &url).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert!(
            e.message.contains("\"https://idp.example/\"")
                && e.message.contains("\"https://idp.example\""),
            "{}",
            e.message
        );
        for bad in [
            &br#"{"jwks_uri":"https://idp.example/keys"}"#[..],
            br#"{"issuer":["https://idp.example/"],"jwks_uri":"https://idp.example/keys"}"#,
            br#"{"issuer":"https://idp.example/"}"#,
            br#"{"issuer":"https://idp.example/","jwks_uri":"ftp://x"}"#,
        ] {
            assert_eq!(
                jwks_uri_from(bad, "https://idp.example/", &url)
                    .unwrap_err()
                    .code,
                ErrorCode::InvalidConfig
            );
        }
        for bad in [&b"[]"[..], b"{", b"{\"issuer\":1,\"issuer\":2}"] {
            assert_eq!(
                jwks_uri_from(bad, "https://idp.example/", &url)
                    .unwrap_err()
                    .code,
                ErrorCode::JwksFetchFailed
            );
        }
    }
}
