//! `data/bench/results.json`: what `just bench` measured on the bottleneck
//! prototype. One schema: the prototype writes it, the generator reads it.
//! No file means no benchmark has been committed yet.
//!
//! Schema (all fields always present, in this order; maps are sorted by key;
//! rates in events/s, latencies in ms, ratios in 0..=1, sizes in bytes):
//!
//! - `schema_version`: 1.
//! - `machine`: `cpu_model` (from `/proc/cpuinfo`), `cores` (available parallelism).
//! - `command`: the command line that produced the file; `git_revision`:
//!   `git rev-parse HEAD` or `null`; `mode`: `"full"` or `"quick"`;
//!   `wall_time_s`: the run's duration.
//! - `parameters`: everything needed to recompute the model's prediction —
//!   see [`Parameters`].
//! - `sustainability_criterion`: the rule that decides "sustained", in words.
//! - `native`: the prototype's own capacity per core — see [`NativeResults`].
//! - `driver`: the load driver's maximum rate alone.
//! - `sweep`: per strategy (`customer`, `composite`, `sticky`), the repeated
//!   bisections on the offered rate at the plan's month, in calibrated mode
//!   — see [`StrategySweep`] and [`RatePoint`].
//! - `scale`: the 256-subtask calibrated run — a [`RatePoint`] plus its setup.
//! - `fault`: fault-injection results — see [`FaultResults`] and, for the
//!   seeded kill points, [`KillPoints`].
//! - `findings`: short texts on targets missed and where the time goes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::keys::{EventType, HotCustomer, KeyDistribution, Tail};
use crate::scenarios::{BackendKind, Strategy};

/// Which sizes of `scenarios.toml` a run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    Full,
    Quick,
}

impl RunMode {
    pub fn name(self) -> &'static str {
        match self {
            RunMode::Full => "full",
            RunMode::Quick => "quick",
        }
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub schema_version: u32,
    pub machine: Machine,
    pub command: String,
    pub git_revision: Option<String>,
    pub mode: RunMode,
    pub wall_time_s: f64,
    pub parameters: Parameters,
    pub sustainability_criterion: String,
    pub native: NativeResults,
    pub driver: DriverResult,
    pub sweep: BTreeMap<Strategy, StrategySweep>,
    pub scale: ScaleResult,
    pub fault: FaultResults,
    pub targets: Vec<Target>,
    pub findings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
}

/// Inputs of the model's prediction, as the bench used them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// Name of the keyed operator in `data/architecture.toml`.
    pub keyed_operator: String,
    /// Production parallelism and max parallelism of that operator.
    pub production_parallelism: u32,
    pub production_max_parallelism: u32,
    /// Parallelism and max parallelism of the emulated operator in the
    /// bisections: the plan's for its month (`data/bench/plan.tsv`).
    pub sweep_parallelism: u32,
    pub sweep_max_parallelism: u32,
    pub sweep_max_parallelism_source: String,
    /// The plan's month the bisections replayed: its label, its peak rate at
    /// the keyed vertex (records/s) and the plan file's digest.
    pub plan_month_label: String,
    pub plan_peak_records_per_s: f64,
    pub plan_digest: String,
    /// The plan's customers as replayed: `[id, share, sub-keys]`, heaviest first.
    pub plan_customers: Vec<(i64, f64, u32)>,
    /// The plan's busy time per record of a keyed subtask (µs).
    pub plan_service_time_us: f64,
    /// The bisections run time-scaled: every record pays `time_scale` times
    /// the plan's service time and every rate is `1 / time_scale` of the
    /// plan's, so each subtask is exactly as busy as at full rate while the
    /// machine emulates a fraction of the events. Rates in `sweep` are the
    /// emulated ones.
    pub time_scale: f64,
    /// Per-record service time (µs) pooled from `metrics/flink_subtasks.csv`:
    /// sum(busy_ms_per_s / 1000) / sum(records_in_per_s) over all samples of
    /// the keyed operator.
    pub service_time_us: f64,
    pub service_time_samples: usize,
    /// 1e6 / service_time_us: what one subtask sustains at 100% busy.
    pub subtask_capacity_events_per_s: f64,
    /// Sticky-key sub-partitioning: sub-keys per hot customer and events per sticky batch.
    pub sub_keys: u32,
    pub sticky_batch_records: u32,
    /// Customers split by sticky sub-partitioning: every customer with at
    /// least `sticky_min_share` of all events (hot list and tail alike).
    pub sticky_min_share: f64,
    pub sticky_split_customers: Vec<i64>,
    /// Hot customers (id -> share of all events), the tail and event types.
    pub hot_customer_shares: BTreeMap<String, f64>,
    pub tail_customers: u32,
    pub tail_first_customer_id: i64,
    pub tail_zipf_exponent: f64,
    pub tail_share: f64,
    pub event_type_shares: BTreeMap<String, f64>,
    /// Per sweep strategy: the share of all events that lands on each
    /// subtask under the production key distribution (the exact routing,
    /// computed from the shares, not sampled).
    pub subtask_shares: BTreeMap<Strategy, Vec<f64>>,
    pub window_size_ms: i64,
    pub allowed_lateness_ms: i64,
    pub out_of_orderness_ms: i64,
    pub watermark_interval_ms: u64,
    pub late_fraction: f64,
    pub records_per_buffer: usize,
    pub buffer_timeout_ms: u64,
    pub credits_per_channel: usize,
    pub sleep_threshold_us: u64,
    /// Bisections per strategy, the precision they stop at (bracket width
    /// over its top) and the factor the bracket moves by while an end is wrong.
    pub bisection_repeats: u32,
    pub bisection_precision: f64,
    pub bisection_step: f64,
    pub sweep_warmup_s: f64,
    pub sweep_measure_s: f64,
    pub sweep_backend: BackendKind,
    /// RocksDB's `inplace_update_support` in the RocksDB runs.
    pub rocksdb_inplace_update_support: bool,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NativeResults {
    pub heap: NativeRun,
    pub rocksdb: NativeRun,
}

/// A closed-loop run of the whole runtime (source, partitioner, channels,
/// operator, sink) with the real work only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NativeRun {
    pub backend: BackendKind,
    pub strategy: Strategy,
    pub parallelism: u32,
    pub duration_s: f64,
    pub events: u64,
    /// Events per wall-clock second.
    pub events_per_s: f64,
    /// Process CPU seconds during the run, and events per CPU second: the
    /// per-core throughput of the whole runtime.
    pub cpu_s: f64,
    pub events_per_cpu_s: f64,
    /// Events per CPU second of the keyed subtask threads alone.
    pub operator_events_per_cpu_s: f64,
    pub source_cpu_s: f64,
    pub subtasks_cpu_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriverResult {
    /// Events per second the driver generates, keys, routes and batches on one thread.
    pub max_events_per_s: f64,
    pub duration_s: f64,
}

/// One offered rate: a probe of a bisection, or the scale run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatePoint {
    pub offered_rate: f64,
    pub achieved_rate: f64,
    pub sustained: bool,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_p999_ms: f64,
    pub latency_max_ms: f64,
    /// p99 of records sent in the first and in the second half of the window.
    pub latency_p99_first_half_ms: f64,
    pub latency_p99_second_half_ms: f64,
    /// Least-squares slope of the source lag over the window (records/s), and the last lag.
    pub lag_growth_per_s: f64,
    pub final_lag_records: f64,
    /// Per subtask, ms per second (Flink's busyTimeMsPerSecond etc. / 1000);
    /// in a bisection, only at the plan's peak (empty at the other probes).
    pub busy_ratio: Vec<f64>,
    pub backpressured_ratio: Vec<f64>,
    pub idle_ratio: Vec<f64>,
    pub hottest_subtask: usize,
    pub hottest_busy_ratio: f64,
    pub mean_busy_ratio: f64,
    pub source_backpressured_ratio: f64,
    pub merge_busy_ratio: f64,
    pub late_records: u64,
    pub checkpoints: CheckpointSummary,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckpointSummary {
    pub completed: usize,
    pub duration_ms_p50: f64,
    pub duration_ms_max: f64,
    pub bytes_p50: f64,
    pub bytes_max: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategySweep {
    pub parallelism: u32,
    pub max_parallelism: u32,
    /// Every probe of every repeat, by offered rate (the first probe of each
    /// repeat is the plan's peak).
    pub points: Vec<RatePoint>,
    /// Each repeat's sustainable throughput: the highest rate its bisection
    /// found sustained, the lowest it found not sustained within the
    /// precision above it.
    pub repeats: Vec<f64>,
    /// The median of the repeats.
    pub sustainable_throughput: f64,
}

impl StrategySweep {
    /// The least and the most of the repeats.
    pub fn range(&self) -> (f64, f64) {
        let min = self.repeats.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.repeats.iter().copied().fold(0.0, f64::max);
        (min, max)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleResult {
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub strategy: Strategy,
    pub point: RatePoint,
    pub process_cpu_s: f64,
    pub wall_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultResults {
    pub parallelism: u32,
    pub events: u64,
    pub rate: f64,
    pub kill_subtask: u32,
    pub kill_at_offset: u64,
    pub checkpoint_interval_ms: u64,
    /// Exactly-once, per strategy.
    pub exactly_once: BTreeMap<Strategy, FaultRun>,
    /// Customer strategy.
    pub at_least_once: FaultRun,
    pub no_checkpoints: FaultRun,
    /// Many seeded kill points per strategy. Absent from reports written
    /// before kill points were run.
    #[serde(default)]
    pub kill_points: Option<KillPoints>,
    /// Set when this section was rerun alone (`just bench-faults`) into a
    /// report whose other sections an earlier run wrote: the rerun's command
    /// line and revision. `null`: the top-level `command` made it.
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub git_revision: Option<String>,
}

/// Seeded random kill points per strategy (any subtask, any offset, during a
/// checkpoint, during recovery, twice in a row), each run compared with the
/// same job without a fault; exactly-once and at-least-once at the same points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KillPoints {
    pub parallelism: u32,
    pub events: u64,
    /// Closed loop: event times follow this rate, the source runs as fast as
    /// backpressure allows.
    pub nominal_rate: f64,
    pub checkpoint_interval_ms: u64,
    /// Seed of the kill points (the events use the common seed).
    pub seed: u64,
    pub exactly_once: BTreeMap<Strategy, KillTally>,
    pub at_least_once: BTreeMap<Strategy, KillTally>,
}

/// What the kill points of one strategy and guarantee did, summed over the points.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KillTally {
    /// Runs, each killed once or twice and recovered.
    pub points: u32,
    /// Subtasks killed over all runs.
    pub kills: u32,
    /// Runs by where they were killed: at a record, during a checkpoint
    /// (between a subtask's barrier and the checkpoint's completion), during
    /// recovery (a second subtask dies as it restores), twice in a row (the
    /// recovering attempt killed again at a random point).
    pub at_offset: u32,
    pub during_checkpoint: u32,
    pub during_recovery: u32,
    pub twice: u32,
    /// Runs whose last recovery restored a completed checkpoint (the others
    /// were killed before the first checkpoint completed and started over).
    pub restored_from_checkpoint: u32,
    /// Rows the fault-free run wrote that the run did not, and rows the run
    /// wrote more often than the fault-free run (multiset differences).
    pub lost_rows: u64,
    pub duplicate_rows: u64,
    /// Events counted in the fault-free final table but not in the run's.
    pub lost_events: u64,
    /// Runs with a lost or a duplicated row.
    pub runs_with_lost_or_duplicate_rows: u32,
}

/// A run with one subtask killed, compared with the same run without a fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRun {
    pub guarantee: String,
    pub attempts: u32,
    pub restored_from_checkpoint: bool,
    pub checkpoints_completed: usize,
    pub checkpoint_duration_ms_p50: f64,
    pub checkpoint_bytes_p50: f64,
    /// The final table (last row per window and customer) equals the fault-free run's.
    pub table_equal: bool,
    /// The multiset of rows written equals the fault-free run's (every
    /// strategy: the merge stage's rows do not depend on how its inputs
    /// interleave).
    pub rows_equal: bool,
    pub rows_written: u64,
    pub rows_reference: u64,
    /// Rows written more often than the fault-free run wrote them.
    pub duplicate_rows: u64,
    /// Rows the fault-free run wrote more often than this run. Absent from
    /// reports written before it was counted.
    #[serde(default)]
    pub lost_rows: u64,
    /// Events counted in the fault-free table but missing from this one.
    pub lost_events: u64,
    pub total_events_in_reference: u64,
    pub lossy_on_failure_rate: f64,
    /// Records the keyed subtasks processed, replays included, vs. the fault-free run.
    pub records_processed: u64,
    pub records_processed_reference: u64,
    pub recovery_wall_s: f64,
}

/// A speed target of the issue, measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    pub target: f64,
    pub measured: f64,
    pub met: bool,
}

impl Parameters {
    /// The key distribution the prototype replayed, as the generator's type:
    /// what the model must route to predict the prototype's own skew.
    pub fn key_distribution(&self) -> KeyDistribution {
        let mut hot: Vec<HotCustomer> = self
            .hot_customer_shares
            .iter()
            .filter_map(|(id, &share)| {
                Some(HotCustomer {
                    customer_id: id.parse().ok()?,
                    name: id.clone(),
                    share,
                })
            })
            .collect();
        hot.sort_by(|a, b| {
            b.share
                .total_cmp(&a.share)
                .then(a.customer_id.cmp(&b.customer_id))
        });
        KeyDistribution {
            hot,
            tail: Tail {
                customers: self.tail_customers,
                first_customer_id: self.tail_first_customer_id,
                zipf_exponent: self.tail_zipf_exponent,
                share: self.tail_share,
            },
            event_types: self
                .event_type_shares
                .iter()
                .map(|(event_type, &share)| EventType {
                    event_type: event_type.clone(),
                    share,
                })
                .collect(),
        }
    }
}

pub fn load(path: &Path) -> Result<Option<BenchReport>, InputError> {
    let Some(report) = crate::file::read_json_report::<BenchReport>(path, "a benchmark report")?
    else {
        return Ok(None);
    };
    for strategy in Strategy::ALL {
        if !report.sweep.contains_key(&strategy) {
            let name = strategy.name();
            return Err(
                InputError::new(path, format!("expected a sweep of strategy `{name}`"))
                    .in_field("sweep"),
            );
        }
    }
    Ok(Some(report))
}
