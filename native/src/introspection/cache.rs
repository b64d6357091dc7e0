//! The introspection cache: outcomes keyed by the SHA-256 of the token (the token text is
//! never kept), each with its own end of life in Unix seconds (active: `min(exp, now + ttl)`;
//! inactive: `now + negative ttl`). Bounded: at most `capacity` entries in total; a full
//! cache first drops dead entries of the shard, then an arbitrary one of it.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::response::Outcome;

const SHARDS: usize = 16;

pub type Key = [u8; 32];

struct Entry {
    outcome: Outcome,
    until: i64,
}

pub struct OutcomeCache {
    shards: Box<[Mutex<HashMap<Key, Entry>>]>,
    capacity: AtomicUsize,
    len: AtomicUsize,
}

impl OutcomeCache {
    pub fn new(capacity: usize) -> OutcomeCache {
        OutcomeCache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            capacity: AtomicUsize::new(capacity),
            len: AtomicUsize::new(0),
        }
    }

    fn shard(&self, key: &Key) -> MutexGuard<'_, HashMap<Key, Entry>> {
        self.shards[usize::from(key[0]) % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// The live outcome for `key` at `now`; a dead entry is dropped.
    pub fn get(&self, key: &Key, now: i64) -> Option<Outcome> {
        let mut shard = self.shard(key);
        match shard.get(key) {
            Some(e) if now < e.until => Some(e.outcome.clone()),
            Some(_) => {
                shard.remove(key);
                self.len.fetch_sub(1, Ordering::Relaxed);
                None
            }
            None => None,
        }
    }

    /// Keeps `outcome` until `until` (exclusive), if that is after `now` and there is room.
    pub fn insert(&self, key: Key, outcome: Outcome, until: i64, now: i64) {
        let capacity = self.capacity.load(Ordering::Relaxed);
        if capacity == 0 || until <= now {
            return;
        }
        let mut shard = self.shard(&key);
        if let Some(old) = shard.get_mut(&key) {
            *old = Entry { outcome, until };
            return;
        }
        if self.len.load(Ordering::Relaxed) >= capacity {
            let before = shard.len();
            shard.retain(|_, e| now < e.until);
            if shard.len() == before {
                if let Some(victim) = shard.keys().next().copied() {
                    shard.remove(&victim);
                }
            }
            self.len.fetch_sub(before - shard.len(), Ordering::Relaxed);
            if self.len.load(Ordering::Relaxed) >= capacity {
                return; // this shard had nothing to give up
            }
        }
        shard.insert(key, Entry { outcome, until });
        self.len.fetch_add(1, Ordering::Relaxed);
    }

    pub fn clear(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            self.len.fetch_sub(shard.len(), Ordering::Relaxed);
            shard.clear();
        }
    }

    /// Sets the bound; entries beyond it go.
    pub fn set_capacity(&self, capacity: usize) {
        self.capacity.store(capacity, Ordering::Relaxed);
        if self.len.load(Ordering::Relaxed) > capacity {
            self.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorCode};

    fn no() -> Outcome {
        Outcome::Refused(Error::new(ErrorCode::InvalidToken, "x"))
    }

    #[test]
    fn entries_live_until_their_end() {
        let c = OutcomeCache::new(10);
        c.insert([1; 32], no(), 100, 50);
        assert!(c.get(&[1; 32], 99).is_some());
        assert!(c.get(&[1; 32], 100).is_none());
        assert!(c.is_empty());
        c.insert([2; 32], no(), 50, 50);
        assert!(c.is_empty(), "already dead");
    }

    #[test]
    fn the_bound_holds() {
        let c = OutcomeCache::new(5);
        for i in 0..=255u8 {
            c.insert([i; 32], no(), 1000, 0);
            assert!(c.len() <= 5);
        }
        assert!(!c.is_empty());
        let off = OutcomeCache::new(0);
        off.insert([1; 32], no(), 1000, 0);
        assert!(off.is_empty());
    }
}
