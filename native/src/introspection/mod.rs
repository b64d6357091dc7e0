//! Opaque access tokens: RFC 7662 token introspection, beside JWKS fetching (DESIGN §8).
//!
//! - Which tokens: `introspection_mode` `opaque` (default: JWT-shaped tokens are verified
//!   locally, every other token is introspected), `always`, `never`.
//! - The request: `POST token=…&token_type_hint=access_token` to the configured endpoint or
//!   the `introspection_endpoint` of the creation issuer's metadata, client authentication
//!   `client_secret_basic` (default) or `client_secret_post`, kept-alive connections, the
//!   JWKS transport rules (`transport`).
//! - The verdict: `response` (active must be the JSON boolean true, token_type an access
//!   token), then the claim checks of a JWT (`claims::check_full`): exp (required unless
//!   `introspection_require_exp` is false), iss when present equal to the configured issuer
//!   (absent: the configured issuer, whose endpoint answered), the audience claim (required
//!   unless `introspection_require_audience` is false), scopes, required claims.
//! - The cache (`cache`): keyed by SHA-256 of the token; active until `min(exp, now + ttl)`,
//!   inactive for the negative ttl; bounded. Single-flight: concurrent validations of one
//!   uncached token share one request.
//! - The IdP's protection (`limits`): a cap on concurrent requests, a rate limit; past them,
//!   and for every transport or server fault, a NETWORK_ERROR / JWKS_FETCH_FAILED verdict
//!   (servers answer 503), never "inactive" and never "active".
//! - The client secret lives only in [`Secret`]: never printed, never in a message.

pub mod cache;
pub mod limits;
pub mod response;
pub mod transport;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::claims::{self, RequirementsRef};
use crate::error::{Error, ErrorCode, Result};
use crate::fetch::{FetchSettings, JwksUrl};

use cache::{Key, OutcomeCache};
use limits::Limits;
use response::Outcome;
use transport::Poster;

/// Defaults and ranges of the introspection options.
pub mod defaults {
    pub const CACHE_TTL: u64 = 60;
    pub const CACHE_TTL_RANGE: (u64, u64) = (0, 86_400);
    pub const NEGATIVE_CACHE_TTL: u64 = 5;
    pub const NEGATIVE_CACHE_TTL_RANGE: (u64, u64) = (0, 3_600);
    pub const CACHE_SIZE: u64 = 10_000;
    pub const CACHE_SIZE_RANGE: (u64, u64) = (0, 1_000_000);
    pub const MAX_CONCURRENT: u64 = 16;
    pub const MAX_CONCURRENT_RANGE: (u64, u64) = (1, 1_024);
    pub const RATE_LIMIT: u64 = 100;
    pub const RATE_LIMIT_RANGE: (u64, u64) = (0, 1_000_000);
    /// Longest client id or secret accepted.
    pub const MAX_CREDENTIAL_BYTES: usize = 4096;
}

/// A client secret: kept for the requests only; `Debug` shows nothing of it; zeroed on drop.
pub struct Secret(String);

impl Secret {
    pub fn new(value: &str) -> Secret {
        Secret(value.to_owned())
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(std::mem::take(&mut self.0));
    }
}

/// Overwrites a string that held a token or the secret before its memory is freed.
fn wipe(text: String) {
    let mut bytes = text.into_bytes();
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Opaque,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

/// The introspection options (`introspection_*` client options).
#[derive(Clone, Debug)]
pub struct Settings {
    pub mode: Mode,
    pub auth_method: AuthMethod,
    pub cache_ttl: i64,
    pub negative_cache_ttl: i64,
    pub max_concurrent: usize,
    pub rate_limit: u64,
    pub require_exp: bool,
    pub require_audience: bool,
    pub keep_alive: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Opaque,
            auth_method: AuthMethod::ClientSecretBasic,
            cache_ttl: defaults::CACHE_TTL as i64,
            negative_cache_ttl: defaults::NEGATIVE_CACHE_TTL as i64,
            max_concurrent: defaults::MAX_CONCURRENT as usize,
            rate_limit: defaults::RATE_LIMIT,
            require_exp: true,
            require_audience: true,
            keep_alive: true,
        }
    }
}

/// Where to introspect and as whom.
struct Endpoint {
    /// None: the creation issuer's `introspection_endpoint`, discovered on first use.
    configured: Option<Arc<Poster>>,
    client_id: String,
    secret: Secret,
}

/// A single-flight request: followers wait for the leader's outcome.
struct Flight {
    done: Mutex<Option<Result<Outcome>>>,
    ready: Condvar,
}

/// How long after a failed discovery the next validation tries again.
const DISCOVERY_RETRY: Duration = Duration::from_secs(5);

pub struct Introspector {
    endpoint: ArcSwapOption<Endpoint>,
    settings: ArcSwap<Settings>,
    cache: OutcomeCache,
    flights: Mutex<HashMap<Key, Arc<Flight>>>,
    limits: Limits,
    discovered: Mutex<Discovered>,
}

#[derive(Default)]
struct Discovered {
    poster: Option<Arc<Poster>>,
    failed: Option<(Instant, Error)>,
}

fn config_error(option: &str, why: impl fmt::Display) -> Error {
    Error::new(ErrorCode::InvalidConfig, format!("option {option}: {why}"))
}

/// `application/x-www-form-urlencoded` encoding of one value (RFC 6749 Appendix B).
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*') {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// True when `token` has the shape of a JWS compact serialization: three dot-separated
/// base64url segments whose first decodes to a JSON object.
pub fn looks_like_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    match crate::b64::decode(header.as_bytes()) {
        Ok(bytes) => bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{'),
        Err(_) => false,
    }
}

impl Default for Introspector {
    fn default() -> Self {
        Introspector {
            endpoint: ArcSwapOption::empty(),
            settings: ArcSwap::from_pointee(Settings::default()),
            cache: OutcomeCache::new(defaults::CACHE_SIZE as usize),
            flights: Mutex::new(HashMap::new()),
            limits: Limits::default(),
            discovered: Mutex::new(Discovered::default()),
        }
    }
}

/// The claim checks of an introspected token: the caller's requirements, with exp and the
/// audience claim optional when the user opted out.
pub struct Check<'a> {
    pub base: RequirementsRef<'a>,
    pub now: i64,
}

impl Introspector {
    /// Configures the endpoint ("" = discover it from the creation issuer's metadata) and the
    /// client credentials; drops every cached outcome. Errors never quote the secret.
    pub fn configure(&self, endpoint: &str, client_id: &str, client_secret: &str) -> Result<()> {
        let configured = if endpoint.is_empty() {
            None
        } else {
            let url = JwksUrl::parse(endpoint).map_err(|e| {
                Error::new(
                    ErrorCode::InvalidConfig,
                    e.message.replacen("jwks_uri", "introspection endpoint", 1),
                )
            })?;
            Some(Arc::new(Poster::new(url)))
        };
        if client_id.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "the introspection client id must not be empty (the authorization server \
                 authenticates the resource server as a client)",
            ));
        }
        if client_id.len() > defaults::MAX_CREDENTIAL_BYTES
            || client_secret.len() > defaults::MAX_CREDENTIAL_BYTES
        {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                format!(
                    "the introspection client id and secret are at most {} bytes each",
                    defaults::MAX_CREDENTIAL_BYTES
                ),
            ));
        }
        self.endpoint.store(Some(Arc::new(Endpoint {
            configured,
            client_id: client_id.to_owned(),
            secret: Secret::new(client_secret),
        })));
        *self.discovered.lock().unwrap_or_else(|p| p.into_inner()) = Discovered::default();
        self.cache.clear();
        Ok(())
    }

    pub fn is_configured(&self) -> bool {
        self.endpoint.load().is_some()
    }

    /// Whether `token` goes to introspection under the current mode.
    pub fn applies_to(&self, token: &str) -> bool {
        if !self.is_configured() {
            return false;
        }
        match self.settings.load().mode {
            Mode::Never => false,
            Mode::Always => true,
            Mode::Opaque => !looks_like_jwt(token),
        }
    }

    /// Sets one `introspection_*` option; false when `name` is not one of them.
    pub fn set_option(&self, name: &str, value: &str) -> Result<bool> {
        let number = |range| crate::client::parse_number(name, value, range);
        let mut s = (**self.settings.load()).clone();
        match name {
            "introspection_mode" => {
                s.mode = match value.trim() {
                    "opaque" => Mode::Opaque,
                    "always" => Mode::Always,
                    "never" => Mode::Never,
                    _ => {
                        return Err(config_error(
                            name,
                            format!(
                                "{} is not a mode (expected opaque, always or never)",
                                crate::error::quote(value, 32)
                            ),
                        ))
                    }
                }
            }
            "introspection_auth_method" => {
                s.auth_method = match value.trim() {
                    "client_secret_basic" => AuthMethod::ClientSecretBasic,
                    "client_secret_post" => AuthMethod::ClientSecretPost,
                    _ => {
                        return Err(config_error(
                            name,
                            format!(
                                "{} is not supported (expected client_secret_basic or \
                                 client_secret_post)",
                                crate::error::quote(value, 32)
                            ),
                        ))
                    }
                }
            }
            "introspection_cache_ttl" => s.cache_ttl = number(defaults::CACHE_TTL_RANGE)? as i64,
            "introspection_negative_cache_ttl" => {
                s.negative_cache_ttl = number(defaults::NEGATIVE_CACHE_TTL_RANGE)? as i64
            }
            "introspection_cache_size" => {
                let n = number(defaults::CACHE_SIZE_RANGE)? as usize;
                self.cache.set_capacity(n);
            }
            "introspection_max_concurrent" => {
                s.max_concurrent = number(defaults::MAX_CONCURRENT_RANGE)? as usize
            }
            "introspection_rate_limit" => s.rate_limit = number(defaults::RATE_LIMIT_RANGE)?,
            "introspection_require_exp" => s.require_exp = crate::client::parse_bool(name, value)?,
            "introspection_require_audience" => {
                s.require_audience = crate::client::parse_bool(name, value)?
            }
            "introspection_keep_alive" => s.keep_alive = crate::client::parse_bool(name, value)?,
            _ => return Ok(false),
        }
        self.settings.store(Arc::new(s));
        Ok(true)
    }

    /// Outcomes cached (tests and diagnostics).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    /// Idle kept-alive connections to the configured endpoint (tests and diagnostics).
    pub fn idle_connections(&self) -> usize {
        self.endpoint
            .load()
            .as_ref()
            .and_then(|e| e.configured.as_ref().map(|p| p.idle_connections()))
            .unwrap_or(0)
    }

    /// Validates `token` by introspection: the outcome (cached or fetched, single-flight),
    /// then the claim checks. `issuer` is the configured (creation) issuer; `fetch` the
    /// client's transport settings.
    pub fn validate(
        &self,
        token: &str,
        check: Check<'_>,
        fetch: &FetchSettings,
    ) -> Result<(Arc<claims::Claims>, Option<Vec<String>>)> {
        let Some(endpoint) = self.endpoint.load_full() else {
            return Err(Error::new(
                ErrorCode::InvalidConfig,
                "token introspection is not configured",
            ));
        };
        let settings = self.settings.load_full();
        let key = crate::crypto::sha256(token.as_bytes());
        let now = check.now;
        let outcome = match self.cache.get(&key, now) {
            Some(o) => o,
            None => self.single_flight(key, || {
                // A flight that ended just before this one began has cached its answer.
                if let Some(o) = self.cache.get(&key, now) {
                    return Ok(o);
                }
                self.introspect(
                    key,
                    token,
                    &endpoint,
                    &settings,
                    fetch,
                    check.base.issuer,
                    now,
                )
            })?,
        };
        let claims = match outcome {
            Outcome::Active(c) => c,
            Outcome::Refused(e) => return Err(e),
        };
        let req = RequirementsRef {
            exp_optional: !settings.require_exp,
            audience_optional: !settings.require_audience,
            ..check.base
        };
        let scopes = claims::check_full(&claims, req, now)?;
        Ok((claims, scopes))
    }

    /// Runs `work` once for concurrent callers with the same `key`.
    fn single_flight(&self, key: Key, work: impl FnOnce() -> Result<Outcome>) -> Result<Outcome> {
        let (flight, leader) = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            match flights.get(&key) {
                Some(f) => (f.clone(), false),
                None => {
                    let f = Arc::new(Flight {
                        done: Mutex::new(None),
                        ready: Condvar::new(),
                    });
                    flights.insert(key, f.clone());
                    (f, true)
                }
            }
        };
        if leader {
            // The flight is removed and its waiters woken even if `work` panics.
            struct Finish<'a> {
                intro: &'a Introspector,
                key: Key,
                flight: Arc<Flight>,
                result: Option<Result<Outcome>>,
            }
            impl Drop for Finish<'_> {
                fn drop(&mut self) {
                    self.intro
                        .flights
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&self.key);
                    let result = self.result.take().unwrap_or_else(|| {
                        Err(Error::new(
                            ErrorCode::InternalError,
                            "the introspection request failed internally",
                        ))
                    });
                    *self.flight.done.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
                    self.flight.ready.notify_all();
                }
            }
            let mut finish = Finish {
                intro: self,
                key,
                flight: flight.clone(),
                result: None,
            };
            let result = work();
            finish.result = Some(result.clone());
            drop(finish);
            return result;
        }
        let mut done = flight.done.lock().unwrap_or_else(|p| p.into_inner());
        // The leader's exchange is bounded by request_timeout; wait a little longer at most.
        let limit = Instant::now()
            + Duration::from_secs(crate::client::defaults::REQUEST_TIMEOUT_RANGE.1 + 5);
        while done.is_none() {
            let Some(left) = limit.checked_duration_since(Instant::now()) else {
                return Err(Error::new(
                    ErrorCode::NetworkError,
                    "the introspection of this token by another thread did not finish",
                ));
            };
            done = flight
                .ready
                .wait_timeout(done, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        done.clone().unwrap_or_else(|| {
            Err(Error::new(
                ErrorCode::InternalError,
                "no introspection outcome",
            ))
        })
    }

    /// The endpoint to use: the configured one, or the discovered one.
    fn poster(
        &self,
        endpoint: &Endpoint,
        issuer: &str,
        fetch: &FetchSettings,
    ) -> Result<Arc<Poster>> {
        if let Some(p) = &endpoint.configured {
            return Ok(p.clone());
        }
        let mut d = self.discovered.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = &d.poster {
            return Ok(p.clone());
        }
        if let Some((at, e)) = &d.failed {
            if at.elapsed() < DISCOVERY_RETRY {
                return Err(e.clone());
            }
        }
        match crate::discovery::discover_with(
            issuer,
            fetch,
            None,
            crate::discovery::introspection_endpoint_from,
        ) {
            Ok(url) => {
                let p = Arc::new(Poster::new(url));
                d.poster = Some(p.clone());
                d.failed = None;
                Ok(p)
            }
            Err(e) => {
                // A configuration error found by discovery is still the server's to report as
                // unavailable: the token may well be good.
                let e = if e.code == ErrorCode::InvalidConfig {
                    Error::new(ErrorCode::JwksFetchFailed, e.message)
                } else {
                    e
                };
                d.failed = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
    }

    /// One introspection request (rate limit and concurrency cap first), its outcome cached.
    #[allow(clippy::too_many_arguments)]
    fn introspect(
        &self,
        key: Key,
        token: &str,
        endpoint: &Endpoint,
        settings: &Settings,
        fetch: &FetchSettings,
        issuer: &str,
        now: i64,
    ) -> Result<Outcome> {
        let _slot = self
            .limits
            .admit(settings.max_concurrent, settings.rate_limit)?;
        let poster = self.poster(endpoint, issuer, fetch)?;
        let mut form = format!("token={}&token_type_hint=access_token", form_encode(token));
        let mut headers = String::new();
        match settings.auth_method {
            AuthMethod::ClientSecretBasic => {
                let credentials = format!(
                    "{}:{}",
                    form_encode(&endpoint.client_id),
                    form_encode(endpoint.secret.expose())
                );
                headers = format!(
                    "Authorization: Basic {}\r\n",
                    crate::b64::encode_standard(credentials.as_bytes())
                );
            }
            AuthMethod::ClientSecretPost => {
                form.push_str("&client_id=");
                form.push_str(&form_encode(&endpoint.client_id));
                form.push_str("&client_secret=");
                form.push_str(&form_encode(endpoint.secret.expose()));
            }
        }
        let fetch = FetchSettings {
            max_bytes: response::MAX_RESPONSE_BYTES,
            ..fetch.clone()
        };
        let answer = poster.post(&form, &headers, &fetch, settings.keep_alive);
        // The form and the header hold the token and the secret: wiped before anything else.
        wipe(form);
        wipe(headers);
        let answer = answer?;
        if answer.status != 200 {
            let hint = match answer.status {
                400 | 401 | 403 => {
                    " (check the introspection client id, secret and auth method: the \
                     authorization server refused this resource server's credentials)"
                }
                _ => "",
            };
            return Err(Error::new(
                ErrorCode::JwksFetchFailed,
                format!(
                    "the introspection endpoint {} answered HTTP {}{hint}",
                    poster.url().text,
                    answer.status
                ),
            ));
        }
        let outcome = response::parse(&answer.body, issuer)?;
        match &outcome {
            Outcome::Active(claims) if settings.cache_ttl > 0 => {
                let mut until = now.saturating_add(settings.cache_ttl);
                if let Some(exp) = claims.expiration {
                    if exp.is_finite() {
                        until = until.min(exp.ceil() as i64);
                    }
                }
                self.cache.insert(key, outcome.clone(), until, now);
            }
            Outcome::Refused(_) if settings.negative_cache_ttl > 0 => {
                self.cache.insert(
                    key,
                    outcome.clone(),
                    now.saturating_add(settings.negative_cache_ttl),
                    now,
                );
            }
            _ => {}
        }
        Ok(outcome)
    }

    /// Requests in flight now (tests).
    pub fn in_flight(&self) -> usize {
        self.limits.in_flight()
    }
}
