//! Records, keys and the deterministic event generator.
//!
//! Event `i` is a pure function of `(seed, i)`, like the record at offset `i`
//! of a Kafka partition: a source restored from a checkpointed offset replays
//! exactly the events it had produced, which is what makes the exactly-once
//! comparison with a fault-free run exact.

use std::sync::Arc;

use crate::config::Common;
use crate::keys::KeyDistribution;

/// The key the keyed operator partitions and aggregates by.
///
/// `sub` is 0 for the customer strategy, the event type's index for the
/// composite key, and the sub-key index of a hot customer for sticky-key
/// sub-partitioning (0 for other customers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub customer_id: i64,
    pub sub: i32,
}

/// One event as it travels from the source to the keyed operator (40 bytes,
/// `Copy`, so a batch is one flat allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    pub customer_id: i64,
    pub event_time_ms: i64,
    /// When the open-loop source was scheduled to send it (ns since the run's start).
    pub sched_ns: u64,
    /// Its position in the source's log.
    pub offset: u64,
    pub sub: i32,
    pub value: u32,
}

impl Record {
    #[inline]
    pub fn key(&self) -> Key {
        Key {
            customer_id: self.customer_id,
            sub: self.sub,
        }
    }
}

/// SplitMix64's finaliser: a bijective mix of 64 bits, good enough to turn a
/// counter into independent-looking random numbers.
#[inline]
pub fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// What the generator decides for one offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub customer_id: i64,
    pub event_type: u8,
    pub value: u32,
    /// How far the event time lags its send time (event-time disorder).
    pub delay_ms: i64,
}

/// Generates the events of the source's log.
#[derive(Debug, Clone)]
pub struct EventGenerator {
    seed: u64,
    keys: Arc<KeyDistribution>,
    base_ms: i64,
    bound_ms: u64,
    /// Events whose 32-bit draw is below this are delayed beyond the bound.
    late_threshold: u64,
    late_extra_ms: u64,
    value_max: u64,
}

impl EventGenerator {
    pub fn new(common: &Common, keys: Arc<KeyDistribution>) -> Self {
        EventGenerator {
            seed: common.seed,
            keys,
            base_ms: common.event_time_base_ms,
            bound_ms: common.out_of_orderness_ms as u64,
            late_threshold: (common.late_fraction * 4_294_967_296.0) as u64,
            late_extra_ms: common.late_extra_ms as u64,
            value_max: u64::from(common.value_max),
        }
    }

    pub fn keys(&self) -> &KeyDistribution {
        &self.keys
    }

    /// The event at `offset`.
    #[inline]
    pub fn event(&self, offset: u64) -> Event {
        let r1 = mix64(self.seed ^ offset.wrapping_mul(0xd6e8_feb8_6659_fd93));
        let r2 = mix64(r1);
        let r3 = mix64(r2);
        let customer_id = self.keys.sample_customer(r1);
        let event_type = self.keys.sample_event_type(r2);
        let value = 1 + (((r3 & 0xffff_ffff) * self.value_max) >> 32) as u32;
        // Disorder: most events lag their send time by up to the watermark
        // bound (uniformly); `late_fraction` of them lag by more, up to
        // bound + late_extra, and may miss their window.
        let draw = r3 >> 32;
        let pick = r2 & 0xffff_ffff;
        let delay = if pick < self.late_threshold {
            self.bound_ms + 1 + ((draw * self.late_extra_ms) >> 32)
        } else {
            (draw * (self.bound_ms + 1)) >> 32
        };
        Event {
            customer_id,
            event_type,
            value,
            delay_ms: delay as i64,
        }
    }

    /// Event time of an event scheduled `sched_ns` after the run's start.
    #[inline]
    pub fn event_time_ms(&self, sched_ns: u64, delay_ms: i64) -> i64 {
        self.base_ms + (sched_ns / 1_000_000) as i64 - delay_ms
    }
}

/// Send times of an open-loop source at a fixed rate: event `i` is due
/// `i / rate` seconds after the start.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    period_ns: f64,
}

impl Schedule {
    pub fn new(rate_per_s: f64) -> Self {
        Schedule {
            period_ns: 1e9 / rate_per_s,
        }
    }

    #[inline]
    pub fn sched_ns(&self, offset: u64) -> u64 {
        (offset as f64 * self.period_ns) as u64
    }

    /// The number of events due at `elapsed_ns` (those with `sched_ns <= elapsed_ns`).
    #[inline]
    pub fn due(&self, elapsed_ns: u64) -> u64 {
        (elapsed_ns as f64 / self.period_ns) as u64 + 1
    }

    /// The first offset due at or after `t_ns`.
    pub fn first_at_or_after(&self, t_ns: u64) -> u64 {
        let mut i = (t_ns as f64 / self.period_ns) as u64;
        while self.sched_ns(i) < t_ns {
            i += 1;
        }
        while i > 0 && self.sched_ns(i - 1) >= t_ns {
            i -= 1;
        }
        i
    }
}
