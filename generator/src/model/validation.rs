//! The model against the prototype: for each strategy, the sustainable
//! throughput the model predicts for the plan's month the prototype replayed
//! (`data/bench/plan.tsv`: the keyed vertex's parallelism and maxParallelism,
//! every customer's share and sub-key count, the service time) beside the
//! median, least and most of the repeated bisections.
//!
//! Prediction: the hottest subtask saturates first, so the operator sustains
//! `capacity / hottest share` records/s, the hottest share computed with the
//! real key groups over the keys the run replayed. The prototype runs
//! time-scaled (every record pays `time_scale` × the service time at
//! `1 / time_scale` of the rate, so each subtask is as busy as at full rate);
//! its rates are multiplied back here, and every figure below is at the
//! plan's scale.

use std::collections::BTreeMap;

use serde::Serialize;

use super::strategy::{self, KeySet, Strategy};
use crate::inputs::BenchReport;
use crate::inputs::bench::{RatePoint, RunMode};
use crate::inputs::bench_plan::BenchPlan;
use crate::inputs::keys::EventType;
use crate::inputs::scenarios::{Scenarios, Strategy as BenchStrategy};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyCheck {
    pub strategy: Strategy,
    /// The same strategy as the prototype names it.
    pub bench_strategy: BenchStrategy,
    pub hottest_share: f64,
    pub predicted_sustainable: f64,
    /// The median of the repeats, and the least and the most.
    pub measured_sustainable: f64,
    pub measured_min: f64,
    pub measured_max: f64,
    /// `(measured − predicted) / predicted` for the median, the least and the most.
    pub error: f64,
    pub error_min: f64,
    pub error_max: f64,
    /// At the plan's peak (`Validation::peak_rate`): predicted and measured
    /// hottest busy ratio (the median over the repeats' peak probes), and in
    /// how many repeats the peak was sustained.
    pub predicted_hottest_busy: f64,
    pub measured_hottest_busy: f64,
    pub sustained_at_rate: bool,
    pub sustained_at_peak: usize,
    pub repeats: usize,
    /// Latency at the peak, of the time-scaled run (its service time is
    /// `time_scale` × production's, so its queueing delays are too).
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub parallelism: u32,
    pub max_parallelism: u32,
    /// Records/s one subtask of the plan takes at 100% busy.
    pub capacity_per_s: f64,
    pub checks: Vec<StrategyCheck>,
    /// The plan's month the run replayed and its peak at the keyed vertex.
    pub month_label: String,
    pub peak_rate: f64,
    /// The run's time scale (see the module docs).
    pub time_scale: f64,
    /// Bisections per strategy and the precision they stop at.
    pub repeats: u32,
    pub precision: f64,
    /// Whether the run replayed the plan `data/` gives now.
    pub plan_matches_inputs: bool,
    /// Every input the committed run derived from `data/` that differs from
    /// what `data/` says now; empty when the run is current.
    pub stale_inputs: Vec<StaleInput>,
    /// Whether the measured sustainable throughputs order the strategies as the predictions do.
    pub ranking_agrees: bool,
    /// The largest |measured − predicted| / predicted over the strategies (medians).
    pub max_abs_error: f64,
    /// Whether the keyed target utilization leaves more headroom than that error.
    pub headroom_covers_error: bool,
}

/// A parameter of the committed benchmark run that no longer matches `data/`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleInput {
    /// Its name in `results.json`'s `parameters`.
    pub parameter: &'static str,
    /// The file of `data/` it is derived from.
    pub derived_from: &'static str,
}

/// What `data/` says now about everything the benchmark derives from it.
pub struct Current<'a> {
    pub keyed_operator: &'a str,
    pub parallelism: u32,
    pub max_parallelism: u32,
    /// The pooled per-record service time of the keyed operator, µs.
    pub service_time_us: f64,
    pub service_time_samples: usize,
    pub scenarios: &'a Scenarios,
    /// The plan's month the prototype would replay now.
    pub plan: Option<&'a BenchPlan>,
}

/// The hottest subtask's share of the records under each strategy, for the
/// keys a run replayed: `customers` as `(id, share, sub-keys)`.
pub fn hottest_shares(
    customers: &[(i64, f64, u32)],
    event_types: &[EventType],
    parallelism: u32,
    max_parallelism: u32,
) -> BTreeMap<BenchStrategy, f64> {
    let shares: Vec<(i64, f64)> = customers.iter().map(|c| (c.0, c.1)).collect();
    let split: BTreeMap<i64, u32> = customers
        .iter()
        .filter(|c| c.2 > 1)
        .map(|c| (c.0, c.2))
        .collect();
    [
        (BenchStrategy::Customer, KeySet::customer_id(&shares)),
        (
            BenchStrategy::Composite,
            KeySet::composite(&shares, event_types),
        ),
        (BenchStrategy::Sticky, KeySet::sub_keys(&shares, &split)),
    ]
    .into_iter()
    .map(|(s, keys)| {
        let hottest = strategy::max(&strategy::subtask_shares(
            &keys.key_group_shares(max_parallelism, 0),
            parallelism,
        ));
        (s, hottest)
    })
    .collect()
}

pub fn validate(bench: &BenchReport, now: &Current<'_>, target_utilization: f64) -> Validation {
    let p = &bench.parameters;
    let scale = p.time_scale;
    // The plan's subtask at 100% busy; the run paid `scale` times its service time.
    let capacity_per_s = 1e6 / p.plan_service_time_us;
    let peak_rate = p.plan_peak_records_per_s;
    let event_types: Vec<EventType> = p
        .event_type_shares
        .iter()
        .map(|(event_type, &share)| EventType {
            event_type: event_type.clone(),
            share,
        })
        .collect();
    let hottest = hottest_shares(
        &p.plan_customers,
        &event_types,
        p.sweep_parallelism,
        p.sweep_max_parallelism,
    );
    let emulated_peak = (peak_rate / scale).round();
    let checks: Vec<StrategyCheck> = BenchStrategy::ALL
        .into_iter()
        .filter_map(|bench_strategy| {
            let sweep = bench.sweep.get(&bench_strategy)?;
            let hottest = hottest[&bench_strategy];
            let predicted = capacity_per_s / hottest;
            let (min, max) = sweep.range();
            let measured = sweep.sustainable_throughput * scale;
            let error = |m: f64| (m - predicted) / predicted;
            let at_peak: Vec<&RatePoint> = sweep
                .points
                .iter()
                .filter(|pt| pt.offered_rate == emulated_peak)
                .collect();
            let first = at_peak.first()?;
            let mut busy: Vec<f64> = at_peak.iter().map(|pt| pt.hottest_busy_ratio).collect();
            busy.sort_by(f64::total_cmp);
            Some(StrategyCheck {
                strategy: Strategy::from(bench_strategy),
                bench_strategy,
                hottest_share: hottest,
                predicted_sustainable: predicted,
                measured_sustainable: measured,
                measured_min: min * scale,
                measured_max: max * scale,
                error: error(measured),
                error_min: error(min * scale),
                error_max: error(max * scale),
                predicted_hottest_busy: peak_rate * hottest / capacity_per_s,
                measured_hottest_busy: busy[busy.len() / 2],
                sustained_at_rate: at_peak.iter().all(|pt| pt.sustained),
                sustained_at_peak: at_peak.iter().filter(|pt| pt.sustained).count(),
                repeats: sweep.repeats.len(),
                p50_ms: first.latency_p50_ms,
                p99_ms: first.latency_p99_ms,
                p999_ms: first.latency_p999_ms,
            })
        })
        .collect();
    let order = |key: fn(&StrategyCheck) -> f64| {
        let mut idx: Vec<usize> = (0..checks.len()).collect();
        idx.sort_by(|&a, &b| key(&checks[a]).total_cmp(&key(&checks[b])));
        idx
    };
    let ranking_agrees = order(|c| c.predicted_sustainable) == order(|c| c.measured_sustainable);
    let max_abs_error = checks.iter().map(|c| c.error.abs()).fold(0.0, f64::max);
    let plan_matches_inputs = now.plan.is_some_and(|plan| plan.digest() == p.plan_digest);
    Validation {
        plan_matches_inputs,
        stale_inputs: stale_inputs(bench, now, plan_matches_inputs),
        ranking_agrees,
        max_abs_error,
        headroom_covers_error: max_abs_error < 1.0 - target_utilization,
        parallelism: p.sweep_parallelism,
        max_parallelism: p.sweep_max_parallelism,
        capacity_per_s,
        month_label: p.plan_month_label.clone(),
        peak_rate,
        time_scale: scale,
        repeats: p.bisection_repeats,
        precision: p.bisection_precision,
        checks,
    }
}

/// Each parameter the run recorded, against what `data/` gives now.
fn stale_inputs(bench: &BenchReport, now: &Current<'_>, plan_matches: bool) -> Vec<StaleInput> {
    let p = &bench.parameters;
    let c = &now.scenarios.common;
    let plan = if bench.mode == RunMode::Quick {
        &now.scenarios.quick
    } else {
        &now.scenarios.full
    };
    // results.json rounds its figures to 6 significant digits.
    let close = |recorded: f64, current: f64| (recorded - current).abs() <= 1e-5 * current.abs();
    const ARCH: &str = "data/architecture.toml";
    const ASSUMPTIONS: &str = "data/assumptions.toml";
    const SCENARIOS: &str = "data/bench/scenarios.toml";
    const SUBTASKS: &str = "data/metrics/flink_subtasks.csv";
    let checks = [
        (
            "keyed_operator",
            ARCH,
            p.keyed_operator == now.keyed_operator,
        ),
        (
            "production_parallelism",
            ARCH,
            p.production_parallelism == now.parallelism,
        ),
        (
            "production_max_parallelism",
            ARCH,
            p.production_max_parallelism == now.max_parallelism,
        ),
        (
            "service_time_us",
            SUBTASKS,
            close(p.service_time_us, now.service_time_us),
        ),
        (
            "service_time_samples",
            SUBTASKS,
            p.service_time_samples == now.service_time_samples,
        ),
        ("plan_digest", "data/bench/plan.tsv", plan_matches),
        ("window_size_ms", ARCH, p.window_size_ms == c.window_size_ms),
        (
            "records_per_buffer",
            ARCH,
            p.records_per_buffer == c.records_per_buffer,
        ),
        (
            "buffer_timeout_ms",
            ASSUMPTIONS,
            p.buffer_timeout_ms == c.buffer_timeout_ms,
        ),
        (
            "credits_per_channel",
            ASSUMPTIONS,
            p.credits_per_channel == c.credits_per_channel,
        ),
        (
            "sticky_batch_records",
            ARCH,
            p.sticky_batch_records == c.sticky_batch_records,
        ),
        (
            "allowed_lateness_ms",
            SCENARIOS,
            p.allowed_lateness_ms == c.allowed_lateness_ms,
        ),
        (
            "out_of_orderness_ms",
            SCENARIOS,
            p.out_of_orderness_ms == c.out_of_orderness_ms,
        ),
        (
            "watermark_interval_ms",
            SCENARIOS,
            p.watermark_interval_ms == c.watermark_interval_ms,
        ),
        (
            "late_fraction",
            SCENARIOS,
            p.late_fraction == c.late_fraction,
        ),
        (
            "sleep_threshold_us",
            SCENARIOS,
            p.sleep_threshold_us == c.sleep_threshold_us,
        ),
        ("sub_keys", SCENARIOS, p.sub_keys == c.sub_keys),
        (
            "sticky_min_share",
            SCENARIOS,
            p.sticky_min_share == c.sticky_min_share,
        ),
        ("seed", SCENARIOS, p.seed == c.seed),
        (
            "bisection_repeats",
            SCENARIOS,
            p.bisection_repeats == plan.sweep.repeats
                && p.bisection_precision == plan.sweep.precision
                && p.bisection_step == plan.sweep.step,
        ),
        (
            "time_scale",
            SCENARIOS,
            // At the run's own peak: a plan that moved is named once, above.
            p.time_scale == plan.sweep.time_scale(p.plan_peak_records_per_s),
        ),
        (
            "sweep_measure_s",
            SCENARIOS,
            p.sweep_warmup_s == plan.sweep.warmup_s && p.sweep_measure_s == plan.sweep.measure_s,
        ),
        (
            "sweep_backend",
            SCENARIOS,
            p.sweep_backend == plan.sweep.backend,
        ),
    ];
    checks
        .into_iter()
        .filter(|(_, _, same)| !same)
        .map(|(parameter, derived_from, _)| StaleInput {
            parameter,
            derived_from,
        })
        .collect()
}
