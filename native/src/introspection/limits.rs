//! Protection of the authorization server: a cap on concurrent introspection requests and a
//! token-bucket rate limit on them (uncached tokens only: cache hits and single-flight
//! followers cost nothing). Past either, the caller gets NETWORK_ERROR at once (served as 503
//! with Retry-After): never a queue, never a 401.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{Error, ErrorCode, Result};

pub struct Limits {
    in_flight: AtomicUsize,
    bucket: Mutex<Bucket>,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A slot among the concurrent requests; released on drop.
pub struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            in_flight: AtomicUsize::new(0),
            bucket: Mutex::new(Bucket {
                tokens: f64::INFINITY,
                last: Instant::now(),
            }),
        }
    }
}

impl Limits {
    /// Admits one request: `max_concurrent` in flight at most, `rate` per second on average
    /// with bursts of `rate` (0 = no rate limit).
    pub fn admit(&self, max_concurrent: usize, rate: u64) -> Result<Slot<'_>> {
        let now_in_flight = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let slot = Slot(&self.in_flight);
        if now_in_flight >= max_concurrent {
            return Err(Error::new(
                ErrorCode::NetworkError,
                format!(
                    "{max_concurrent} token introspection request(s) are already in flight \
                     (introspection_max_concurrent); retry shortly"
                ),
            ));
        }
        if rate > 0 {
            let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let burst = rate as f64;
            let refill = now.duration_since(b.last).as_secs_f64() * rate as f64;
            b.tokens = (b.tokens + refill).min(burst);
            b.last = now;
            if b.tokens < 1.0 {
                return Err(Error::new(
                    ErrorCode::NetworkError,
                    format!(
                        "more than {rate} uncached tokens per second to introspect \
                         (introspection_rate_limit); retry shortly"
                    ),
                ));
            }
            b.tokens -= 1.0;
        }
        Ok(slot)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_and_the_rate_refuse_with_network_error() {
        let l = Limits::default();
        let a = l.admit(2, 0).unwrap();
        let _b = l.admit(2, 0).unwrap();
        assert_eq!(l.admit(2, 0).err().unwrap().code, ErrorCode::NetworkError);
        drop(a);
        assert!(l.admit(2, 0).is_ok());
        let r = Limits::default();
        let admitted = (0..20).filter(|_| r.admit(100, 5).is_ok()).count();
        assert!((5..20).contains(&admitted), "{admitted}");
    }
}
