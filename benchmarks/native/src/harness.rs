//! A plain timing harness: warm-up, per-case calibration to a fixed batch duration, then
//! rounds in which every case runs one batch in turn (round-robin, so slow drifts of a shared
//! machine hit all cases alike). The statistic is the median over rounds of ns per operation.
//!
//! Batches are timed with the thread's CPU-time clock by default: on a shared 2-core machine
//! the wall clock also counts the time other processes hold the core, which is not the cost
//! of the code. `Clock::Wall` is there for comparison.

use std::time::{Duration, Instant};

/// What a batch is timed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID).
    ThreadCpu,
    /// Monotonic wall-clock time.
    Wall,
}

impl Clock {
    pub fn name(self) -> &'static str {
        match self {
            Clock::ThreadCpu => "thread CPU time",
            Clock::Wall => "wall time",
        }
    }

    fn now(self) -> Duration {
        match self {
            Clock::ThreadCpu => {
                let mut ts = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                // SAFETY: a valid out-pointer; this clock exists on every Linux since 2.6.12.
                let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
                assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
                Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
            }
            Clock::Wall => {
                thread_local!(static ORIGIN: Instant = Instant::now());
                ORIGIN.with(|origin| origin.elapsed())
            }
        }
    }
}

/// One measured operation. It returns a value that must be "truthy" (checked once per batch),
/// so the optimiser cannot drop the work and a broken setup cannot pass as fast.
pub struct Case<'a> {
    pub label: String,
    pub op: Box<dyn FnMut() -> bool + 'a>,
    iters: u64,
    pub samples_ns: Vec<f64>,
}

impl<'a> Case<'a> {
    pub fn new(label: impl Into<String>, op: impl FnMut() -> bool + 'a) -> Case<'a> {
        Case {
            label: label.into(),
            op: Box::new(op),
            iters: 1,
            samples_ns: Vec::new(),
        }
    }

    fn batch(&mut self, clock: Clock, iters: u64) -> Duration {
        let start = clock.now();
        let mut ok = true;
        for _ in 0..iters {
            ok &= std::hint::black_box((self.op)());
        }
        let elapsed = clock.now().saturating_sub(start);
        assert!(
            ok,
            "benchmark case '{}' returned a failure inside the timed loop",
            self.label
        );
        elapsed
    }

    /// Runs the case for `warmup`, then sets the iteration count so one batch lasts `batch`.
    fn calibrate(&mut self, clock: Clock, warmup: Duration, batch: Duration) {
        let start = Instant::now();
        let mut iters = 1u64;
        let mut per_op_ns = 1.0f64;
        while start.elapsed() < warmup {
            let t = self.batch(clock, iters);
            per_op_ns = (t.as_nanos() as f64 / iters as f64).max(1.0);
            if t < batch / 4 {
                iters *= 2;
            }
        }
        self.iters = ((batch.as_nanos() as f64 / per_op_ns) as u64).max(1);
    }

    pub fn median_ns(&self) -> f64 {
        median(&self.samples_ns)
    }
}

/// Settings of one run.
pub struct Plan {
    pub warmup: Duration,
    pub batch: Duration,
    pub rounds: usize,
    pub clock: Clock,
}

/// Measures every case, round-robin.
pub fn run(cases: &mut [Case<'_>], plan: &Plan) {
    for case in cases.iter_mut() {
        case.calibrate(plan.clock, plan.warmup, plan.batch);
    }
    for _ in 0..plan.rounds {
        for case in cases.iter_mut() {
            let iters = case.iters;
            let t = case.batch(plan.clock, iters);
            case.samples_ns.push(t.as_nanos() as f64 / iters as f64);
        }
    }
}

/// The median of `values` (mean of the two middle ones for an even count).
pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "median of nothing");
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// The median over rounds of the per-round ratio `num / den` (pairs measured close in time).
pub fn paired_ratio(num: &Case<'_>, den: &Case<'_>) -> f64 {
    let ratios: Vec<f64> = num
        .samples_ns
        .iter()
        .zip(&den.samples_ns)
        .map(|(n, d)| n / d)
        .collect();
    median(&ratios)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
