//! The model against the real Flink 1.18 job (`engine-bench/`, `just bench-flink`).
//!
//! Two halves. [`job_plan`] says what the job replays, all of it from `data/`
//! through `pipeline-inputs` (the job never reads `data/`): every customer
//! with its share and sub-key count, the event types, the window and
//! watermark settings, the production per-record service time, the keyed
//! vertex's parallelism and maxParallelism. [`check`] reads what the job
//! measured and compares it with the model:
//!
//! - calibration: one run, its hottest subtask about 85% busy, gives the true
//!   processing rate of a loaded keyed subtask, records in over busy time
//!   pooled over the subtasks at least half as busy as the busiest
//!   (`accumulateBusyTimeMs`, Flink's own busy time; the autoscaler's
//!   definition);
//! - prediction: the hottest subtask saturates first, so a strategy sustains
//!   `rate / hottest share` events/s, the hottest share computed with Flink's
//!   real key-group assignment (the `partitioners` crate, bit-exact) for the
//!   job's parallelism and maxParallelism over the same key distribution;
//! - measured: the highest offered rate the bisection found sustained, per
//!   repeat, and the per-subtask records and busy time the REST API reported.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::strategy::{self, KeySet};
use crate::inputs::Production;
use crate::inputs::architecture::Architecture;
use crate::inputs::engine_bench::{ClickHouseResults, FlinkResults, Probe};
use crate::inputs::keys::{EventType, KeyDistribution};
use crate::inputs::metrics::Metrics;
use crate::inputs::scenarios::{Scenarios, Strategy as BenchStrategy};

/// What the Flink job replays.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobPlan {
    pub seed: u64,
    pub window_ms: i64,
    pub out_of_orderness_ms: i64,
    pub allowed_lateness_ms: i64,
    pub watermark_interval_ms: u64,
    pub late_fraction: f64,
    pub late_extra_ms: i64,
    pub value_max: u32,
    pub sleep_threshold_us: u64,
    pub sub_keys: u32,
    pub sticky_min_share: f64,
    pub sticky_batch_records: u32,
    pub lag_growth_tolerance: f64,
    /// Pooled from the production metrics of the keyed operator.
    pub service_time_us: f64,
    pub keyed_parallelism: u32,
    pub max_parallelism: u32,
    /// The parallelism of the vertex after the keyed one (the merge and sink).
    pub merge_parallelism: u32,
    pub customers: Vec<PlannedCustomer>,
    pub event_types: Vec<EventType>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedCustomer {
    pub customer_id: i64,
    pub share: f64,
    /// 1, or `sub_keys` for a customer the sticky strategy splits.
    pub sub_keys: u32,
}

impl JobPlan {
    /// A fingerprint of the key distribution the job replays: every
    /// customer's id, share and sub-key count and every event type's share,
    /// in plan order, through 64-bit FNV-1a. Two plans with the same digest
    /// draw the same keys, so a report carrying it can be told apart from
    /// one made on other keys.
    pub fn keys_digest(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for c in &self.customers {
            feed(format!("customer\t{}\t{}\t{}\n", c.customer_id, c.share, c.sub_keys).as_bytes());
        }
        for t in &self.event_types {
            feed(format!("event_type\t{}\t{}\n", t.event_type, t.share).as_bytes());
        }
        format!("{h:016x}")
    }
}

pub fn job_plan(production: &Production, scenarios: &Scenarios) -> JobPlan {
    job_plan_of(
        &production.architecture,
        &production.metrics,
        &production.keys,
        scenarios,
    )
}

/// The plan from its parts, for callers that hold them outside a `Production`.
pub fn job_plan_of(
    arch: &Architecture,
    metrics: &Metrics,
    keys: &KeyDistribution,
    scenarios: &Scenarios,
) -> JobPlan {
    let c = &scenarios.common;
    let keyed = arch.keyed_operator();
    let after_keyed = arch
        .flink
        .operators
        .iter()
        .skip_while(|o| !o.keyed)
        .nth(1)
        .map_or(1, |o| o.parallelism);
    let pooled = metrics.pooled_rate(&keyed.name, keyed.parallelism);
    let customers = keys
        .customers()
        .into_iter()
        .map(|(customer_id, share)| PlannedCustomer {
            customer_id,
            share,
            sub_keys: if share >= c.sticky_min_share {
                c.sub_keys
            } else {
                1
            },
        })
        .collect();
    JobPlan {
        seed: c.seed,
        window_ms: c.window_size_ms,
        out_of_orderness_ms: c.out_of_orderness_ms,
        allowed_lateness_ms: c.allowed_lateness_ms,
        watermark_interval_ms: c.watermark_interval_ms,
        late_fraction: c.late_fraction,
        late_extra_ms: c.late_extra_ms,
        value_max: c.value_max,
        sleep_threshold_us: c.sleep_threshold_us,
        sub_keys: c.sub_keys,
        sticky_min_share: c.sticky_min_share,
        sticky_batch_records: c.sticky_batch_records,
        lag_growth_tolerance: c.lag_growth_tolerance,
        service_time_us: pooled.service_time_us(),
        keyed_parallelism: keyed.parallelism,
        max_parallelism: keyed.max_parallelism,
        merge_parallelism: after_keyed,
        customers,
        event_types: keys.event_types.clone(),
    }
}

/// Predicted against measured, per strategy, for one committed run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineCheck {
    pub keyed_parallelism: u32,
    pub max_parallelism: u32,
    pub calibration_strategy: BenchStrategy,
    pub calibration_rate: f64,
    /// Records per busy second of one keyed subtask, from the calibration run.
    pub capacity_per_s: f64,
    /// The same with the other state backend, and which one it is.
    /// The same at low load, from which the calibration's rate was chosen:
    /// its rate, and its capacity pooled over every subtask as production's
    /// own rate is (absent from older reports).
    pub low_load_rate: Option<f64>,
    pub low_load_capacity_per_s: Option<f64>,
    /// The other state backend, calibrated at low load: compare it with
    /// `low_load_capacity_per_s`.
    pub other_backend: crate::inputs::scenarios::BackendKind,
    pub other_backend_capacity_per_s: f64,
    pub checks: Vec<EngineStrategyCheck>,
    /// The largest |error| over the strategies.
    pub max_abs_error: f64,
    /// Whether the measured medians order the strategies as the predictions do.
    pub ranking_agrees: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineStrategyCheck {
    pub strategy: BenchStrategy,
    /// The hottest subtask's share of events: Flink's key groups over the
    /// key distribution (predicted) and the records it received (measured,
    /// pooled over the sustained probes).
    pub predicted_hottest_share: f64,
    pub measured_hottest_share: f64,
    pub predicted_hottest_subtask: u32,
    pub measured_hottest_subtask: u32,
    pub predicted_sustainable: f64,
    pub measured_min: f64,
    pub measured_median: f64,
    pub measured_max: f64,
    pub repeats: usize,
    /// `(median − predicted) / predicted`.
    pub error: f64,
    /// At the highest rate found sustained: the hottest subtask's busy ratio
    /// the model predicts (`rate × share / capacity`) and the one measured.
    pub at_rate: f64,
    pub predicted_hottest_busy: f64,
    pub measured_hottest_busy: f64,
}

pub fn check(results: &FlinkResults, keys: &KeyDistribution) -> EngineCheck {
    let p = &results.parameters;
    let capacity_per_s = results.calibration.capacity_per_s();
    let customers = keys.customers();
    let split: BTreeMap<i64, u32> = p
        .sticky_split_customers
        .iter()
        .map(|&id| (id, p.sub_keys))
        .collect();
    let checks: Vec<EngineStrategyCheck> = results
        .strategies
        .iter()
        .map(|(&s, runs)| {
            let key_set = match s {
                BenchStrategy::Customer => KeySet::customer_id(&customers),
                BenchStrategy::Composite => KeySet::composite(&customers, &keys.event_types),
                BenchStrategy::Sticky => KeySet::sub_keys(&customers, &split),
            };
            let shares = strategy::subtask_shares(
                &key_set.known_key_group_shares(p.max_parallelism),
                p.keyed_parallelism,
            );
            let (predicted_hottest_subtask, predicted_hottest_share) = argmax(&shares);
            let probes: Vec<&Probe> = runs.repeats.iter().flat_map(|r| &r.probes).collect();
            // Shares from the sustained probes: under backpressure the saturated subtask
            // processes less than its share while the others drain their buffers.
            let sustained: Vec<&Probe> = probes.iter().copied().filter(|pr| pr.sustained).collect();
            let mut records = vec![0.0; p.keyed_parallelism as usize];
            for probe in if sustained.is_empty() {
                &probes
            } else {
                &sustained
            } {
                for st in &probe.subtasks {
                    if let Some(r) = records.get_mut(st.subtask as usize) {
                        *r += st.records_in;
                    }
                }
            }
            let total: f64 = records.iter().sum();
            let measured: Vec<f64> = records
                .iter()
                .map(|r| if total > 0.0 { r / total } else { 0.0 })
                .collect();
            let (measured_hottest_subtask, measured_hottest_share) = argmax(&measured);
            let (min, median, max) = runs.min_median_max();
            let predicted_sustainable = capacity_per_s / predicted_hottest_share;
            let best = probes
                .iter()
                .filter(|pr| pr.sustained)
                .max_by(|a, b| a.offered_rate.total_cmp(&b.offered_rate));
            let at_rate = best.map_or(0.0, |pr| pr.offered_rate);
            let measured_hottest_busy = best
                .and_then(|pr| pr.subtasks.get(predicted_hottest_subtask as usize))
                .map_or(0.0, |st| st.busy_ratio());
            EngineStrategyCheck {
                strategy: s,
                predicted_hottest_share,
                measured_hottest_share,
                predicted_hottest_subtask,
                measured_hottest_subtask,
                predicted_sustainable,
                measured_min: min,
                measured_median: median,
                measured_max: max,
                repeats: runs.repeats.len(),
                error: (median - predicted_sustainable) / predicted_sustainable,
                at_rate,
                predicted_hottest_busy: at_rate * predicted_hottest_share / capacity_per_s,
                measured_hottest_busy,
            }
        })
        .collect();
    let max_abs_error = checks.iter().map(|c| c.error.abs()).fold(0.0, f64::max);
    let order = |key: fn(&EngineStrategyCheck) -> f64| {
        let mut idx: Vec<usize> = (0..checks.len()).collect();
        idx.sort_by(|&a, &b| key(&checks[a]).total_cmp(&key(&checks[b])));
        idx
    };
    let ranking_agrees = order(|c| c.predicted_sustainable) == order(|c| c.measured_median);
    EngineCheck {
        keyed_parallelism: p.keyed_parallelism,
        max_parallelism: p.max_parallelism,
        calibration_strategy: results.calibration.strategy,
        calibration_rate: results.calibration.offered_rate,
        capacity_per_s,
        low_load_rate: results
            .low_load_calibration
            .as_ref()
            .map(|c| c.offered_rate),
        low_load_capacity_per_s: results
            .low_load_calibration
            .as_ref()
            .map(|c| c.capacity_over_every_subtask_per_s()),
        other_backend: results.other_backend_calibration.backend,
        other_backend_capacity_per_s: results.other_backend_calibration.capacity_per_s(),
        checks,
        max_abs_error,
        ranking_agrees,
    }
}

/// Index and value of the largest share (the first one on a tie).
fn argmax(shares: &[f64]) -> (u32, f64) {
    shares.iter().enumerate().fold(
        (0, 0.0),
        |best, (i, &s)| if s > best.1 { (i as u32, s) } else { best },
    )
}

/// What the ClickHouse experiment (chDB) replays: the raw table's batching,
/// the row size, the model's parts limit and its exactly-once dedup window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClickHousePlan {
    /// The table the raw events go to (written by the keyed topic's consumer vertex).
    pub table: String,
    pub insert_batch_rows: u32,
    pub insert_interval_ms: f64,
    /// The keyed topic's average event size: the row's payload.
    pub avg_event_bytes: f64,
    /// The active-parts limit the model sizes against (`merge_safe_max_parts`).
    pub merge_safe_max_parts: f64,
    /// The merge-safe rate the model read off the production metrics.
    pub production_merge_safe_rows_per_s: f64,
    /// The deduplication window the plan configures, and the blocks a restore
    /// replays into this table (the model's exactly-once analysis).
    pub dedup_window_blocks: f64,
    pub dedup_blocks_needed: f64,
}

pub fn clickhouse_plan(inputs: &crate::inputs::Inputs, model: &super::Model) -> ClickHousePlan {
    let arch = &inputs.architecture;
    // The raw table: the one written by the first vertex (before the keyed one).
    let table = arch
        .clickhouse
        .tables
        .iter()
        .find(|t| {
            arch.flink
                .operators
                .iter()
                .take_while(|o| !o.keyed)
                .any(|o| o.name == t.written_by)
        })
        .or_else(|| arch.clickhouse.tables.first())
        .expect("validated: at least one table");
    let eo = &model.fault.exactly_once;
    ClickHousePlan {
        table: table.name.clone(),
        insert_batch_rows: table.insert_batch_rows,
        insert_interval_ms: table.insert_interval_ms,
        avg_event_bytes: arch.keyed_topic().avg_event_bytes,
        merge_safe_max_parts: inputs.assumptions.clickhouse.merge_safe_max_parts.value,
        production_merge_safe_rows_per_s: model.merge_safe.rows_per_s_per_shard,
        dedup_window_blocks: eo.checkpoint.window_planned,
        dedup_blocks_needed: eo
            .tables
            .iter()
            .find(|t| t.table == table.name)
            .map_or(0.0, |t| t.blocks_needed),
    }
}

/// A committed Flink report beside the model: the check, and the inputs the
/// run replayed that `data/` no longer gives (then the check compares the
/// model now with a job that ran another plan).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlinkValidation {
    pub check: EngineCheck,
    pub stale_inputs: Vec<&'static str>,
}

/// What the committed run replayed against what `data/` gives now. The
/// customers' shares are not in the report; the customers the sticky
/// strategy split are, and they follow from the shares.
pub fn flink_validation(
    results: &FlinkResults,
    now: &JobPlan,
    keys: &KeyDistribution,
) -> FlinkValidation {
    let p = &results.parameters;
    let split_now: BTreeSet<i64> = now
        .customers
        .iter()
        .filter(|c| c.sub_keys > 1)
        .map(|c| c.customer_id)
        .collect();
    let split_then: BTreeSet<i64> = p.sticky_split_customers.iter().copied().collect();
    // The pooled service time moves a little whenever the metrics are
    // regenerated; a percent is well inside the run's own noise.
    let service_moved =
        (p.production_service_time_us - now.service_time_us).abs() > 0.01 * now.service_time_us;
    // A report without the digest cannot show which keys it replayed; the
    // prediction below is made on today's keys, so it counts as stale.
    let keys_moved = p.keys_digest.as_deref() != Some(now.keys_digest().as_str());
    let stale_inputs = [
        (keys_moved, "key distribution"),
        (
            p.keyed_parallelism != now.keyed_parallelism,
            "keyed parallelism",
        ),
        (p.max_parallelism != now.max_parallelism, "maxParallelism"),
        (p.window_ms != now.window_ms, "window length"),
        (p.sub_keys != now.sub_keys, "sub-keys per split customer"),
        (
            p.sticky_min_share != now.sticky_min_share,
            "sticky split threshold",
        ),
        (
            split_then != split_now,
            "customers the sticky strategy splits",
        ),
        (service_moved, "production service time"),
    ]
    .into_iter()
    .filter_map(|(moved, name)| moved.then_some(name))
    .collect();
    FlinkValidation {
        check: check(results, keys),
        stale_inputs,
    }
}

/// The committed ClickHouse experiment beside the model: the fitted
/// merge-safe rate at production's batch size, against the rate the model
/// reads off production's metrics, and the plan's inputs that moved since.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClickHouseValidation {
    pub production_batch_rows: u32,
    /// The fit `B / (t_part + t_row × B)` at production's batch size, on the
    /// benchmark machine's single node; `None` without a fit.
    pub fitted_rows_per_s_at_production_batch: Option<f64>,
    /// What the model reads off production's metrics now, per shard.
    pub model_rows_per_s_per_shard: f64,
    /// The blocks a restore replays into the raw table now, and the
    /// deduplication window the plan configures.
    pub model_replay_blocks_now: f64,
    pub window_blocks_now: f64,
    pub stale_inputs: Vec<&'static str>,
}

pub fn clickhouse_validation(
    results: &ClickHouseResults,
    now: &ClickHousePlan,
) -> ClickHouseValidation {
    let p = &results.parameters;
    let fitted = results
        .fit
        .as_ref()
        .map(|f| f.rows_per_s(p.production_batch_rows));
    let dedup = &results.deduplication;
    // Rates and replay horizons move with regenerated metrics; a few percent
    // is within the experiment's own noise.
    let moved = |then: f64, now: f64| (then - now).abs() > 0.05 * now.abs().max(f64::MIN_POSITIVE);
    let stale_inputs = [
        (p.table != now.table, "raw table"),
        (
            p.production_batch_rows != now.insert_batch_rows,
            "insert batch rows",
        ),
        (
            p.production_insert_interval_ms != now.insert_interval_ms,
            "insert interval",
        ),
        (
            p.merge_safe_max_parts != now.merge_safe_max_parts,
            "merge-safe parts limit",
        ),
        (
            moved(
                p.production_merge_safe_rows_per_s_per_shard,
                now.production_merge_safe_rows_per_s,
            ),
            "production merge-safe rate",
        ),
        (
            dedup.window_blocks as f64 != now.dedup_window_blocks,
            "deduplication window",
        ),
        (
            moved(dedup.model_replay_blocks as f64, now.dedup_blocks_needed),
            "blocks a restore replays",
        ),
    ]
    .into_iter()
    .filter_map(|(m, name)| m.then_some(name))
    .collect();
    ClickHouseValidation {
        production_batch_rows: p.production_batch_rows,
        fitted_rows_per_s_at_production_batch: fitted,
        model_rows_per_s_per_shard: now.production_merge_safe_rows_per_s,
        model_replay_blocks_now: now.dedup_blocks_needed,
        window_blocks_now: now.dedup_window_blocks,
        stale_inputs,
    }
}
