//! Time accounting per task, as Flink defines its metrics (busy,
//! backpressured, idle), sampled by the coordinator over the measured window;
//! latency histograms; CPU seconds from the kernel.

use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;

/// Cumulative task time, published by the task for the coordinator to sample.
#[derive(Default)]
pub(super) struct TaskClock {
    pub(super) busy_ns: AtomicU64,
    pub(super) backpressured_ns: AtomicU64,
    pub(super) idle_ns: AtomicU64,
    pub(super) records: AtomicU64,
}

/// A sample of a [`TaskClock`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct ClockSample {
    busy_ns: u64,
    backpressured_ns: u64,
    idle_ns: u64,
    pub(super) records: u64,
}

impl TaskClock {
    pub(super) fn sample(&self) -> ClockSample {
        ClockSample {
            busy_ns: self.busy_ns.load(Ordering::Relaxed),
            backpressured_ns: self.backpressured_ns.load(Ordering::Relaxed),
            idle_ns: self.idle_ns.load(Ordering::Relaxed),
            records: self.records.load(Ordering::Relaxed),
        }
    }
}

/// Busy, backpressured and idle milliseconds per second over a window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TaskTimes {
    pub busy_ms_per_s: f64,
    pub backpressured_ms_per_s: f64,
    pub idle_ms_per_s: f64,
    pub records_per_s: f64,
}

pub(super) fn times_between(a: ClockSample, b: ClockSample, seconds: f64) -> TaskTimes {
    let per_s = |x: u64, y: u64| (y.saturating_sub(x)) as f64 / 1e6 / seconds;
    TaskTimes {
        busy_ms_per_s: per_s(a.busy_ns, b.busy_ns),
        backpressured_ms_per_s: per_s(a.backpressured_ns, b.backpressured_ns),
        idle_ms_per_s: per_s(a.idle_ns, b.idle_ns),
        records_per_s: (b.records.saturating_sub(a.records)) as f64 / seconds,
    }
}

pub(super) fn new_histogram() -> Histogram<u64> {
    // 1 µs to 1 hour at 3 significant digits; the bounds are valid constants.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// CPU seconds of the calling thread (`/proc/thread-self/stat`), or of the
/// process (`/proc/self/stat`). Linux reports them in USER_HZ = 100 ticks.
pub(super) fn cpu_seconds(thread: bool) -> f64 {
    let path = if thread {
        "/proc/thread-self/stat"
    } else {
        "/proc/self/stat"
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let Some(rest) = text.rfind(')').map(|i| &text[i + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}
