//! The real engines in the benchmark report: the Flink 1.18 job beside the
//! model and the prototype, and the ClickHouse experiment on chDB. Each run
//! is printed with the machine, command and revision that produced it.

use serde::Serialize;

use super::text::{Code, Text};
use super::words;
use crate::inputs::engine_bench::{ClickHouseResults, EngineMachine, FlinkResults};
use crate::model::engine_validation::{ClickHouseValidation, FlinkValidation};
use crate::model::strategy::Strategy;
use crate::model::validation::Validation;

#[derive(Debug, Serialize)]
pub struct Engines {
    pub flink: Option<RealFlink>,
    pub clickhouse: Option<ClickHouseRun>,
}

/// Where and how a run was made.
#[derive(Debug, Serialize)]
pub struct Run {
    pub machine: Text,
    pub command: Code,
    pub git_revision: Option<Code>,
    pub wall_time_min: f64,
}

#[derive(Debug, Serialize)]
pub struct RealFlink {
    pub run: Run,
    pub flink_version: Text,
    pub cluster: Text,
    pub keyed_parallelism: u32,
    pub max_parallelism: u32,
    pub service_time_us: f64,
    pub production_service_time_us: f64,
    /// How many times production's service time each record paid.
    pub service_scale: f64,
    pub calibration_strategy: &'static str,
    pub calibration_rate: f64,
    /// How busy the calibration run kept its busiest subtask.
    pub calibration_busiest: f64,
    pub capacity_per_s: f64,
    /// The low-load calibration (absent from older reports): its rate, its
    /// capacity, and how far below the loaded one that capacity is.
    pub low_load: Option<LowLoad>,
    pub other_backend: &'static str,
    pub other_backend_capacity_per_s: f64,
    pub repeats: u32,
    pub bisection_precision: f64,
    pub measure_s: f64,
    pub sustainability_criterion: Text,
    pub rows: Vec<ThreeWay>,
    /// Whether every strategy sustained more than predicted, and whether at
    /// its sustained rates the hottest subtask received less than its
    /// predicted share of the records (the rest waiting in buffers).
    pub all_above: bool,
    pub hottest_lagged: bool,
    pub max_abs_error: f64,
    pub ranking_agrees: bool,
    pub stale: bool,
    pub stale_inputs: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct LowLoad {
    pub rate: f64,
    pub capacity_per_s: f64,
    /// `1 − low / loaded`: how much lower every prediction calibrated at low
    /// load over every subtask would be, and whether that is a percent or more.
    pub shortfall: f64,
    pub lower: bool,
}

/// One strategy: the model's prediction and the measurement on the
/// prototype's topology, then on the real Flink job's.
#[derive(Debug, Serialize)]
pub struct ThreeWay {
    pub strategy: &'static str,
    /// Absent when the prototype's report has no sweep of the strategy.
    pub prototype: Option<PrototypeSide>,
    pub flink_predicted_share: f64,
    pub flink_measured_share: f64,
    pub flink_predicted: f64,
    pub flink_min: f64,
    pub flink_median: f64,
    pub flink_max: f64,
    pub flink_repeats: usize,
    pub flink_error: f64,
    /// The error with its sign: `+20.5%`, `−0.9%`.
    pub flink_error_signed: String,
    pub flink_predicted_busy: f64,
    pub flink_measured_busy: f64,
}

#[derive(Debug, Serialize)]
pub struct PrototypeSide {
    pub predicted: f64,
    /// The median of the repeats, and the least and the most.
    pub measured: f64,
    pub min: f64,
    pub max: f64,
    pub error: f64,
    pub error_signed: String,
}

#[derive(Debug, Serialize)]
pub struct ClickHouseRun {
    pub run: Run,
    pub clickhouse_version: Text,
    pub chdb_version: Text,
    pub table: Text,
    pub probe_s: f64,
    pub merge_safe_max_parts: f64,
    pub production_batch_rows: u32,
    pub batches: Vec<BatchRow>,
    /// Whether every batch size found a rate that was not merge-safe (else
    /// some rates are lower bounds).
    pub every_limit_observed: bool,
    pub fit: Option<Fit>,
    pub model_rows_per_s_per_shard: f64,
    pub dedup: Dedup,
    pub stale: bool,
    pub stale_inputs: Vec<&'static str>,
}

#[derive(Debug, Serialize)]
pub struct BatchRow {
    pub batch_rows: u32,
    pub inserts_per_s: f64,
    pub rows_per_s: f64,
    pub limit_observed: bool,
    pub fitted_rows_per_s: Option<f64>,
    pub max_active_parts: u32,
}

#[derive(Debug, Serialize)]
pub struct Fit {
    pub t_part_ms: f64,
    pub t_row_us: f64,
    pub max_abs_error: f64,
    pub at_production_batch: f64,
}

#[derive(Debug, Serialize)]
pub struct Dedup {
    pub window_blocks: u64,
    pub rows_per_block: u64,
    pub replayed_within_window_blocks: u64,
    pub duplicate_rows_within_window: u64,
    pub replayed_horizon_blocks: u64,
    pub duplicate_rows_over_horizon: u64,
    pub replayed_beyond_window_blocks: u64,
    pub duplicate_rows_beyond_window: u64,
    /// The blocks a restore replays into the raw table in the plan now.
    pub model_replay_blocks_now: f64,
    pub window_blocks_now: f64,
    /// Whether the plan's window covers what a restore replays.
    pub window_covers_replay_now: bool,
}

fn machine(m: &EngineMachine) -> Text {
    Text::new(&format!(
        "{}, {}, {:.1} GiB, {}",
        m.cpu_model,
        words::counted(m.cores as u64, "core", "cores"),
        m.memory_gib,
        m.os
    ))
}

fn run(m: &EngineMachine, command: &str, revision: Option<&str>, wall_time_s: f64) -> Run {
    Run {
        machine: machine(m),
        command: Code::new(command),
        git_revision: revision.map(Code::new),
        wall_time_min: wall_time_s / 60.0,
    }
}

pub fn build(
    flink: Option<(&FlinkResults, &FlinkValidation)>,
    clickhouse: Option<(&ClickHouseResults, &ClickHouseValidation)>,
    prototype: &Validation,
) -> Option<Engines> {
    if flink.is_none() && clickhouse.is_none() {
        return None;
    }
    Some(Engines {
        flink: flink.map(|(r, v)| real_flink(r, v, prototype)),
        clickhouse: clickhouse.map(|(r, v)| clickhouse_run(r, v)),
    })
}

fn real_flink(r: &FlinkResults, v: &FlinkValidation, prototype: &Validation) -> RealFlink {
    let p = &r.parameters;
    let c = &v.check;
    let rows: Vec<ThreeWay> = c
        .checks
        .iter()
        .map(|s| ThreeWay {
            strategy: words::strategy_name(Strategy::from(s.strategy)),
            prototype: prototype
                .checks
                .iter()
                .find(|pc| pc.bench_strategy == s.strategy)
                .map(|pc| PrototypeSide {
                    predicted: pc.predicted_sustainable,
                    measured: pc.measured_sustainable,
                    min: pc.measured_min,
                    max: pc.measured_max,
                    error: pc.error,
                    error_signed: words::signed_percent(pc.error),
                }),
            flink_predicted_share: s.predicted_hottest_share,
            flink_measured_share: s.measured_hottest_share,
            flink_predicted: s.predicted_sustainable,
            flink_min: s.measured_min,
            flink_median: s.measured_median,
            flink_max: s.measured_max,
            flink_repeats: s.repeats,
            flink_error: s.error,
            flink_error_signed: words::signed_percent(s.error),
            flink_predicted_busy: s.predicted_hottest_busy,
            flink_measured_busy: s.measured_hottest_busy,
        })
        .collect();
    RealFlink {
        run: run(
            &r.machine,
            &r.command,
            r.git_revision.as_deref(),
            r.wall_time_s,
        ),
        flink_version: Text::new(&r.flink_version),
        cluster: Text::new(&r.cluster),
        keyed_parallelism: c.keyed_parallelism,
        max_parallelism: c.max_parallelism,
        service_time_us: p.service_time_us,
        production_service_time_us: p.production_service_time_us,
        service_scale: p.service_time_us / p.production_service_time_us,
        calibration_strategy: words::strategy_name(Strategy::from(c.calibration_strategy)),
        calibration_rate: c.calibration_rate,
        calibration_busiest: r
            .calibration
            .subtasks
            .iter()
            .map(|s| s.busy_ratio())
            .fold(0.0, f64::max),
        capacity_per_s: c.capacity_per_s,
        low_load: c
            .low_load_rate
            .zip(c.low_load_capacity_per_s)
            .map(|(rate, capacity)| LowLoad {
                rate,
                capacity_per_s: capacity,
                shortfall: 1.0 - capacity / c.capacity_per_s,
                lower: 1.0 - capacity / c.capacity_per_s >= 0.01,
            }),
        other_backend: c.other_backend.name(),
        other_backend_capacity_per_s: c.other_backend_capacity_per_s,
        repeats: p.repeats,
        bisection_precision: p.bisection_precision,
        measure_s: p.measure_s,
        all_above: rows.iter().all(|r| r.flink_error > 0.0),
        hottest_lagged: rows
            .iter()
            .all(|r| r.flink_measured_share < r.flink_predicted_share),
        sustainability_criterion: Text::new(&r.sustainability_criterion),
        rows,
        max_abs_error: c.max_abs_error,
        ranking_agrees: c.ranking_agrees,
        stale: !v.stale_inputs.is_empty(),
        stale_inputs: v.stale_inputs.clone(),
    }
}

fn clickhouse_run(r: &ClickHouseResults, v: &ClickHouseValidation) -> ClickHouseRun {
    let p = &r.parameters;
    let fitted = |b: u32| r.fit.as_ref().map(|f| f.rows_per_s(b));
    let d = &r.deduplication;
    ClickHouseRun {
        run: run(
            &r.machine,
            &r.command,
            r.git_revision.as_deref(),
            r.wall_time_s,
        ),
        clickhouse_version: Text::new(&r.clickhouse_version),
        chdb_version: Text::new(&r.chdb_version),
        table: Text::new(&p.table),
        probe_s: p.probe_s,
        merge_safe_max_parts: p.merge_safe_max_parts,
        production_batch_rows: p.production_batch_rows,
        batches: r
            .batches
            .iter()
            .map(|b| BatchRow {
                batch_rows: b.batch_rows,
                inserts_per_s: b.merge_safe_inserts_per_s,
                rows_per_s: b.merge_safe_rows_per_s,
                limit_observed: b.limit_observed,
                fitted_rows_per_s: fitted(b.batch_rows),
                max_active_parts: b
                    .probes
                    .iter()
                    .filter(|pr| pr.merge_safe)
                    .map(|pr| pr.max_active_parts)
                    .max()
                    .unwrap_or(0),
            })
            .collect(),
        every_limit_observed: r.batches.iter().all(|b| b.limit_observed),
        fit: r
            .fit
            .as_ref()
            .zip(v.fitted_rows_per_s_at_production_batch)
            .map(|(f, at)| Fit {
                t_part_ms: f.t_part_s * 1e3,
                t_row_us: f.t_row_s * 1e6,
                max_abs_error: f.max_abs_error,
                at_production_batch: at,
            }),
        model_rows_per_s_per_shard: v.model_rows_per_s_per_shard,
        dedup: Dedup {
            window_blocks: d.window_blocks,
            rows_per_block: d.rows_per_block,
            replayed_within_window_blocks: d.replayed_within_window_blocks,
            duplicate_rows_within_window: d.duplicate_rows_within_window,
            replayed_horizon_blocks: d.replayed_horizon_blocks,
            duplicate_rows_over_horizon: d.duplicate_rows_over_horizon,
            replayed_beyond_window_blocks: d.replayed_beyond_window_blocks,
            duplicate_rows_beyond_window: d.duplicate_rows_beyond_window,
            model_replay_blocks_now: v.model_replay_blocks_now,
            window_blocks_now: v.window_blocks_now,
            window_covers_replay_now: v.model_replay_blocks_now <= v.window_blocks_now,
        },
        stale: !v.stale_inputs.is_empty(),
        stale_inputs: v.stale_inputs.clone(),
    }
}
