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
use crate::inputs::bench::BenchResults;
use crate::inputs::keys::KeyDistribution;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyCheck {
    pub strategy: Strategy,
    /// The prototype's name for it.
    pub bench_name: String,
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
    /// Whether the measured sustainable throughputs order the strategies as the predictions do.
    pub ranking_agrees: bool,
    /// The largest |measured − predicted| / predicted over the strategies.
    pub max_abs_error: f64,
    /// Whether the keyed target utilization leaves more headroom than that error.
    pub headroom_covers_error: bool,
}

/// The rate the brief asks the prototype to validate the model at.
pub const VALIDATION_RATE: f64 = 200_000.0;

pub fn validate(
    bench: &BenchResults,
    inputs_keys: &KeyDistribution,
    capacity_per_s: f64,
    target_utilization: f64,
) -> Validation {
    let p = &bench.typed.parameters;
    // Predict the prototype's own run: route the keys it replayed, which may
    // differ from today's `data/keys` if the inputs changed since `just bench`.
    let bench_keys = p.key_distribution();
    let keys_match_inputs = same_keys(&bench_keys, inputs_keys);
    let customers = bench_keys.customers();
    let customer_keys = &KeySet::customer_id(&customers);
    let composite_keys = &KeySet::composite(&customers, &bench_keys.event_types);
    let split: BTreeMap<i64, u32> = p
        .sticky_split_customers
        .iter()
        .map(|&id| (id, p.sub_keys))
        .collect();
    let sticky_keys = KeySet::sub_keys(&customers, &split);
    let checks: Vec<StrategyCheck> = [
        (Strategy::CustomerId, "customer", customer_keys),
        (Strategy::Composite, "composite", composite_keys),
        (Strategy::SubKeys, "sticky", &sticky_keys),
    ]
    .into_iter()
    .filter_map(|(s, name, keys)| {
        let sweep = bench.typed.sweep.get(name)?;
        let hottest = strategy::max(&strategy::subtask_shares(
            &keys.key_group_shares(sweep.max_parallelism),
            sweep.parallelism,
        ));
        let predicted = capacity_per_s / hottest;
        let point = sweep.points.iter().min_by(|a, b| {
            (a.offered_rate - VALIDATION_RATE)
                .abs()
                .total_cmp(&(b.offered_rate - VALIDATION_RATE).abs())
        })?;
        Some(StrategyCheck {
            strategy: s,
            bench_name: name.to_owned(),
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
        ranking_agrees,
        max_abs_error,
        headroom_covers_error: max_abs_error < 1.0 - target_utilization,
        parallelism: p.sweep_parallelism,
        max_parallelism: p.sweep_max_parallelism,
        capacity_per_s,
        checks,
    }
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
