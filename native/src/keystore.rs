//! The client's current JWK Set and how it is kept fresh.
//!
//! - The current set sits behind an atomically swapped `Arc` (arc-swap): validations read it
//!   without taking any lock.
//! - One fetch at a time (single flight). Validations never wait for a refresh while keys
//!   exist; only when there are no keys yet (or an unknown `kid` triggers a refetch) does a
//!   validation wait, bounded by `request_timeout`. No validating thread sleeps or backs off.
//! - Refreshes of existing keys run on a background thread: before expiry with
//!   `auto_refresh`, otherwise lazily once a validation sees keys older than `cache_duration`
//!   (that validation goes on with the old keys).
//! - An unknown `kid` causes at most one refetch per `min_refresh_interval`.
//! - A failed fetch keeps the last good keys; with none, validations fail with the error of
//!   the last attempt (JWKS_FETCH_FAILED or NETWORK_ERROR), and a new attempt is made at most
//!   once per `failure_retry_delay`.
//! - `load_static` (gopher_auth_client_load_jwks) replaces the keys and stops all fetching.
//!
//! Nothing here logs, and no token ever reaches this module.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};

use crate::alg::Algorithm;
use crate::error::{Error, ErrorCode, Result};
use crate::fetch::{self, FetchSettings, JwksUrl};
use crate::jwk::KeySet;

/// Extra time a waiting validation allows an in-flight fetch beyond `request_timeout`.
const WAIT_SLACK: Duration = Duration::from_millis(500);
/// How long `shutdown` waits for the background thread before detaching it.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);
/// Upper bound of the pause between failed attempts.
const MAX_FAILURE_RETRY: Duration = Duration::from_secs(5);

/// One immutable key set as published to validations.
pub struct Snapshot {
    pub keys: Arc<KeySet>,
    pub fetched_at: Instant,
    /// Changes whenever the set of usable keys (kid, alg, key material) changes; the
    /// verified-token cache only trusts entries made under the current generation.
    pub generation: u64,
}

/// Refresh behaviour; every field may change at run time (`set_option`).
#[derive(Clone)]
pub struct StoreSettings {
    pub fetch: FetchSettings,
    pub cache_duration: Duration,
    pub min_refresh_interval: Duration,
    pub auto_refresh: bool,
}

impl StoreSettings {
    /// Pause after a failed attempt before another one (never applies to a validation that
    /// still has keys: it simply keeps using them).
    pub fn failure_retry_delay(&self) -> Duration {
        self.min_refresh_interval.min(MAX_FAILURE_RETRY)
    }

    /// How long before expiry the background thread refreshes.
    fn lead(&self) -> Duration {
        (self.cache_duration / 10).min(Duration::from_secs(60))
    }
}

type Fingerprint = Vec<(Option<String>, Option<Algorithm>, [u8; 32])>;

fn fingerprint(keys: &KeySet) -> Fingerprint {
    let mut f: Fingerprint = keys
        .keys
        .iter()
        .map(|k| (k.kid.clone(), k.alg, k.thumbprint))
        .collect();
    f.sort_unstable_by(|a, b| {
        (&a.0, a.1.map(|x| x as u8), a.2).cmp(&(&b.0, b.1.map(|x| x as u8), b.2))
    });
    f
}

/// The last key-set generation handed out by any store (see `publish`).
static NEXT_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[derive(Default)]

struct State {
    in_flight: bool,
    /// Number of fetches finished (either way); lets waiters see that one completed.
    completed: u64,
    last_error: Option<Error>,
    last_failure: Option<Instant>,
    last_kid_refetch: Option<Instant>,
    fingerprint: Option<Fingerprint>,
    generation: u64,
    static_keys: bool,
    refresh_wanted: bool,
    background_running: bool,
    /// The process that owns `in_flight` / `background_running`: after a fork the child has
    /// neither the fetching thread nor the refresher, so both flags are reset there.
    pid: u32,
}

pub struct KeyStore {
    current: ArcSwapOption<Snapshot>,
    url: Option<JwksUrl>,
    /// An issuer whose `jwks_uri` is found by discovery (when `url` is None).
    discover: Option<String>,
    /// The last discovered `jwks_uri` and when it was found (cached for `cache_duration`; kept
    /// when a later discovery fails, like keys during an outage).
    discovered: Mutex<Option<(JwksUrl, Instant)>>,
    settings: ArcSwap<StoreSettings>,
    state: Mutex<State>,
    changed: Condvar,
    stop: AtomicBool,
    /// Fast check so stale validations do not all take the state lock.
    refresh_requested: AtomicBool,
}

impl KeyStore {
    /// `url` None: the client only uses keys given to `load_static`.
    pub fn new(url: Option<JwksUrl>, settings: StoreSettings) -> Arc<KeyStore> {
        Self::build(url, None, settings)
    }

    /// A store that finds its `jwks_uri` in the metadata of `issuer` (OpenID Connect
    /// Discovery, then RFC 8414; see `discovery`), on the fetching thread, single-flight.
    pub fn discovering(issuer: &str, settings: StoreSettings) -> Arc<KeyStore> {
        Self::build(None, Some(issuer.to_owned()), settings)
    }

    fn build(
        url: Option<JwksUrl>,
        discover: Option<String>,
        settings: StoreSettings,
    ) -> Arc<KeyStore> {
        Arc::new(KeyStore {
            current: ArcSwapOption::empty(),
            url,
            discover,
            discovered: Mutex::new(None),
            settings: ArcSwap::from_pointee(settings),
            state: Mutex::new(State {
                pid: std::process::id(),
                ..State::default()
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            refresh_requested: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave State inconsistent in a way that matters
        // more than refusing service; keep going with the data as it is.
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let pid = std::process::id();
        if state.pid != pid {
            // We are a forked child (e.g. a pre-forking server's worker): the threads behind
            // these flags stayed in the parent.
            state.pid = pid;
            state.in_flight = false;
            state.background_running = false;
            self.refresh_requested.store(false, Ordering::Release);
        }
        state
    }

    pub fn settings(&self) -> Arc<StoreSettings> {
        self.settings.load_full()
    }

    /// Applies new settings; they take effect on the next fetch (and wake the background
    /// thread so a changed schedule applies at once). A pause after a failed attempt ends:
    /// the new settings may be the fix, so the next validation that needs keys tries at once.
    pub fn update_settings(self: &Arc<Self>, change: impl Fn(&mut StoreSettings)) {
        self.settings.rcu(|old| {
            let mut s = StoreSettings::clone(old);
            change(&mut s);
            s
        });
        self.lock().last_failure = None;
        self.changed.notify_all();
        self.ensure_background();
    }

    /// The current snapshot, if any keys were ever obtained (no lock, no fetch).
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.current.load_full()
    }

    /// The generation of the current key set, if any (no lock, no reference count). Like
    /// [`KeyStore::keys`], asks for a background refresh when the set is older than
    /// `cache_duration`: a validation served from the verified-token cache must still notice
    /// stale keys, or a key dropped by the IdP would stay trusted for its cached tokens.
    pub fn current_generation(self: &Arc<Self>) -> Option<u64> {
        let current = self.current.load();
        let snap = current.as_ref()?;
        if self.fetches() && snap.fetched_at.elapsed() >= self.settings.load().cache_duration {
            self.request_refresh();
        }
        Some(snap.generation)
    }

    /// The keys to validate with. Never blocks while keys exist (a stale set triggers a
    /// background refresh and is used meanwhile); with no keys yet, fetches them (or waits
    /// for the fetch in flight), bounded by `request_timeout`.
    pub fn keys(self: &Arc<Self>) -> Result<Arc<Snapshot>> {
        if let Some(snap) = self.current.load_full() {
            if snap.fetched_at.elapsed() >= self.settings.load().cache_duration && self.fetches() {
                self.request_refresh();
            }
            return Ok(snap);
        }
        self.first_keys()
    }

    fn first_keys(self: &Arc<Self>) -> Result<Arc<Snapshot>> {
        let settings = self.settings.load_full();
        let deadline = Instant::now() + settings.fetch.timeout + WAIT_SLACK;
        let mut state = self.lock();
        loop {
            if let Some(snap) = self.current.load_full() {
                return Ok(snap);
            }
            if !self.fetches() || state.static_keys {
                return Err(Error::new(
                    ErrorCode::JwksFetchFailed,
                    "the client has no keys: it was created without a jwks_uri and no JWKS was loaded (gopher_auth_client_load_jwks)",
                ));
            }
            if self.stop.load(Ordering::Relaxed) {
                return Err(Error::new(
                    ErrorCode::JwksFetchFailed,
                    "the client is being destroyed",
                ));
            }
            if state.in_flight {
                let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                    return Err(state
                        .last_error
                        .clone()
                        .unwrap_or_else(|| self.wait_timeout_error(&settings)));
                };
                state = self
                    .changed
                    .wait_timeout(state, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                continue;
            }
            if let (Some(at), Some(err)) = (state.last_failure, &state.last_error) {
                if at.elapsed() < settings.failure_retry_delay() {
                    return Err(err.clone());
                }
            }
            state.in_flight = true;
            drop(state);
            return self.fetch_and_publish();
        }
    }

    fn wait_timeout_error(&self, settings: &StoreSettings) -> Error {
        Error::new(
            ErrorCode::NetworkError,
            format!(
                "no keys yet: the JWKS fetch in progress did not finish within request_timeout ({} s)",
                settings.fetch.timeout.as_secs()
            ),
        )
    }

    /// Called when a token names a key the current set (generation `seen`) lacks. Returns a
    /// newer snapshot to retry with, or None. At most one refetch per `min_refresh_interval`;
    /// waits (bounded) for a fetch already in flight instead of starting another.
    pub fn refetch_for_unknown_kid(self: &Arc<Self>, seen: u64) -> Option<Arc<Snapshot>> {
        if !self.fetches() {
            return None;
        }
        let settings = self.settings.load_full();
        let deadline = Instant::now() + settings.fetch.timeout + WAIT_SLACK;
        let mut state = self.lock();
        let completed_at_entry = state.completed;
        loop {
            if state.static_keys || self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let current = self.current.load_full();
            if let Some(cur) = &current {
                if cur.generation != seen {
                    return current;
                }
            }
            if state.completed != completed_at_entry {
                // A fetch finished while we waited and did not change the keys.
                return None;
            }
            if state.in_flight {
                let left = deadline.checked_duration_since(Instant::now())?;
                state = self
                    .changed
                    .wait_timeout(state, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                continue;
            }
            if state
                .last_kid_refetch
                .is_some_and(|at| at.elapsed() < settings.min_refresh_interval)
            {
                return None;
            }
            state.last_kid_refetch = Some(Instant::now());
            state.in_flight = true;
            drop(state);
            return match self.fetch_and_publish() {
                Ok(snap) if snap.generation != seen => Some(snap),
                _ => None,
            };
        }
    }

    /// Replaces the keys with a static set and stops all fetching for good.
    pub fn load_static(&self, keys: KeySet) {
        let mut state = self.lock();
        state.static_keys = true;
        self.publish(&mut state, Arc::new(keys));
        drop(state);
        self.changed.notify_all();
    }

    /// Publishes `keys` (state lock held): same usable keys → same generation.
    fn publish(&self, state: &mut State, keys: Arc<KeySet>) -> Arc<Snapshot> {
        let print = fingerprint(&keys);
        let previous = self.current.load_full();
        let (keys, generation) = match (&previous, &state.fingerprint) {
            (Some(prev), Some(old)) if *old == print => (prev.keys.clone(), prev.generation),
            _ => {
                // Unique across every store of the process: the verified-token cache is shared
                // by the issuers of a client, and an entry names the generation that verified it.
                state.generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed) + 1;
                (keys, state.generation)
            }
        };
        state.fingerprint = Some(print);
        let snap = Arc::new(Snapshot {
            keys,
            fetched_at: Instant::now(),
            generation,
        });
        self.current.store(Some(snap.clone()));
        snap
    }

    /// Performs one fetch (the caller has set `in_flight`) and, on success, makes sure the
    /// background refresher runs when it should.
    fn fetch_and_publish(self: &Arc<Self>) -> Result<Arc<Snapshot>> {
        let result = self.run_flight();
        if result.is_ok() {
            self.ensure_background();
        }
        result
    }

    /// One fetch: publishes on success, records the error on failure (the last good keys
    /// stay), clears `in_flight` and wakes every waiter either way — even when unwinding.
    fn run_flight(&self) -> Result<Arc<Snapshot>> {
        struct Flight<'a>(&'a KeyStore, bool);
        impl Drop for Flight<'_> {
            fn drop(&mut self) {
                if !self.1 {
                    let mut state = self.0.lock();
                    state.in_flight = false;
                    state.completed += 1;
                    drop(state);
                    self.0.changed.notify_all();
                }
            }
        }
        let mut flight = Flight(self, false);
        let outcome = self.fetch_key_set();
        let mut state = self.lock();
        flight.1 = true;
        state.in_flight = false;
        state.completed += 1;
        let result = match outcome {
            Ok(keys) if !state.static_keys => {
                state.last_error = None;
                state.last_failure = None;
                Ok(self.publish(&mut state, Arc::new(keys)))
            }
            Ok(_) => Err(Error::new(
                ErrorCode::JwksFetchFailed,
                "static keys were loaded; fetching is off",
            )),
            Err(e) => {
                state.last_error = Some(e.clone());
                state.last_failure = Some(Instant::now());
                Err(e)
            }
        };
        drop(state);
        self.changed.notify_all();
        result
    }

    /// Whether this store fetches keys (a `jwks_uri`, given or discovered).
    pub fn fetches(&self) -> bool {
        self.url.is_some() || self.discover.is_some()
    }

    /// The discovered `jwks_uri`: cached for `cache_duration`; on a failed rediscovery the
    /// last one stays in use, except when the metadata now names another issuer (a
    /// configuration error is never papered over).
    fn discovered_url(&self, issuer: &str, settings: &StoreSettings) -> Result<JwksUrl> {
        let cached = self
            .discovered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((url, at)) = &cached {
            if at.elapsed() < settings.cache_duration {
                return Ok(url.clone());
            }
        }
        match crate::discovery::discover(issuer, &settings.fetch, Some(&self.stop)) {
            Ok(url) => {
                *self.discovered.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some((url.clone(), Instant::now()));
                Ok(url)
            }
            Err(e) => match cached {
                Some((url, _)) if e.code != ErrorCode::InvalidConfig => Ok(url),
                _ => Err(e),
            },
        }
    }

    fn fetch_key_set(&self) -> Result<KeySet> {
        let settings = self.settings.load_full();
        let url = match (&self.url, &self.discover) {
            (Some(url), _) => url.clone(),
            (None, Some(issuer)) => self.discovered_url(issuer, &settings)?,
            (None, None) => return Err(Error::new(ErrorCode::JwksFetchFailed, "no jwks_uri")),
        };
        let url = &url;
        let body = fetch::fetch(url, &settings.fetch, Some(&self.stop))?;
        let keys = KeySet::parse(&body).map_err(|e| {
            Error::new(
                ErrorCode::JwksFetchFailed,
                format!("the JWKS from {} is not usable: {}", url.text, e.message),
            )
        })?;
        // A set without one usable key is a failed fetch, not a rotation to "no keys": the last
        // good keys stay in use (an IdP that briefly serves `{"keys":[]}` must not lock everyone
        // out), exactly as `load_jwks` refuses such a set.
        if keys.keys.is_empty() {
            let mut message = format!("the JWKS from {} has no usable key", url.text);
            if let Some(first) = keys.skipped.first() {
                message.push_str(&format!(
                    " ({} skipped; first: {first})",
                    keys.skipped.len()
                ));
            }
            return Err(Error::new(ErrorCode::JwksFetchFailed, message));
        }
        Ok(keys)
    }

    /// Asks for a refresh of stale keys without waiting for it.
    fn request_refresh(self: &Arc<Self>) {
        if self.refresh_requested.swap(true, Ordering::AcqRel) {
            return;
        }
        let mut state = self.lock();
        state.refresh_wanted = true;
        drop(state);
        self.changed.notify_all();
        self.ensure_background();
    }

    /// Starts the background refresher if there is work for it and it is not running.
    fn ensure_background(self: &Arc<Self>) {
        if !self.fetches() || self.stop.load(Ordering::Relaxed) {
            return;
        }
        let mut state = self.lock();
        let wanted = self.settings.load().auto_refresh || state.refresh_wanted;
        if state.background_running || state.static_keys || !wanted || self.current.load().is_none()
        {
            return;
        }
        state.background_running = true;
        drop(state);
        let store = Arc::clone(self);
        let spawned = thread::Builder::new()
            .name("gopher-orch-jwks".into())
            .spawn(move || store.background_loop());
        if spawned.is_err() {
            // No thread: validations keep the current keys; a later request tries again.
            self.lock().background_running = false;
            self.refresh_requested.store(false, Ordering::Release);
        }
    }

    /// When the next background fetch is due, or None when there is nothing to do.
    fn next_due(&self, state: &State, settings: &StoreSettings) -> Option<Instant> {
        let snap = self.current.load_full()?;
        if !settings.auto_refresh && !state.refresh_wanted {
            return None;
        }
        let lead = if settings.auto_refresh {
            settings.lead()
        } else {
            Duration::ZERO
        };
        let mut due = snap.fetched_at + settings.cache_duration.saturating_sub(lead);
        if let Some(failed) = state.last_failure {
            if failed > snap.fetched_at {
                due = due.max(failed + settings.failure_retry_delay().max(Duration::from_secs(1)));
            }
        }
        Some(due)
    }

    /// The refresher thread's body. Whatever happens inside (even a panic), the thread
    /// leaves `background_running` false behind, so a later request can start a new one.
    fn background_loop(self: Arc<Self>) {
        let _ =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.refresh_until_idle()));
        self.lock().background_running = false;
        self.changed.notify_all();
    }

    /// Refreshes whenever due; returns when stopped, static, or nothing is scheduled.
    fn refresh_until_idle(&self) {
        let mut state = self.lock();
        loop {
            if self.stop.load(Ordering::Relaxed) || state.static_keys {
                return;
            }
            let settings = self.settings.load_full();
            let Some(due) = self.next_due(&state, &settings) else {
                return;
            };
            if state.in_flight {
                state = self
                    .changed
                    .wait_timeout(state, Duration::from_millis(200))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                continue;
            }
            let now = Instant::now();
            if now < due {
                state = self
                    .changed
                    .wait_timeout(state, due - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
                continue;
            }
            state.in_flight = true;
            state.refresh_wanted = false;
            self.refresh_requested.store(false, Ordering::Release);
            drop(state);
            // Failures are recorded in the state; the last good keys stay in use.
            let _ = self.run_flight();
            state = self.lock();
        }
    }

    /// Stops the background thread: it notices at once when idle, within ~100 ms when in
    /// the middle of reading a response. Waits at most a couple of seconds (a connect or
    /// name resolution in progress cannot be interrupted; the thread then ends on its own
    /// when that returns and touches nothing but this store).
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.changed.notify_all();
        let deadline = Instant::now() + SHUTDOWN_WAIT;
        let mut state = self.lock();
        while state.background_running {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            state = self
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// True while a background refresher thread exists (for tests and diagnostics).
    pub fn background_running(&self) -> bool {
        self.lock().background_running
    }
}
