//! Calibrated runs at fixed offered rates, and the bisection that finds each
//! strategy's sustainable throughput.
//!
//! **Sustained** (after Karimov et al., ICDE 2018: the highest rate without
//! prolonged backpressure, i.e. without latency that keeps growing): over the
//! measured window, after a warm-up,
//! 1. the source's lag (events due but not yet emitted) grows by at most
//!    `lag_growth_tolerance` × the offered rate per second (least-squares
//!    slope of the lag samples), and
//! 2. the p99 latency of events sent in the second half of the window exceeds
//!    the first half's by at most `latency_growth_tolerance_ms`.
//!
//! An overloaded operator backpressures the source through the bounded
//! channels, so its lag grows linearly at (offered − capacity) and the
//! latency of later events grows with it; a sustained one has flat lag and
//! flat latency.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{BackendKind, Common, Strategy};
use crate::error::Result;
use crate::event::EventGenerator;
use crate::keys::KeyDistribution;
use crate::partition::{AnyPartitioner, Partitioner, PartitionerSpec};
use crate::report::{CheckpointSummary, RatePoint, p50_max, quantile_ms, round};
use crate::runtime::{CheckpointStat, Guarantee, JobResult, JobSpec, Mode, Pacing, Stop, run_job};

/// The criterion, in words, for the report.
pub fn criterion_text(common: &Common) -> String {
    format!(
        "A rate is sustained when, over the measured window after the warm-up, (1) the \
         least-squares slope of the source lag (events due but not yet emitted) is at most \
         {} x the offered rate per second, and (2) the p99 latency of events sent in the second \
         half of the window exceeds the first half's by at most {} ms. A strategy's sustainable \
         throughput is the highest rate a bisection from the plan's peak finds sustained, to \
         the stated precision; each bisection is repeated and the median reported with the \
         least and the most.",
        common.lag_growth_tolerance, common.latency_growth_tolerance_ms
    )
}

/// Decides whether a measured point is sustained (see the module doc).
pub fn is_sustained(
    common: &Common,
    offered_rate: f64,
    lag_growth_per_s: f64,
    p99_first_half_ms: f64,
    p99_second_half_ms: f64,
) -> bool {
    lag_growth_per_s <= common.lag_growth_tolerance * offered_rate
        && p99_second_half_ms - p99_first_half_ms <= common.latency_growth_tolerance_ms
}

/// Least-squares slope of `(t, y)` samples; 0 with fewer than two.
pub fn slope(samples: &[(f64, f64)]) -> f64 {
    let n = samples.len() as f64;
    if samples.len() < 2 {
        return 0.0;
    }
    let mt = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let my = samples.iter().map(|s| s.1).sum::<f64>() / n;
    let num: f64 = samples.iter().map(|(t, y)| (t - mt) * (y - my)).sum();
    let den: f64 = samples.iter().map(|(t, _)| (t - mt) * (t - mt)).sum();
    if den == 0.0 { 0.0 } else { num / den }
}

/// What a calibrated point needs besides the rate.
#[derive(Debug, Clone)]
pub struct PointSetup {
    pub common: Common,
    pub partitioner: PartitionerSpec,
    pub backend: BackendKind,
    pub service_ns: f64,
    pub warmup_s: f64,
    pub measure_s: f64,
    pub checkpoint_interval_ms: u64,
}

/// One open-loop calibrated run at `rate`.
pub fn run_point(
    setup: &PointSetup,
    generator: &EventGenerator,
    rate: f64,
) -> Result<(RatePoint, JobResult)> {
    let warm = Duration::from_secs_f64(setup.warmup_s);
    let len = Duration::from_secs_f64(setup.measure_s);
    let spec = JobSpec {
        common: setup.common.clone(),
        partitioner: setup.partitioner.clone(),
        backend: setup.backend,
        mode: Mode::Calibrated {
            service_ns: setup.service_ns,
        },
        pacing: Pacing::Open { rate },
        // A little past the window, so its end is sampled before the stop.
        stop: Stop::At(warm + len + Duration::from_millis(50)),
        guarantee: Guarantee::ExactlyOnce,
        checkpoint_interval: Some(Duration::from_millis(setup.checkpoint_interval_ms)),
        measure: Some((warm, len)),
        faults: Vec::new(),
    };
    let result = run_job(&spec, generator)?;
    let point = rate_point(&setup.common, rate, &result);
    Ok((point, result))
}

pub fn checkpoint_summary(stats: &[CheckpointStat]) -> CheckpointSummary {
    let mut d: Vec<f64> = stats.iter().map(|c| c.duration_ms).collect();
    let mut b: Vec<f64> = stats.iter().map(|c| c.bytes as f64).collect();
    let (d50, dmax) = p50_max(&mut d);
    let (b50, bmax) = p50_max(&mut b);
    CheckpointSummary {
        completed: stats.len(),
        duration_ms_p50: round(d50),
        duration_ms_max: round(dmax),
        bytes_p50: b50,
        bytes_max: bmax,
    }
}

/// A point with nothing measured: not sustained, no latency, no subtask.
fn empty_point(rate: f64, late_records: u64, checkpoints: CheckpointSummary) -> RatePoint {
    RatePoint {
        offered_rate: rate,
        achieved_rate: 0.0,
        sustained: false,
        latency_p50_ms: 0.0,
        latency_p99_ms: 0.0,
        latency_p999_ms: 0.0,
        latency_max_ms: 0.0,
        latency_p99_first_half_ms: 0.0,
        latency_p99_second_half_ms: 0.0,
        lag_growth_per_s: 0.0,
        final_lag_records: 0.0,
        busy_ratio: vec![],
        backpressured_ratio: vec![],
        idle_ratio: vec![],
        hottest_subtask: 0,
        hottest_busy_ratio: 0.0,
        mean_busy_ratio: 0.0,
        source_backpressured_ratio: 0.0,
        merge_busy_ratio: 0.0,
        late_records,
        checkpoints,
    }
}

fn rate_point(common: &Common, rate: f64, result: &JobResult) -> RatePoint {
    let Some(w) = &result.window else {
        return empty_point(
            rate,
            result.late_records,
            checkpoint_summary(&result.checkpoints),
        );
    };
    let mut all = w.latency_first_half_us.clone();
    // Same bounds, so adding cannot fail.
    let _ = all.add(&w.latency_second_half_us);
    let p99a = quantile_ms(&w.latency_first_half_us, 0.99);
    let p99b = quantile_ms(&w.latency_second_half_us, 0.99);
    let lag_growth = slope(&w.lag_samples);
    let busy: Vec<f64> = w
        .subtasks
        .iter()
        .map(|t| round(t.busy_ms_per_s / 1000.0))
        .collect();
    let (hottest, hottest_busy) =
        busy.iter().enumerate().fold(
            (0, 0.0),
            |acc, (i, b)| if *b > acc.1 { (i, *b) } else { acc },
        );
    let mean_busy = busy.iter().sum::<f64>() / busy.len().max(1) as f64;
    RatePoint {
        offered_rate: rate,
        achieved_rate: round(w.achieved_rate),
        sustained: is_sustained(common, rate, lag_growth, p99a, p99b),
        latency_p50_ms: quantile_ms(&all, 0.5),
        latency_p99_ms: quantile_ms(&all, 0.99),
        latency_p999_ms: quantile_ms(&all, 0.999),
        latency_max_ms: if all.is_empty() {
            0.0
        } else {
            all.max() as f64 / 1000.0
        },
        latency_p99_first_half_ms: p99a,
        latency_p99_second_half_ms: p99b,
        lag_growth_per_s: round(lag_growth),
        final_lag_records: w.lag_samples.last().map(|s| s.1).unwrap_or(0.0),
        backpressured_ratio: w
            .subtasks
            .iter()
            .map(|t| round(t.backpressured_ms_per_s / 1000.0))
            .collect(),
        idle_ratio: w
            .subtasks
            .iter()
            .map(|t| round(t.idle_ms_per_s / 1000.0))
            .collect(),
        busy_ratio: busy,
        hottest_subtask: hottest,
        hottest_busy_ratio: hottest_busy,
        mean_busy_ratio: round(mean_busy),
        source_backpressured_ratio: round(w.source.backpressured_ms_per_s / 1000.0),
        merge_busy_ratio: round(w.sink.busy_ms_per_s / 1000.0),
        late_records: result.late_records,
        checkpoints: checkpoint_summary(&result.checkpoints),
    }
}

/// Bisections give up past this many moves of the bracket: a rate 1.5^20
/// away from the start is a broken run, not a measurement.
const MAX_BRACKET_MOVES: u32 = 20;

/// The highest sustained rate, bisected from `start`: the bracket moves by
/// `step` until its top fails and its bottom is sustained, then halves until
/// it is narrower than `precision` of its top. Returns every probe (in the
/// order run, `start` first) and the highest rate found sustained (0 when
/// nothing was).
pub fn bisect(
    start: f64,
    step: f64,
    precision: f64,
    mut probe: impl FnMut(f64) -> Result<RatePoint>,
) -> Result<(Vec<RatePoint>, f64)> {
    let mut probes = Vec::new();
    let mut run = |rate: f64| -> Result<bool> {
        let p = probe(rate.round().max(1.0))?;
        let sustained = p.sustained;
        probes.push(p);
        Ok(sustained)
    };
    let (mut lo, mut hi);
    if run(start)? {
        (lo, hi) = (start, start * step);
        let mut moves = 0;
        while run(hi)? {
            moves += 1;
            if moves == MAX_BRACKET_MOVES {
                return Ok((probes, hi.round()));
            }
            (lo, hi) = (hi, hi * step);
        }
    } else {
        (lo, hi) = (start / step, start);
        let mut moves = 0;
        while !run(lo)? {
            moves += 1;
            if moves == MAX_BRACKET_MOVES || lo < 1.0 {
                return Ok((probes, 0.0));
            }
            (lo, hi) = (lo / step, lo);
        }
    }
    while (hi - lo) / hi > precision {
        let mid = (lo + hi) / 2.0;
        if run(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((probes, lo.round()))
}

/// The median of a few values (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The exact share of all events each subtask receives under a strategy,
/// from the key shares (what the model uses to predict the hottest subtask).
pub fn subtask_shares(keys: &KeyDistribution, spec: &PartitionerSpec) -> Vec<f64> {
    let mut shares = vec![0.0; spec.parallelism as usize];
    let mut part = AnyPartitioner::new(spec);
    let hot: std::collections::BTreeMap<i64, u32> = spec.hot_customers.iter().copied().collect();
    for (&cid, &share) in keys.customer_ids.iter().zip(&keys.customer_shares) {
        match spec.strategy {
            Strategy::Customer => {
                shares[part.route(crate::event::Key {
                    customer_id: cid,
                    sub: 0,
                })] += share;
            }
            Strategy::Composite => {
                for (t, ts) in keys.event_type_shares.iter().enumerate() {
                    let key = crate::event::Key {
                        customer_id: cid,
                        sub: t as i32,
                    };
                    shares[part.route(key)] += share * ts;
                }
            }
            Strategy::Sticky => {
                let subs = hot.get(&cid).copied().unwrap_or(1).max(1);
                for sub in 0..subs {
                    let key = crate::event::Key {
                        customer_id: cid,
                        sub: sub as i32,
                    };
                    shares[part.route(key)] += share / f64::from(subs);
                }
            }
        }
    }
    shares.iter().map(|s| round(*s)).collect()
}

/// Builds a generator for a scenario.
pub fn generator(common: &Common, keys: &Arc<KeyDistribution>) -> EventGenerator {
    EventGenerator::new(common, Arc::clone(keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point that is sustained exactly up to `capacity`.
    fn point(rate: f64, capacity: f64) -> RatePoint {
        RatePoint {
            achieved_rate: rate.min(capacity),
            sustained: rate <= capacity,
            ..empty_point(rate, 0, checkpoint_summary(&[]))
        }
    }

    #[test]
    fn bisection_brackets_from_the_start_and_stops_at_the_precision() {
        for capacity in [1_000.0, 123_456.0, 199_999.0, 200_000.0, 700_000.0] {
            let (probes, found) = bisect(200_000.0, 1.5, 0.01, |r| Ok(point(r, capacity))).unwrap();
            assert_eq!(probes[0].offered_rate, 200_000.0, "starts at the peak");
            assert!(found <= capacity, "{capacity}: found {found}");
            // Within 1% of the capacity, up to the rounding of rates to whole events/s.
            assert!(found >= capacity * 0.99 - 1.0, "{capacity}: found {found}");
            let failed_above = probes
                .iter()
                .filter(|p| !p.sustained)
                .map(|p| p.offered_rate)
                .fold(f64::INFINITY, f64::min);
            assert!((failed_above - found) / failed_above <= 0.01 + 1e-9);
        }
    }

    #[test]
    fn a_bisection_that_sustains_nothing_reports_zero() {
        let (probes, found) = bisect(1_000.0, 1.5, 0.01, |r| Ok(point(r, 0.0))).unwrap();
        assert_eq!(found, 0.0);
        assert!(probes.iter().all(|p| !p.sustained));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
