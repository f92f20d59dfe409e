//! The model against the prototype: for each strategy, the sustainable
//! throughput the model predicts for the benchmark's own topology (its
//! parallelism and maxParallelism, the production per-record cost) beside the
//! one the rate sweep measured.
//!
//! Prediction: the hottest subtask saturates first, so the operator sustains
//! `capacity / hottest share` events/s, the hottest share computed with the
//! real key groups over the same key distribution.

use std::collections::BTreeMap;

use serde::Serialize;

use super::strategy::{self, KeySet, Strategy};
use crate::inputs::BenchReport;
use crate::inputs::bench::RunMode;
use crate::inputs::keys::KeyDistribution;
use crate::inputs::scenarios::{Scenarios, Strategy as BenchStrategy};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyCheck {
    pub strategy: Strategy,
    /// The same strategy as the prototype names it.
    pub bench_strategy: BenchStrategy,
    pub hottest_share: f64,
    pub predicted_sustainable: f64,
    pub measured_sustainable: f64,
    /// `(measured − predicted) / predicted`.
    pub error: f64,
    /// At the point nearest the validation rate: predicted and measured hottest busy ratio.
    pub at_rate: f64,
    pub predicted_hottest_busy: f64,
    pub measured_hottest_busy: f64,
    pub sustained_at_rate: bool,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub capacity_per_s: f64,
    pub checks: Vec<StrategyCheck>,
    /// Whether the prototype replayed the key distribution now in `data/keys`.
    pub keys_match_inputs: bool,
    /// The offered rate the model is validated at (`scenarios.toml`).
    pub validation_rate: f64,
    /// Every input the committed run derived from `data/` that differs from
    /// what `data/` says now; empty when the run is current.
    pub stale_inputs: Vec<StaleInput>,
    /// Whether the measured sustainable throughputs order the strategies as the predictions do.
    pub ranking_agrees: bool,
    /// The largest |measured − predicted| / predicted over the strategies.
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
    pub keys: &'a KeyDistribution,
    pub keyed_operator: &'a str,
    pub parallelism: u32,
    pub max_parallelism: u32,
    /// The pooled per-record service time of the keyed operator, µs.
    pub service_time_us: f64,
    pub service_time_samples: usize,
    pub scenarios: &'a Scenarios,
}

pub fn validate(bench: &BenchReport, now: &Current<'_>, target_utilization: f64) -> Validation {
    let p = &bench.parameters;
    // Predict the prototype's own run at the service time it paid, which
    // differs from today's metrics if they changed since `just bench`.
    let capacity_per_s = 1e6 / p.service_time_us;
    // Predict the prototype's own run: route the keys it replayed, which may
    // differ from today's `data/keys` if the inputs changed since `just bench`.
    let bench_keys = p.key_distribution();
    let keys_match_inputs = same_keys(&bench_keys, now.keys);
    let customers = bench_keys.customers();
    let customer_keys = &KeySet::customer_id(&customers);
    let composite_keys = &KeySet::composite(&customers, &bench_keys.event_types);
    let split: BTreeMap<i64, u32> = p
        .sticky_split_customers
        .iter()
        .map(|&id| (id, p.sub_keys))
        .collect();
    let sticky_keys = KeySet::sub_keys(&customers, &split);
    let validation_rate = now.scenarios.validation_rate;
    let checks: Vec<StrategyCheck> = [
        (BenchStrategy::Customer, customer_keys),
        (BenchStrategy::Composite, composite_keys),
        (BenchStrategy::Sticky, &sticky_keys),
    ]
    .into_iter()
    .filter_map(|(bench_strategy, keys)| {
        let s = Strategy::from(bench_strategy);
        let sweep = bench.sweep.get(&bench_strategy)?;
        let hottest = strategy::max(&strategy::subtask_shares(
            &keys.key_group_shares(sweep.max_parallelism, 0),
            sweep.parallelism,
        ));
        let predicted = capacity_per_s / hottest;
        let point = sweep.points.iter().min_by(|a, b| {
            (a.offered_rate - validation_rate)
                .abs()
                .total_cmp(&(b.offered_rate - validation_rate).abs())
        })?;
        Some(StrategyCheck {
            strategy: s,
            bench_strategy,
            hottest_share: hottest,
            predicted_sustainable: predicted,
            measured_sustainable: sweep.sustainable_throughput,
            error: (sweep.sustainable_throughput - predicted) / predicted,
            at_rate: point.offered_rate,
            predicted_hottest_busy: point.offered_rate * hottest / capacity_per_s,
            measured_hottest_busy: point.hottest_busy_ratio,
            sustained_at_rate: point.sustained,
            p50_ms: point.latency_p50_ms,
            p99_ms: point.latency_p99_ms,
            p999_ms: point.latency_p999_ms,
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
    Validation {
        keys_match_inputs,
        validation_rate,
        stale_inputs: stale_inputs(bench, now, keys_match_inputs),
        ranking_agrees,
        max_abs_error,
        headroom_covers_error: max_abs_error < 1.0 - target_utilization,
        parallelism: p.sweep_parallelism,
        max_parallelism: p.sweep_max_parallelism,
        capacity_per_s,
        checks,
    }
}

/// Each parameter the run recorded, against what `data/` gives now.
fn stale_inputs(bench: &BenchReport, now: &Current<'_>, keys_match: bool) -> Vec<StaleInput> {
    let p = &bench.parameters;
    let c = &now.scenarios.common;
    let plan = if bench.mode == RunMode::Quick {
        &now.scenarios.quick
    } else {
        &now.scenarios.full
    };
    // results.json rounds its figures to 6 significant digits.
    let close = |recorded: f64, current: f64| (recorded - current).abs() <= 1e-5 * current.abs();
    let event_types_match = p.event_type_shares.len() == now.keys.event_types.len()
        && now.keys.event_types.iter().all(|e| {
            p.event_type_shares
                .get(&e.event_type)
                .is_some_and(|&s| close(s, e.share))
        });
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
        (
            "hot_customer_shares",
            "data/keys/hot_customers.csv",
            keys_match,
        ),
        (
            "event_type_shares",
            "data/keys/event_types.csv",
            event_types_match,
        ),
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
            "sweep_parallelism",
            SCENARIOS,
            p.sweep_parallelism == plan.sweep.parallelism,
        ),
        ("sweep_rates", SCENARIOS, p.sweep_rates == plan.sweep.rates),
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

/// The same customers with the same shares (to export rounding) and the same tail.
fn same_keys(a: &KeyDistribution, b: &KeyDistribution) -> bool {
    const EPS: f64 = 1e-6;
    let close = |x: f64, y: f64| (x - y).abs() <= EPS;
    let mut ha: Vec<(i64, f64)> = a.hot.iter().map(|h| (h.customer_id, h.share)).collect();
    let mut hb: Vec<(i64, f64)> = b.hot.iter().map(|h| (h.customer_id, h.share)).collect();
    ha.sort_by_key(|h| h.0);
    hb.sort_by_key(|h| h.0);
    ha.len() == hb.len()
        && ha
            .iter()
            .zip(&hb)
            .all(|(x, y)| x.0 == y.0 && close(x.1, y.1))
        && a.tail.customers == b.tail.customers
        && a.tail.first_customer_id == b.tail.first_customer_id
        && close(a.tail.zipf_exponent, b.tail.zipf_exponent)
        && close(a.tail.share, b.tail.share)
}
