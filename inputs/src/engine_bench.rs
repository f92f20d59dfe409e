//! `data/bench/flink-results.json`: what `just bench-flink` measured on the
//! real Flink 1.18 job (`engine-bench/`). The harness writes it; the generator
//! reads it here and nowhere else. No file means no run has been committed.
//!
//! Schema (rates in events/s, times in ms unless the name says otherwise):
//!
//! - `schema_version`: 1; `mode`: `"full"` or `"quick"`.
//! - `machine` (CPU model, cores, memory), `command`, `git_revision`,
//!   `flink_version` (as the cluster reports it), `cluster` (`"local
//!   standalone"` or `"remote"`), `wall_time_s`.
//! - `parameters`: the job's topology and the benchmark's choices.
//! - `sustainability_criterion`: the rule that decides "sustained", in words.
//! - `calibration`: the run whose loaded keyed subtasks give the true
//!   processing rate (records in over busy time); `low_load_calibration`:
//!   the run at a quarter of the ceiling that chose its rate.
//! - `strategies`: per strategy (`customer`, `composite`, `sticky`), the
//!   repeats of the bisection on the offered rate, each with its probes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::bench::RunMode;
use crate::error::InputError;
use crate::scenarios::{BackendKind, Strategy};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlinkResults {
    pub schema_version: u32,
    pub mode: RunMode,
    pub machine: EngineMachine,
    pub command: String,
    pub git_revision: Option<String>,
    pub flink_version: String,
    pub cluster: String,
    pub wall_time_s: f64,
    pub parameters: FlinkParameters,
    pub sustainability_criterion: String,
    /// The customer strategy with its hottest subtask loaded (about 85% busy):
    /// the run the model calibrates on.
    pub calibration: Calibration,
    /// The same strategy at a quarter of the balanced ceiling, from which the
    /// loaded run's rate was chosen (absent from reports written before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_load_calibration: Option<Calibration>,
    /// The low-load calibration with the other state backend: the state's cost per record.
    pub other_backend_calibration: BackendCalibration,
    pub strategies: BTreeMap<Strategy, StrategyRuns>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackendCalibration {
    pub backend: BackendKind,
    pub strategy: Strategy,
    pub offered_rate: f64,
    pub sustained: bool,
    pub subtasks: Vec<SubtaskSample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineMachine {
    pub cpu_model: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub os: String,
    pub java: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlinkParameters {
    pub keyed_parallelism: u32,
    pub max_parallelism: u32,
    pub source_parallelism: u32,
    pub merge_parallelism: u32,
    pub backend: BackendKind,
    /// The service time each record paid in the window operator (µs), and
    /// the production one it was scaled from (pooled from the metrics).
    pub service_time_us: f64,
    pub production_service_time_us: f64,
    pub window_ms: i64,
    pub checkpoint_interval_ms: u64,
    pub warmup_s: f64,
    pub measure_s: f64,
    pub repeats: u32,
    /// The bisection stops when the bracket is narrower than this fraction.
    pub bisection_precision: f64,
    pub lag_growth_tolerance: f64,
    pub sub_keys: u32,
    pub sticky_batch_records: u32,
    pub sticky_min_share: f64,
    pub sticky_split_customers: Vec<i64>,
    /// The plan's fingerprint of the key distribution replayed (absent from
    /// reports written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys_digest: Option<String>,
}

/// One keyed subtask over a measured window: deltas of Flink's accumulated
/// counters (`numRecordsIn`, `accumulateBusyTimeMs`, ...) and the per-second
/// gauges as the REST API reported them at the window's end (Flink averages
/// those over up to a minute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubtaskSample {
    pub subtask: u32,
    pub records_in: f64,
    pub busy_ms: f64,
    pub backpressured_ms: f64,
    pub idle_ms: f64,
    pub busy_ms_per_s: Option<f64>,
    pub backpressured_ms_per_s: Option<f64>,
    pub records_in_per_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub strategy: Strategy,
    pub offered_rate: f64,
    pub subtasks: Vec<SubtaskSample>,
}

impl Calibration {
    /// Records one loaded keyed subtask processes per second of busy time
    /// (see [`loaded_capacity`]).
    pub fn capacity_per_s(&self) -> f64 {
        loaded_capacity(&self.subtasks)
    }

    /// Records per busy second pooled over every subtask, busy or not, as
    /// production's own rate is pooled (`Metrics::pooled_rate`).
    pub fn capacity_over_every_subtask_per_s(&self) -> f64 {
        let records: f64 = self.subtasks.iter().map(|s| s.records_in).sum();
        let busy_s: f64 = self.subtasks.iter().map(|s| s.busy_ms / 1000.0).sum();
        if busy_s > 0.0 { records / busy_s } else { 0.0 }
    }
}

impl BackendCalibration {
    pub fn capacity_per_s(&self) -> f64 {
        loaded_capacity(&self.subtasks)
    }
}

/// Records per busy second, pooled over the subtasks at least half as busy
/// as the busiest. A subtask's cost per record falls with its load (a busy
/// one drains several buffers per wake-up), and the prediction is about
/// the hottest subtask near saturation, so the lightly loaded subtasks of a
/// skewed run, which pay the most per record, are left out.
fn loaded_capacity(subtasks: &[SubtaskSample]) -> f64 {
    let busiest = subtasks
        .iter()
        .map(SubtaskSample::busy_ratio)
        .fold(0.0, f64::max);
    let loaded = subtasks.iter().filter(|s| s.busy_ratio() >= busiest / 2.0);
    let (records, busy_s) = loaded.fold((0.0, 0.0), |(r, b), s| {
        (r + s.records_in, b + s.busy_ms / 1000.0)
    });
    if busy_s > 0.0 { records / busy_s } else { 0.0 }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyRuns {
    pub repeats: Vec<Repeat>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// The highest offered rate found sustained.
    pub sustainable_throughput: f64,
    pub probes: Vec<Probe>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    pub offered_rate: f64,
    pub sustained: bool,
    /// Source lag (ms behind the open-loop schedule): its least-squares
    /// slope over the measured window (ms per s) and its last value.
    pub lag_slope_ms_per_s: f64,
    pub final_lag_ms: f64,
    /// Records into the keyed vertex per second of the measured window.
    pub keyed_records_in_per_s: f64,
    /// CPU cores the TaskManager process used over the window, when local.
    pub taskmanager_cpu_cores: Option<f64>,
    /// Window results' latency from their intended time, worst subtask.
    pub result_latency_p99_ms: Option<f64>,
    pub subtasks: Vec<SubtaskSample>,
}

impl Probe {
    /// The subtask with the most records in, and its busy ratio.
    pub fn hottest(&self) -> Option<&SubtaskSample> {
        self.subtasks
            .iter()
            .max_by(|a, b| a.records_in.total_cmp(&b.records_in))
    }
}

impl SubtaskSample {
    /// Busy time over the window's accounted time (busy + backpressured + idle).
    pub fn busy_ratio(&self) -> f64 {
        let total = self.busy_ms + self.backpressured_ms + self.idle_ms;
        if total > 0.0 {
            self.busy_ms / total
        } else {
            0.0
        }
    }
}

impl StrategyRuns {
    /// Sustainable throughput of the repeats: (min, median, max).
    pub fn min_median_max(&self) -> (f64, f64, f64) {
        let mut v: Vec<f64> = self
            .repeats
            .iter()
            .map(|r| r.sustainable_throughput)
            .collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        (v[0], median, v[n - 1])
    }
}

pub fn load(path: &Path) -> Result<Option<FlinkResults>, InputError> {
    let Some(results) =
        crate::file::read_json_report::<FlinkResults>(path, "a Flink benchmark report")?
    else {
        return Ok(None);
    };
    check(&results).map_err(|(field, msg)| InputError::new(path, msg).in_field(field))?;
    Ok(Some(results))
}

/// What a report must hold to be read at all: every strategy, at least one
/// repeat each, the calibration's subtasks, and one sample per keyed subtask.
fn check(r: &FlinkResults) -> Result<(), (&'static str, String)> {
    if r.schema_version != 1 {
        return Err((
            "schema_version",
            format!("expected schema version 1, found {}", r.schema_version),
        ));
    }
    let p = r.parameters.keyed_parallelism as usize;
    if r.calibration.subtasks.len() != p || r.calibration.capacity_per_s() <= 0.0 {
        return Err((
            "calibration",
            format!("expected {p} keyed subtasks with busy time in the calibration"),
        ));
    }
    for strategy in Strategy::ALL {
        let Some(runs) = r.strategies.get(&strategy) else {
            return Err(("strategies", format!("expected the strategy `{strategy}`")));
        };
        if runs.repeats.is_empty() {
            return Err(("strategies", format!("`{strategy}` has no repeat")));
        }
        for probe in runs.repeats.iter().flat_map(|rep| &rep.probes) {
            if probe.subtasks.len() != p {
                return Err((
                    "probes",
                    format!(
                        "`{strategy}` at {} events/s: expected {p} keyed subtasks, found {}",
                        probe.offered_rate,
                        probe.subtasks.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `data/bench/clickhouse-results.json`: what `just bench-clickhouse`
/// measured on the ClickHouse engine (chDB, in-process).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseResults {
    pub schema_version: u32,
    pub mode: RunMode,
    pub machine: EngineMachine,
    pub command: String,
    pub git_revision: Option<String>,
    pub clickhouse_version: String,
    pub chdb_version: String,
    pub wall_time_s: f64,
    pub parameters: ClickHouseParameters,
    /// Per insert batch size: the highest merge-safe insert rate and its probes.
    pub batches: Vec<BatchSweep>,
    /// The merge-safe rate fitted against batch size (absent below two sizes).
    pub fit: Option<MergeSafeFit>,
    pub deduplication: Deduplication,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseParameters {
    pub table: String,
    pub production_batch_rows: u32,
    pub production_insert_interval_ms: f64,
    pub row_payload_bytes: u32,
    pub merge_safe_max_parts: f64,
    pub production_merge_safe_rows_per_s_per_shard: f64,
    pub probe_s: f64,
    /// MergeTree and server settings as the engine reported them.
    pub engine_settings: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSweep {
    pub batch_rows: u32,
    pub merge_safe_inserts_per_s: f64,
    pub merge_safe_rows_per_s: f64,
    /// Whether an unsafe rate was found: if not, the rate is a lower bound.
    pub limit_observed: bool,
    pub probes: Vec<PartsProbe>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartsProbe {
    pub batch_rows: u32,
    pub offered_inserts_per_s: f64,
    pub achieved_inserts_per_s: f64,
    pub rows_per_s: f64,
    pub merge_safe: bool,
    pub max_active_parts: u32,
    pub final_active_parts: u32,
    /// Mean active parts of the probe's last third minus its first third.
    pub parts_drift: f64,
    pub kept_schedule: bool,
    pub mean_merges_running: f64,
    pub merges_finished: f64,
    pub merged_rows_per_s: f64,
    pub insert_p50_ms: Option<f64>,
    pub insert_max_ms: Option<f64>,
}

/// `R(B) = B / (t_part_s + t_row_s × B)`, fitted by least squares on
/// `1/R = t_row_s + t_part_s / B`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeSafeFit {
    pub model: String,
    pub t_part_s: f64,
    pub t_row_s: f64,
    /// Batch size → fitted merge-safe rows/s.
    pub predicted_rows_per_s: BTreeMap<String, f64>,
    pub max_abs_error: f64,
}

impl MergeSafeFit {
    /// The fitted merge-safe rate at `batch_rows` rows per insert.
    pub fn rows_per_s(&self, batch_rows: u32) -> f64 {
        let b = f64::from(batch_rows);
        b / (self.t_part_s + self.t_row_s * b)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deduplication {
    pub window_blocks: u64,
    pub model_replay_blocks: u64,
    pub rows_per_block: u64,
    pub blocks_inserted: u64,
    pub rows_first_pass: u64,
    pub rows_expected: u64,
    pub replayed_within_window_blocks: u64,
    pub duplicate_rows_within_window: u64,
    pub replayed_horizon_blocks: u64,
    pub duplicate_rows_over_horizon: u64,
    pub replayed_beyond_window_blocks: u64,
    pub duplicate_rows_beyond_window: u64,
}

pub fn load_clickhouse(path: &Path) -> Result<Option<ClickHouseResults>, InputError> {
    let Some(results) =
        crate::file::read_json_report::<ClickHouseResults>(path, "a ClickHouse benchmark report")?
    else {
        return Ok(None);
    };
    if results.schema_version != 1 {
        return Err(InputError::new(
            path,
            format!(
                "expected schema version 1, found {}",
                results.schema_version
            ),
        )
        .in_field("schema_version"));
    }
    Ok(Some(results))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(records_in: f64, busy_ms: f64, idle_ms: f64) -> SubtaskSample {
        SubtaskSample {
            subtask: 0,
            records_in,
            busy_ms,
            backpressured_ms: 0.0,
            idle_ms,
            busy_ms_per_s: None,
            backpressured_ms_per_s: None,
            records_in_per_s: None,
        }
    }

    /// The busiest subtask is 85% busy; the one at 50% is loaded enough
    /// (at least half of 85%), the one at 20% is not and is left out.
    #[test]
    fn the_true_rate_pools_the_loaded_subtasks_only() {
        let c = Calibration {
            strategy: Strategy::Customer,
            offered_rate: 50_000.0,
            subtasks: vec![
                sample(66_300.0, 8_500.0, 1_500.0),
                sample(38_000.0, 5_000.0, 5_000.0),
                sample(14_000.0, 2_000.0, 8_000.0),
            ],
        };
        // (66,300 + 38,000) records ÷ (8.5 + 5.0) busy seconds.
        let by_hand = 104_300.0 / 13.5;
        assert!((c.capacity_per_s() - by_hand).abs() < 1e-9);
        // Over every subtask: (66,300 + 38,000 + 14,000) ÷ (8.5 + 5.0 + 2.0).
        let every = 118_300.0 / 15.5;
        assert!((c.capacity_over_every_subtask_per_s() - every).abs() < 1e-9);
        assert!((c.subtasks[0].busy_ratio() - 0.85).abs() < 1e-12);
        // Nothing busy: no rate rather than a division by zero.
        let idle = Calibration {
            subtasks: vec![sample(0.0, 0.0, 10_000.0)],
            ..c
        };
        assert_eq!(idle.capacity_per_s(), 0.0);
    }
}
