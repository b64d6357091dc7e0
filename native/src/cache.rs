//! The verified-token cache (DESIGN §3.5): repeated tokens skip decoding and signature
//! verification, never the claim checks.
//!
//! - Keyed by the full token text (exact comparison: no digest collisions possible); only
//!   tokens that passed every check are inserted.
//! - An entry is trusted only under the key-set generation that verified it: when the usable
//!   keys change (rotation, a key dropped), older entries die on their next lookup.
//! - An entry also records the header `alg`, re-checked against the client's current
//!   `allowed_algorithms`. Its claims are re-checked on every hit (exp/nbf/iat, audience,
//!   scopes); an entry whose token expired is removed then, or when its shard is full and
//!   the system clock says `exp` has passed.
//! - Bounded: `capacity` entries in total, spread over independent shards (a small `Mutex`
//!   each, so concurrent validations rarely meet); a full shard first drops dead entries,
//!   then an arbitrary one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::alg::{Algorithm, AlgorithmSet};
use crate::claims::Claims;

const SHARDS: usize = 32;
/// Largest capacity accepted (the `token_cache_size` option's maximum).
pub const MAX_CAPACITY: usize = 10_000_000;

struct Entry {
    claims: Arc<Claims>,
    generation: u64,
    alg: Algorithm,
    /// `exp` in Unix seconds.
    expires_at: f64,
}

type Shard = Mutex<HashMap<Box<str>, Entry>>;

pub struct TokenCache {
    shards: Box<[Shard]>,
    capacity: AtomicUsize,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl TokenCache {
    pub fn new(capacity: usize) -> TokenCache {
        TokenCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            capacity: AtomicUsize::new(capacity.min(MAX_CAPACITY)),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity.load(Ordering::Relaxed)
    }

    /// Changes the capacity; 0 turns the cache off and empties it.
    pub fn set_capacity(&self, capacity: usize) {
        let capacity = capacity.min(MAX_CAPACITY);
        self.capacity.store(capacity, Ordering::Relaxed);
        let per_shard = per_shard(capacity);
        for shard in self.shards.iter() {
            let mut map = lock(shard);
            if capacity == 0 {
                *map = HashMap::new();
            } else if map.len() > per_shard {
                shrink_to(&mut map, per_shard);
            }
        }
    }

    fn shard(&self, token: &str) -> &Shard {
        // The tail of a token is its signature: spread enough to pick a shard (the map inside
        // compares whole tokens, so a poor spread costs only contention, never correctness).
        let tail = &token.as_bytes()[token.len().saturating_sub(8)..];
        let mix = tail
            .iter()
            .fold(0usize, |h, &b| h.wrapping_mul(31).wrapping_add(b as usize));
        &self.shards[mix % SHARDS]
    }

    /// The claims of `token` if it was verified under key-set `generation` with an algorithm
    /// still in `allowed`; such stale entries are removed. Time claims are not judged here:
    /// the caller re-checks them on every hit (with its own clock and skew) and calls
    /// [`TokenCache::remove`] when the token has expired.
    pub fn get(&self, token: &str, generation: u64, allowed: AlgorithmSet) -> Option<Arc<Claims>> {
        if self.capacity() == 0 {
            return None;
        }
        let mut map = lock(self.shard(token));
        let entry = map.get(token)?;
        if entry.generation == generation && allowed.contains(entry.alg) {
            return Some(entry.claims.clone());
        }
        map.remove(token);
        None
    }

    /// As [`TokenCache::get`], for a client with several issuers: `generation_of` gives the
    /// current key-set generation of the store the cached claims' issuer selects (None: the
    /// issuer is gone or has no keys, and the entry is dropped). Generations are unique across
    /// stores, so an entry can only match the store that verified it.
    pub fn get_by(
        &self,
        token: &str,
        allowed: AlgorithmSet,
        generation_of: impl FnOnce(&Claims) -> Option<u64>,
    ) -> Option<Arc<Claims>> {
        if self.capacity() == 0 {
            return None;
        }
        let mut map = lock(self.shard(token));
        let entry = map.get(token)?;
        if allowed.contains(entry.alg) && generation_of(&entry.claims) == Some(entry.generation) {
            return Some(entry.claims.clone());
        }
        map.remove(token);
        None
    }

    /// Forgets `token` (its cached claims failed a re-check, e.g. it expired).
    pub fn remove(&self, token: &str) {
        if self.capacity() > 0 {
            lock(self.shard(token)).remove(token);
        }
    }

    /// Remembers a token that passed every check.
    pub fn insert(&self, token: &str, claims: Arc<Claims>, generation: u64, alg: Algorithm) {
        let capacity = self.capacity();
        let Some(expires_at) = claims.expiration else {
            return;
        };
        if capacity == 0 || !expires_at.is_finite() {
            return;
        }
        let per_shard = per_shard(capacity);
        let mut map = lock(self.shard(token));
        if map.len() >= per_shard && !map.contains_key(token) {
            // One pass frees at least an eighth of the shard, so this O(n) work happens at
            // most once per n/8 inserts: amortised O(1).
            let now = unix_now();
            map.retain(|_, e| e.generation == generation && e.expires_at > now);
            if map.len() >= per_shard {
                shrink_to(&mut map, per_shard - per_shard / 8 - 1);
            }
        }
        map.insert(
            token.into(),
            Entry {
                claims,
                generation,
                alg,
                expires_at,
            },
        );
    }

    /// Number of entries (diagnostics and tests).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn per_shard(capacity: usize) -> usize {
    capacity.div_ceil(SHARDS).max(1)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Drops entries spread evenly over the table until at most `limit` remain, in one pass.
fn shrink_to(map: &mut HashMap<Box<str>, Entry>, limit: usize) {
    let mut excess = map.len().saturating_sub(limit);
    if excess == 0 {
        return;
    }
    let stride = (map.len() / excess).max(1);
    let mut seen = 0usize;
    map.retain(|_, _| {
        seen += 1;
        if excess > 0 && seen % stride == 0 {
            excess -= 1;
            false
        } else {
            true
        }
    });
    // Rounding may leave a few; the table's end drops them.
    if excess > 0 {
        let mut keep = limit;
        map.retain(|_, _| {
            let k = keep > 0;
            keep = keep.saturating_sub(1);
            k
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: f64) -> Arc<Claims> {
        let mut claims = Claims::from_map(serde_json::Map::new());
        claims.subject = Some("s".into());
        claims.issuer = Some("i".into());
        claims.expiration = Some(exp);
        Arc::new(claims)
    }

    fn later() -> f64 {
        unix_now() + 3600.0
    }

    #[test]
    fn hit_needs_the_same_token_generation_and_an_allowed_alg() {
        let cache = TokenCache::new(100);
        cache.insert("tok.en.1", claims(later()), 7, Algorithm::ES256);
        assert!(cache.get("tok.en.1", 7, AlgorithmSet::all()).is_some());
        assert!(cache.get("tok.en.2", 7, AlgorithmSet::all()).is_none());
        assert!(
            cache.get("tok.en.", 7, AlgorithmSet::all()).is_none(),
            "exact token only"
        );
        let rs_only = AlgorithmSet::parse("RS256").unwrap();
        assert!(
            cache.get("tok.en.1", 7, rs_only).is_none(),
            "alg no longer allowed"
        );
        assert!(
            cache.get("tok.en.1", 7, AlgorithmSet::all()).is_none(),
            "and the entry is gone"
        );
        cache.insert("tok.en.1", claims(later()), 7, Algorithm::ES256);
        assert!(
            cache.get("tok.en.1", 8, AlgorithmSet::all()).is_none(),
            "new key set generation"
        );
        assert!(cache.is_empty());
    }

    #[test]
    fn removed_entries_are_gone() {
        let cache = TokenCache::new(100);
        cache.insert("old", claims(unix_now() - 1.0), 1, Algorithm::EdDSA);
        assert!(
            cache.get("old", 1, AlgorithmSet::all()).is_some(),
            "the caller judges time claims"
        );
        cache.remove("old");
        assert!(cache.get("old", 1, AlgorithmSet::all()).is_none());
    }

    #[test]
    fn a_full_shard_drops_expired_entries_first() {
        let cache = TokenCache::new(SHARDS * 2); // two entries per shard
        cache.insert("x-aaaaaaaa", claims(unix_now() - 1.0), 1, Algorithm::EdDSA);
        cache.insert("y-aaaaaaaa", claims(later()), 1, Algorithm::EdDSA);
        cache.insert("z-aaaaaaaa", claims(later()), 1, Algorithm::EdDSA); // same shard (same tail)
        assert!(cache.get("x-aaaaaaaa", 1, AlgorithmSet::all()).is_none());
        assert!(cache.get("y-aaaaaaaa", 1, AlgorithmSet::all()).is_some());
        assert!(cache.get("z-aaaaaaaa", 1, AlgorithmSet::all()).is_some());
    }

    #[test]
    fn bounded_and_can_be_turned_off() {
        let cache = TokenCache::new(64);
        for i in 0..10_000 {
            cache.insert(
                &format!("token-{i:05}"),
                claims(later()),
                1,
                Algorithm::EdDSA,
            );
        }
        assert!(cache.len() <= 64, "{}", cache.len());
        cache.set_capacity(0);
        assert!(cache.is_empty());
        cache.insert("t", claims(later()), 1, Algorithm::EdDSA);
        assert!(cache.get("t", 1, AlgorithmSet::all()).is_none());
        cache.set_capacity(10);
        cache.insert("t", claims(later()), 1, Algorithm::EdDSA);
        assert!(cache.get("t", 1, AlgorithmSet::all()).is_some());
    }

    #[test]
    fn shrinking_keeps_exactly_the_limit() {
        for (n, limit) in [(10, 3), (100, 99), (1000, 1), (7, 0), (5, 5)] {
            let mut map = HashMap::new();
            for i in 0..n {
                map.insert(
                    format!("t{i}").into_boxed_str(),
                    Entry {
                        claims: claims(later()),
                        generation: 1,
                        alg: Algorithm::EdDSA,
                        expires_at: later(),
                    },
                );
            }
            shrink_to(&mut map, limit);
            assert_eq!(map.len(), limit.min(n), "{n} → {limit}");
        }
    }

    #[test]
    fn full_shards_drop_stale_entries_first() {
        let cache = TokenCache::new(SHARDS); // one entry per shard
        cache.insert("aaaaaaaa", claims(later()), 1, Algorithm::EdDSA);
        cache.insert(
            "aaaaaaaa-other-but-same-tail-aaaaaaaa",
            claims(later()),
            2,
            Algorithm::EdDSA,
        );
        assert!(cache
            .get(
                "aaaaaaaa-other-but-same-tail-aaaaaaaa",
                2,
                AlgorithmSet::all()
            )
            .is_some());
        assert!(cache.len() <= SHARDS);
    }
}
