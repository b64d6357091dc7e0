//! The safe client: one issuer, one key source, options, and the validation pipeline
//! size cap → verified-token cache → decode → key selection (one unknown-`kid` refetch per
//! `min_refresh_interval`) → signature → claims. `Send + Sync`; validation takes no lock
//! beyond one cache shard.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::alg::AlgorithmSet;
use crate::cache::{self, TokenCache};
use crate::claims::{self, Claims, RequirementsRef};
use crate::error::{Error, ErrorCode, Result};
use crate::fetch::{FetchSettings, JwksUrl};
use crate::jwk::{self, KeySet};
use crate::jwt;
use crate::keystore::{KeyStore, StoreSettings};
use crate::options::ValidationOptions;

/// Defaults and ranges of the client options (see `gopher_auth_client_set_option`).
pub mod defaults {
    pub const CACHE_DURATION: u64 = 3600;
    pub const CACHE_DURATION_RANGE: (u64, u64) = (1, 604_800);
    pub const REQUEST_TIMEOUT: u64 = 10;
    pub const REQUEST_TIMEOUT_RANGE: (u64, u64) = (1, 300);
    pub const MIN_REFRESH_INTERVAL: u64 = 30;
    pub const MIN_REFRESH_INTERVAL_RANGE: (u64, u64) = (0, 86_400);
    pub const TOKEN_CACHE_SIZE: u64 = 10_000;
    pub const TOKEN_CACHE_SIZE_RANGE: (u64, u64) = (0, 10_000_000);
    pub const MAX_TOKEN_BYTES: u64 = 16_384;
    pub const MAX_TOKEN_BYTES_RANGE: (u64, u64) = (256, 1_048_576);
}

/// Settings read on every validation.
#[derive(Clone, Copy)]
struct HotSettings {
    max_token_bytes: usize,
    allowed: AlgorithmSet,
    /// Accept key-bound (`cnf`) tokens presented as bearer tokens.
    allow_bound: bool,
}

pub struct Client {
    issuer: String,
    store: Arc<KeyStore>,
    cache: TokenCache,
    hot: ArcSwap<HotSettings>,
}

fn config_error(option: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InvalidConfig, format!("option {option}: {why}"))
}

fn parse_number(option: &str, value: &str, (min, max): (u64, u64)) -> Result<u64> {
    let n: u64 = value.trim().parse().map_err(|_| {
        config_error(
            option,
            format!("{value:?} is not a whole number (expected {min}..{max})"),
        )
    })?;
    if !(min..=max).contains(&n) {
        return Err(config_error(
            option,
            format!("{n} is out of range (expected {min}..{max})"),
        ));
    }
    Ok(n)
}

fn parse_bool(option: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(config_error(
            option,
            format!("{value:?} is not a boolean (expected true/false or 1/0)"),
        )),
    }
}

impl Client {
    /// `jwks_uri` "" = keys only from `load_jwks`. `issuer` must be non-empty.
    pub fn new(jwks_uri: &str, issuer: &str) -> Result<Client> {
        if issuer.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "the issuer must not be empty",
            ));
        }
        if issuer.len() > 2048 {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "the issuer is longer than 2048 bytes",
            ));
        }
        let url = if jwks_uri.is_empty() {
            None
        } else {
            Some(JwksUrl::parse(jwks_uri)?)
        };
        let settings = StoreSettings {
            fetch: FetchSettings {
                timeout: Duration::from_secs(defaults::REQUEST_TIMEOUT),
                allow_insecure_http: false,
                max_bytes: jwk::MAX_JWKS_BYTES,
                tls: None,
            },
            cache_duration: Duration::from_secs(defaults::CACHE_DURATION),
            min_refresh_interval: Duration::from_secs(defaults::MIN_REFRESH_INTERVAL),
            auto_refresh: true,
        };
        Ok(Client {
            issuer: issuer.to_owned(),
            store: KeyStore::new(url, settings),
            cache: TokenCache::new(defaults::TOKEN_CACHE_SIZE as usize),
            hot: ArcSwap::from_pointee(HotSettings {
                max_token_bytes: defaults::MAX_TOKEN_BYTES as usize,
                allowed: AlgorithmSet::all(),
                allow_bound: false,
            }),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Sets one option by name (the names, defaults and ranges of the C header). Errors are
    /// INVALID_CONFIG naming the option. Fetch-related options apply from the next fetch.
    pub fn set_option(&self, name: &str, value: &str) -> Result<()> {
        use defaults::*;
        let secs = |range| parse_number(name, value, range).map(Duration::from_secs);
        match name {
            "cache_duration" => {
                let d = secs(CACHE_DURATION_RANGE)?;
                self.store.update_settings(|s| s.cache_duration = d);
            }
            "auto_refresh" => {
                let on = parse_bool(name, value)?;
                self.store.update_settings(|s| s.auto_refresh = on);
            }
            "request_timeout" => {
                let d = secs(REQUEST_TIMEOUT_RANGE)?;
                self.store.update_settings(|s| s.fetch.timeout = d);
            }
            "min_refresh_interval" => {
                let d = secs(MIN_REFRESH_INTERVAL_RANGE)?;
                self.store.update_settings(|s| s.min_refresh_interval = d);
            }
            "allow_insecure_http" => {
                let on = parse_bool(name, value)?;
                self.store
                    .update_settings(|s| s.fetch.allow_insecure_http = on);
            }
            "ca_bundle" => {
                let tls = if value.is_empty() {
                    None
                } else {
                    Some(
                        crate::fetch::tls_config_from_pem_file(Path::new(value))
                            .map_err(|e| config_error(name, e.message))?,
                    )
                };
                self.store.update_settings(|s| s.fetch.tls = tls.clone());
            }
            "token_cache_size" => {
                let n = parse_number(name, value, TOKEN_CACHE_SIZE_RANGE)? as usize;
                self.cache.set_capacity(n.min(cache::MAX_CAPACITY));
            }
            "max_token_bytes" => {
                let n = parse_number(name, value, MAX_TOKEN_BYTES_RANGE)? as usize;
                self.hot.rcu(|h| HotSettings {
                    max_token_bytes: n,
                    ..**h
                });
            }
            "allowed_algorithms" => {
                let set = AlgorithmSet::parse(value).map_err(|why| config_error(name, why))?;
                self.hot.rcu(|h| HotSettings {
                    allowed: set,
                    ..**h
                });
            }
            "allow_bound_tokens_as_bearer" => {
                let on = parse_bool(name, value)?;
                self.hot.rcu(|h| HotSettings {
                    allow_bound: on,
                    ..**h
                });
            }
            _ => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    format!(
                    "unknown option {:?} (known: cache_duration, auto_refresh, request_timeout, \
                         min_refresh_interval, token_cache_size, allow_insecure_http, ca_bundle, \
                         max_token_bytes, allowed_algorithms, allow_bound_tokens_as_bearer)",
                    name.chars().take(64).collect::<String>()
                ),
                ))
            }
        }
        Ok(())
    }

    /// Uses the keys of `jwks_json` from now on and stops fetching. INVALID_KEY when the
    /// document is not a JWK Set, too large, or has no usable key.
    pub fn load_jwks(&self, jwks_json: &str) -> Result<()> {
        let keys = KeySet::parse(jwks_json.as_bytes())
            .map_err(|e| Error::new(ErrorCode::InvalidKey, e.message))?;
        if keys.keys.is_empty() {
            let mut message = String::from("the JWK Set has no usable key");
            if !keys.skipped.is_empty() {
                message.push_str(" (skipped: ");
                message.push_str(&keys.skipped.join("; "));
                message.push(')');
            }
            return Err(Error::new(ErrorCode::InvalidKey, message));
        }
        self.store.load_static(keys);
        Ok(())
    }

    /// Validates `token`; on success returns its (shared, immutable) claims.
    pub fn validate(&self, token: &str, options: &ValidationOptions) -> Result<Arc<Claims>> {
        let hot = **self.hot.load();
        if token.len() > hot.max_token_bytes {
            return Err(Error::new(
                ErrorCode::InvalidToken,
                format!(
                    "the token is {} bytes, more than max_token_bytes ({})",
                    token.len(),
                    hot.max_token_bytes
                ),
            ));
        }
        // Borrowed: nothing of the configuration is copied per validation.
        let requirements = RequirementsRef {
            issuer: &self.issuer,
            audience: options.audience.as_deref(),
            scopes: &options.scopes,
            clock_skew: options.clock_skew,
            allow_bound: hot.allow_bound,
        };
        let now = options.now();
        if let Some(generation) = self.store.current_generation() {
            if let Some(claims) = self.cache.get(token, generation, hot.allowed) {
                if let Err(e) = claims::check_ref(&claims, requirements, now) {
                    if e.code == ErrorCode::ExpiredToken {
                        self.cache.remove(token);
                    }
                    return Err(e);
                }
                return Ok(claims);
            }
        }
        let decoded = jwt::decode(token, hot.max_token_bytes, hot.allowed)?;
        let mut snap = self.store.keys()?;
        if let Err(e) = jwt::verify(&decoded, &snap.keys) {
            if e.code != ErrorCode::InvalidKey {
                return Err(e);
            }
            snap = self
                .store
                .refetch_for_unknown_kid(snap.generation)
                .ok_or(e)?;
            jwt::verify(&decoded, &snap.keys)?;
        }
        let alg = decoded.alg;
        let claims = decoded.claims;
        claims::check_ref(&claims, requirements, now)?;
        let claims = Arc::new(claims);
        self.cache
            .insert(token, claims.clone(), snap.generation, alg);
        Ok(claims)
    }

    /// The key store (tests and diagnostics).
    pub fn key_store(&self) -> &Arc<KeyStore> {
        &self.store
    }

    /// Number of verified tokens cached (tests and diagnostics).
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.store.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::new("", "https://issuer.example").unwrap()
    }

    #[test]
    fn client_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Client>();
    }

    #[test]
    fn creation_checks_its_arguments() {
        assert_eq!(
            Client::new("", "").err().unwrap().code,
            ErrorCode::InvalidConfig
        );
        assert_eq!(
            Client::new("ftp://x", "i").err().unwrap().code,
            ErrorCode::InvalidConfig
        );
        assert!(Client::new("https://idp.example/jwks", "i").is_ok());
        assert!(
            Client::new("http://10.1.2.3/jwks", "i").is_ok(),
            "refused at fetch time, not here"
        );
    }

    #[test]
    fn options_accept_their_ranges() {
        let c = client();
        for (name, value) in [
            ("cache_duration", "1"),
            ("cache_duration", "604800"),
            ("auto_refresh", "false"),
            ("auto_refresh", "1"),
            ("request_timeout", "300"),
            ("min_refresh_interval", "0"),
            ("token_cache_size", "0"),
            ("token_cache_size", "10000000"),
            ("allow_insecure_http", "TRUE"),
            ("max_token_bytes", "256"),
            ("max_token_bytes", "1048576"),
            ("allowed_algorithms", "RS256, EdDSA"),
            ("ca_bundle", ""),
            ("allow_bound_tokens_as_bearer", "true"),
            ("allow_bound_tokens_as_bearer", "0"),
        ] {
            c.set_option(name, value)
                .unwrap_or_else(|e| panic!("{name}={value}: {e}"));
        }
    }

    #[test]
    fn option_errors_name_the_option() {
        let c = client();
        for (name, value) in [
            ("cache_duration", "0"),
            ("cache_duration", "604801"),
            ("cache_duration", "-1"),
            ("cache_duration", "1.5"),
            ("auto_refresh", "yes"),
            ("request_timeout", "0"),
            ("request_timeout", "301"),
            ("min_refresh_interval", "86401"),
            ("token_cache_size", "10000001"),
            ("max_token_bytes", "255"),
            ("max_token_bytes", "1048577"),
            ("allowed_algorithms", "HS256"),
            ("allowed_algorithms", ""),
            ("ca_bundle", "/nonexistent.pem"),
            ("allow_bound_tokens_as_bearer", "maybe"),
        ] {
            let e = c.set_option(name, value).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidConfig, "{name}={value}");
            assert!(e.message.contains(name), "{name}={value}: {}", e.message);
        }
        let e = c.set_option("cache_size", "1").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidConfig);
        assert!(e.message.contains("cache_size"));
    }

    #[test]
    fn oversized_tokens_are_refused_unparsed() {
        let c = client();
        c.set_option("max_token_bytes", "256").unwrap();
        let e = c
            .validate(&"a".repeat(257), &ValidationOptions::default())
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        assert!(e.message.contains("max_token_bytes"));
    }
}
