//! The safe client: one or more trusted issuers, each with its own key source, options, and
//! the validation pipeline size cap → verified-token cache → decode → issuer selection by the
//! exact `iss` (an unknown issuer is refused before any key lookup or fetch) → key selection in
//! that issuer's keys only (one unknown-`kid` refetch per `min_refresh_interval`) → signature →
//! claims. `Send + Sync`; validation takes no lock
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
use crate::introspection::{self, Introspector};
use crate::jwk::{self, KeySet};
use crate::jwt;
use crate::keystore::{KeyStore, StoreSettings};
use crate::options::ValidationOptions;
use crate::policy::ClaimPolicy;

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
#[derive(Clone)]
struct HotSettings {
    max_token_bytes: usize,
    allowed: AlgorithmSet,
    /// Accept key-bound (`cnf`) tokens presented as bearer tokens.
    allow_bound: bool,
    /// Audience claim, scope sources, required claims.
    policy: Arc<ClaimPolicy>,
    /// The trusted issuers; the first is the one the client was created with.
    issuers: Arc<[Arc<TrustedIssuer>]>,
}

/// One trusted issuer: its exact identifier and its own keys.
pub struct TrustedIssuer {
    pub issuer: String,
    pub store: Arc<KeyStore>,
}

/// Most issuers one client may trust.
pub const MAX_ISSUERS: usize = 64;

/// A successful validation: the verified claims, and the scopes granted under a non-default
/// scope policy (None: they are `claims.scopes`).
pub struct Verdict {
    pub claims: Arc<Claims>,
    pub scopes: Option<Vec<String>>,
}

impl Verdict {
    /// The granted scopes under the client's policy.
    pub fn scopes(&self) -> &[String] {
        self.scopes.as_deref().unwrap_or(&self.claims.scopes)
    }
}

pub struct Client {
    cache: TokenCache,
    /// Opaque tokens: RFC 7662 introspection (off until configured).
    introspector: Introspector,
    hot: ArcSwap<HotSettings>,
    /// Serialises configuration changes (options, issuers), so a store added concurrently
    /// with a settings change still gets it.
    config: std::sync::Mutex<()>,
}

/// The issuer `iss` names among `issuers` (exact bytes), or the verdict for a token whose
/// `iss` is missing, ill-typed or unknown. Decided before any key lookup: no I/O.
fn select_issuer<'a>(
    issuers: &'a [Arc<TrustedIssuer>],
    claims: &Claims,
) -> Result<&'a TrustedIssuer> {
    let Some(iss) = claims.issuer.as_deref() else {
        // Absent or not a string: the claim checks word it.
        let requirements = claims::Requirements {
            issuer: issuers.first().map_or(String::new(), |i| i.issuer.clone()),
            ..Default::default()
        };
        return Err(claims::check_issuer_claim(claims, &requirements.issuer)
            .err()
            .unwrap_or_else(|| Error::new(ErrorCode::InvalidToken, "the token has no iss claim")));
    };
    if let Some(found) = issuers.iter().find(|i| i.issuer == iss) {
        return Ok(found);
    }
    let expected = issuers.first().map_or("", |i| i.issuer.as_str());
    let others = match issuers.len() {
        0 | 1 => String::new(),
        n => format!(" (or one of {} other trusted issuer(s))", n - 1),
    };
    Err(Error::new(
        ErrorCode::InvalidIssuer,
        format!(
            "issuer mismatch: expected {}{others}, got {}",
            crate::error::quote(expected, 128),
            crate::error::quote(iss, 128)
        ),
    ))
}

/// Borrowed: nothing of the configuration is copied per validation.
fn requirements_for<'a>(
    issuer: &'a TrustedIssuer,
    options: &'a ValidationOptions,
    hot: &'a HotSettings,
) -> RequirementsRef<'a> {
    RequirementsRef {
        issuer: &issuer.issuer,
        audiences: &options.audiences,
        scopes: &options.scopes,
        clock_skew: options.clock_skew,
        allow_bound: hot.allow_bound,
        policy: &hot.policy,
        exp_optional: false,
        audience_optional: false,
    }
}

fn check_issuer_name(issuer: &str) -> Result<()> {
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
    Ok(())
}

fn config_error(option: &str, why: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InvalidConfig, format!("option {option}: {why}"))
}

pub(crate) fn parse_number(option: &str, value: &str, (min, max): (u64, u64)) -> Result<u64> {
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

pub(crate) fn parse_bool(option: &str, value: &str) -> Result<bool> {
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
        check_issuer_name(issuer)?;
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
        let primary = Arc::new(TrustedIssuer {
            issuer: issuer.to_owned(),
            store: KeyStore::new(url, settings),
        });
        Ok(Client {
            introspector: Introspector::default(),
            config: std::sync::Mutex::new(()),
            cache: TokenCache::new(defaults::TOKEN_CACHE_SIZE as usize),
            hot: ArcSwap::from_pointee(HotSettings {
                max_token_bytes: defaults::MAX_TOKEN_BYTES as usize,
                allowed: AlgorithmSet::all(),
                allow_bound: false,
                policy: Arc::new(ClaimPolicy::default()),
                issuers: Arc::from(vec![primary]),
            }),
        })
    }

    /// The issuer the client was created with.
    pub fn issuer(&self) -> String {
        self.hot.load().issuers[0].issuer.clone()
    }

    /// The trusted issuers, the creation one first.
    pub fn issuers(&self) -> Vec<String> {
        self.hot
            .load()
            .issuers
            .iter()
            .map(|i| i.issuer.clone())
            .collect()
    }

    fn lock_config(&self) -> std::sync::MutexGuard<'_, ()> {
        self.config.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies a key-fetching setting to every issuer's store.
    fn update_stores(&self, change: impl Fn(&mut StoreSettings)) {
        for trusted in self.hot.load().issuers.iter() {
            trusted.store.update_settings(&change);
        }
    }

    /// Finds the keys of `issuer` by discovery (its OpenID Connect or RFC 8414 metadata names
    /// the `jwks_uri`; the document's `issuer` must equal `issuer` exactly): trusts `issuer`
    /// if it is not trusted yet, or switches a trusted issuer that has neither a `jwks_uri` nor
    /// static keys (such as the creation issuer of a client created with `jwks_uri` "") to
    /// discovery. Nothing is fetched here; the first validation that needs keys does it.
    pub fn discover_issuer(&self, issuer: &str) -> Result<()> {
        check_issuer_name(issuer)?;
        crate::discovery::metadata_urls(issuer)?;
        let _guard = self.lock_config();
        let hot = self.hot.load_full();
        let settings = (*hot.issuers[0].store.settings()).clone();
        let trusted = Arc::new(TrustedIssuer {
            issuer: issuer.to_owned(),
            store: KeyStore::discovering(issuer, settings),
        });
        let mut list: Vec<Arc<TrustedIssuer>> = hot.issuers.iter().cloned().collect();
        match list.iter().position(|i| i.issuer == issuer) {
            Some(pos) => {
                let old = &list[pos].store;
                if old.fetches() || old.current().is_some() {
                    return Err(Error::new(
                        ErrorCode::InvalidConfig,
                        format!(
                            "the issuer {} already has a jwks_uri or static keys",
                            crate::error::quote(issuer, 128)
                        ),
                    ));
                }
                list[pos] = trusted;
            }
            None if list.len() >= MAX_ISSUERS => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    format!("a client trusts at most {MAX_ISSUERS} issuers"),
                ))
            }
            None => list.push(trusted),
        }
        let issuers: Arc<[Arc<TrustedIssuer>]> = Arc::from(list);
        self.hot.rcu(|h| HotSettings {
            issuers: issuers.clone(),
            ..(**h).clone()
        });
        Ok(())
    }

    /// Trusts one more issuer, with its own keys from `jwks_uri` ("" = only keys given with
    /// [`Client::load_issuer_jwks`]). INVALID_CONFIG for an empty, over-long or already
    /// trusted issuer, a malformed URL, or more than [`MAX_ISSUERS`] issuers.
    pub fn add_issuer(&self, issuer: &str, jwks_uri: &str) -> Result<()> {
        check_issuer_name(issuer)?;
        let url = if jwks_uri.is_empty() {
            None
        } else {
            Some(JwksUrl::parse(jwks_uri)?)
        };
        let _guard = self.lock_config();
        let hot = self.hot.load_full();
        if hot.issuers.iter().any(|i| i.issuer == issuer) {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "the issuer {} is already trusted by this client",
                    crate::error::quote(issuer, 128)
                ),
            ));
        }
        if hot.issuers.len() >= MAX_ISSUERS {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!("a client trusts at most {MAX_ISSUERS} issuers"),
            ));
        }
        let settings = (*hot.issuers[0].store.settings()).clone();
        let added = Arc::new(TrustedIssuer {
            issuer: issuer.to_owned(),
            store: KeyStore::new(url, settings),
        });
        let mut list: Vec<Arc<TrustedIssuer>> = hot.issuers.iter().cloned().collect();
        list.push(added);
        let issuers: Arc<[Arc<TrustedIssuer>]> = Arc::from(list);
        self.hot.rcu(|h| HotSettings {
            issuers: issuers.clone(),
            ..(**h).clone()
        });
        Ok(())
    }

    /// Sets one option by name (the names, defaults and ranges of the C header). Errors are
    /// INVALID_CONFIG naming the option. Fetch-related options apply from the next fetch.
    pub fn set_option(&self, name: &str, value: &str) -> Result<()> {
        use defaults::*;
        let secs = |range| parse_number(name, value, range).map(Duration::from_secs);
        let _guard = self.lock_config();
        if self.introspector.set_option(name, value)? {
            return Ok(());
        }
        match name {
            "cache_duration" => {
                let d = secs(CACHE_DURATION_RANGE)?;
                self.update_stores(|s| s.cache_duration = d);
            }
            "auto_refresh" => {
                let on = parse_bool(name, value)?;
                self.update_stores(|s| s.auto_refresh = on);
            }
            "request_timeout" => {
                let d = secs(REQUEST_TIMEOUT_RANGE)?;
                self.update_stores(|s| s.fetch.timeout = d);
            }
            "min_refresh_interval" => {
                let d = secs(MIN_REFRESH_INTERVAL_RANGE)?;
                self.update_stores(|s| s.min_refresh_interval = d);
            }
            "allow_insecure_http" => {
                let on = parse_bool(name, value)?;
                self.update_stores(|s| s.fetch.allow_insecure_http = on);
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
                self.update_stores(|s| s.fetch.tls = tls.clone());
            }
            "token_cache_size" => {
                let n = parse_number(name, value, TOKEN_CACHE_SIZE_RANGE)? as usize;
                self.cache.set_capacity(n.min(cache::MAX_CAPACITY));
            }
            "max_token_bytes" => {
                let n = parse_number(name, value, MAX_TOKEN_BYTES_RANGE)? as usize;
                self.hot.rcu(|h| HotSettings {
                    max_token_bytes: n,
                    ..(**h).clone()
                });
            }
            "allowed_algorithms" => {
                let set = AlgorithmSet::parse(value).map_err(|why| config_error(name, why))?;
                self.hot.rcu(|h| HotSettings {
                    allowed: set,
                    ..(**h).clone()
                });
            }
            "allow_bound_tokens_as_bearer" => {
                let on = parse_bool(name, value)?;
                self.hot.rcu(|h| HotSettings {
                    allow_bound: on,
                    ..(**h).clone()
                });
            }
            "audience_claim" | "scope_claims" | "required_claims" => {
                let mut policy = (*self.hot.load().policy).clone();
                match name {
                    "audience_claim" => policy.set_audience_claim(name, value)?,
                    "scope_claims" => policy.set_scope_claims(name, value)?,
                    _ => policy.set_required_claims(name, value)?,
                }
                let policy = Arc::new(policy);
                self.hot.rcu(|h| HotSettings {
                    policy: policy.clone(),
                    ..(**h).clone()
                });
            }
            _ => {
                return Err(Error::new(
                    ErrorCode::InvalidConfig,
                    format!(
                    "unknown option {:?} (known: cache_duration, auto_refresh, request_timeout, \
                         min_refresh_interval, token_cache_size, allow_insecure_http, ca_bundle, \
                         max_token_bytes, allowed_algorithms, allow_bound_tokens_as_bearer, \
                         audience_claim, scope_claims, required_claims, introspection_mode, \
                         introspection_auth_method, introspection_cache_ttl, \
                         introspection_negative_cache_ttl, introspection_cache_size, \
                         introspection_max_concurrent, introspection_rate_limit, \
                         introspection_require_exp, introspection_require_audience, \
                         introspection_keep_alive)",
                    name.chars().take(64).collect::<String>()
                ),
                ))
            }
        }
        Ok(())
    }

    /// Uses the keys of `jwks_json` for the creation issuer from now on and stops its
    /// fetching. INVALID_KEY when the document is not a JWK Set, too large, or has no usable key.
    pub fn load_jwks(&self, jwks_json: &str) -> Result<()> {
        let primary = self.hot.load().issuers[0].clone();
        Self::load_into(&primary.store, jwks_json)
    }

    /// [`Client::load_jwks`] for the trusted issuer `issuer` (INVALID_CONFIG when it is not
    /// trusted by this client).
    pub fn load_issuer_jwks(&self, issuer: &str, jwks_json: &str) -> Result<()> {
        let hot = self.hot.load();
        let Some(trusted) = hot.issuers.iter().find(|i| i.issuer == issuer) else {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "the issuer {} is not trusted by this client (add it first)",
                    crate::error::quote(issuer, 128)
                ),
            ));
        };
        Self::load_into(&trusted.store, jwks_json)
    }

    fn load_into(store: &KeyStore, jwks_json: &str) -> Result<()> {
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
        store.load_static(keys);
        Ok(())
    }

    /// Validates `token`; on success returns its (shared, immutable) claims.
    pub fn validate(&self, token: &str, options: &ValidationOptions) -> Result<Arc<Claims>> {
        self.validate_verdict(token, options).map(|v| v.claims)
    }

    /// Validates `token`; on success returns its claims and the scopes granted under the
    /// client's claim policy.
    pub fn validate_verdict(&self, token: &str, options: &ValidationOptions) -> Result<Verdict> {
        if options.audiences.is_empty() {
            // An audience check is never silently off: a token minted for another resource
            // server of the same IdP would pass.
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "no audience is configured: set the audience(s) this server accepts \
                 (gopher_auth_validation_options_set_audience or _set_audiences); \
                 the audience check cannot be turned off",
            ));
        }
        let hot = self.hot.load();
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
        let issuers = &hot.issuers;
        let now = options.now();
        if self.introspector.applies_to(token) {
            // Opaque tokens belong to the creation issuer, whose endpoint is asked.
            let primary = &issuers[0];
            let store_settings = primary.store.settings();
            let check = introspection::Check {
                base: requirements_for(primary, options, &hot),
                now,
            };
            let (claims, scopes) =
                self.introspector
                    .validate(token, check, &store_settings.fetch)?;
            return Ok(Verdict { claims, scopes });
        }
        let cached = if let [only] = &issuers[..] {
            // One issuer (the common case): no per-entry issuer lookup.
            only.store
                .current_generation()
                .and_then(|generation| self.cache.get(token, generation, hot.allowed))
        } else {
            self.cache.get_by(token, hot.allowed, |claims| {
                select_issuer(issuers, claims)
                    .ok()
                    .and_then(|i| i.store.current_generation())
            })
        };
        if let Some(claims) = cached {
            // A cached entry was verified under its own issuer's keys (generation match).
            let result = select_issuer(issuers, &claims).and_then(|issuer| {
                claims::check_full(&claims, requirements_for(issuer, options, &hot), now)
            });
            return match result {
                Ok(scopes) => Ok(Verdict { claims, scopes }),
                Err(e) => {
                    if e.code == ErrorCode::ExpiredToken {
                        self.cache.remove(token);
                    }
                    Err(e)
                }
            };
        }
        let decoded = jwt::decode(token, hot.max_token_bytes, hot.allowed)?;
        // The issuer is chosen by the exact `iss` before any key is looked up or fetched; only
        // its keys can verify the token.
        let issuer = select_issuer(issuers, &decoded.claims)?;
        let store = &issuer.store;
        let mut snap = store.keys()?;
        if let Err(e) = jwt::verify(&decoded, &snap.keys) {
            if e.code != ErrorCode::InvalidKey {
                return Err(e);
            }
            snap = store.refetch_for_unknown_kid(snap.generation).ok_or(e)?;
            jwt::verify(&decoded, &snap.keys)?;
        }
        let alg = decoded.alg;
        let claims = decoded.claims;
        let scopes = claims::check_full(&claims, requirements_for(issuer, options, &hot), now)?;
        let claims = Arc::new(claims);
        self.cache
            .insert(token, claims.clone(), snap.generation, alg);
        Ok(Verdict { claims, scopes })
    }

    /// The key store of the creation issuer (tests and diagnostics).
    pub fn key_store(&self) -> Arc<KeyStore> {
        self.hot.load().issuers[0].store.clone()
    }

    /// The key store of a trusted issuer (tests and diagnostics).
    pub fn issuer_key_store(&self, issuer: &str) -> Option<Arc<KeyStore>> {
        self.hot
            .load()
            .issuers
            .iter()
            .find(|i| i.issuer == issuer)
            .map(|i| i.store.clone())
    }

    /// Turns on RFC 7662 introspection of opaque tokens: `endpoint` ("" = the creation
    /// issuer's `introspection_endpoint`, discovered on first use), the resource server's
    /// client credentials at the authorization server. Errors never quote the secret.
    pub fn set_introspection(
        &self,
        endpoint: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<()> {
        let _guard = self.lock_config();
        self.introspector
            .configure(endpoint, client_id, client_secret)
    }

    /// The introspection state (tests and diagnostics).
    pub fn introspector(&self) -> &Introspector {
        &self.introspector
    }

    /// Number of verified tokens cached (tests and diagnostics).
    pub fn cached_tokens(&self) -> usize {
        self.cache.len()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        for trusted in self.hot.load().issuers.iter() {
            trusted.store.shutdown();
        }
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
            ("audience_claim", "client_id"),
            ("scope_claims", "scp,roles,realm_access.roles"),
            ("required_claims", r#"{"token_use":"access"}"#),
            ("required_claims", ""),
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
            ("audience_claim", ""),
            ("scope_claims", "a,,b"),
            ("required_claims", "[1]"),
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
        let mut options = ValidationOptions::default();
        options.set_audience("https://mcp.example").unwrap();
        let e = c.validate(&"a".repeat(257), &options).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        assert!(e.message.contains("max_token_bytes"));
    }

    #[test]
    fn no_audience_is_a_configuration_error_before_the_token_is_looked_at() {
        let c = client();
        for token in ["", "not.a.token", &"a".repeat(100_000)] {
            let e = c
                .validate(token, &ValidationOptions::default())
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidConfig);
            assert!(
                e.message.contains("no audience is configured"),
                "{}",
                e.message
            );
        }
    }
}
