//! The benchmark: everything the documents print from the prototype's report
//! (`data/bench/results.json`), beside the model's predictions for it.
//!
//! This is the only place that reads the report for printing; the report is
//! typed on load (`pipeline_inputs::bench`), so a renamed field fails to compile.

use serde::Serialize;

use super::text::{Code, Text};
use super::words;
use crate::error::Result;
use crate::inputs::architecture::Architecture;
use crate::inputs::bench::{self as report, BenchReport};
use crate::model::validation::Validation;

#[derive(Debug, Serialize)]
pub struct Bench {
    pub machine: Machine,
    pub command: Code,
    pub git_revision: Option<Code>,
    pub mode: String,
    pub wall_time_s: f64,
    pub sustainability_criterion: Text,
    pub parameters: Parameters,
    /// Production's watermark delay, beside the prototype's.
    pub production_out_of_orderness_ms: f64,
    pub validation: Checks,
    pub native: Native,
    pub scale: Scale,
    pub fault: Fault,
    pub targets: Vec<Target>,
    pub findings: Vec<Text>,
    pub figures: Figures,
    /// The real engines' runs, when their results are committed.
    pub engines: Option<super::engines::Engines>,
}

/// The report's charts, relative to the chapter.
#[derive(Debug, Serialize)]
pub struct Figures {
    pub latency: String,
    pub heat_map: String,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu_model: Text,
    pub cores: u64,
    /// "two cores".
    pub cores_in_words: String,
}

#[derive(Debug, Serialize)]
pub struct Parameters {
    pub service_time_us: f64,
    pub tail_customers: f64,
    pub tail_zipf_exponent: f64,
    pub out_of_orderness_ms: f64,
    pub late_fraction: f64,
}

/// The model's prediction for the prototype's own topology against what it measured.
#[derive(Debug, Serialize)]
pub struct Checks {
    pub parallelism: u32,
    pub max_parallelism: u32,
    pub capacity_per_s: f64,
    /// The plan's month the run replayed, and its peak: the rate the
    /// strategies are compared at.
    pub month_label: Text,
    pub at_rate: f64,
    /// Rates divided and service time multiplied by this in the run.
    pub time_scale: f64,
    pub time_scaled: bool,
    pub service_time_scaled_us: f64,
    pub repeats: u32,
    pub precision: f64,
    /// Whether every strategy's repeats found the same rate.
    pub repeats_agree: bool,
    pub checks: Vec<Check>,
    /// Whether the prototype replayed the plan `data/` gives now.
    pub plan_matches_inputs: bool,
    /// Whether any input the run derived from `data/` differs from `data/` now.
    pub stale: bool,
    /// Those inputs, each with the file it comes from.
    pub stale_inputs: Vec<StaleInput>,
    pub ranking_agrees: bool,
    /// Whether the keyed target utilization leaves more headroom than the largest error.
    pub headroom_covers_error: bool,
}

/// A parameter of the committed run that `data/` no longer gives.
#[derive(Debug, Serialize)]
pub struct StaleInput {
    pub parameter: &'static str,
    pub derived_from: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub strategy: &'static str,
    pub hottest_share: f64,
    pub predicted_sustainable: f64,
    pub measured_sustainable: f64,
    pub measured_min: f64,
    pub measured_max: f64,
    pub error: f64,
    /// The error of the median, signed, and of the least and the most.
    pub error_signed: String,
    pub error_range: String,
    pub sustained_at_rate: bool,
    pub sustained_at_peak: usize,
    pub repeats: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub predicted_hottest_busy: f64,
    pub measured_hottest_busy: f64,
}

/// The operator thread's own speed, per CPU-second.
#[derive(Debug, Serialize)]
pub struct Native {
    pub rocksdb_operator_events_per_cpu_s: f64,
    pub heap_operator_events_per_cpu_s: f64,
}

/// The largest calibrated run.
#[derive(Debug, Serialize)]
pub struct Scale {
    /// Its offered rate in a heading's short form: "1M".
    pub rate_in_short: String,
    pub parallelism: u64,
    pub max_parallelism: u64,
    /// The prototype's name of the strategy.
    pub strategy: String,
    pub offered_rate: f64,
    pub achieved_rate: f64,
    pub sustained: bool,
    pub latency_p99_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct Fault {
    pub parallelism: u64,
    pub events: f64,
    pub rate: f64,
    pub kill_at_offset: f64,
    pub checkpoint_interval_ms: f64,
    /// Exactly-once runs, by the prototype's strategy name.
    pub exactly_once: Vec<ExactlyOnceRun>,
    pub at_least_once: FaultRun,
    pub no_checkpoints: FaultRun,
    /// The seeded kill points, when the report has them.
    pub kill_points: Option<KillPoints>,
    /// The verdict: every exactly-once run (the single kill and every kill
    /// point) wrote the fault-free run's rows, none lost, none twice, and
    /// counted every event. Computed from the counts below, so the prose
    /// claims exactness only when they are all zero.
    pub exactly_once_exact: bool,
    /// Over every exactly-once run: rows lost, rows written twice, events lost.
    pub exactly_once_lost_rows: f64,
    pub exactly_once_duplicate_rows: f64,
    pub exactly_once_lost_events: f64,
}

/// Seeded kill points per strategy, exactly-once and at-least-once at the same points.
#[derive(Debug, Serialize)]
pub struct KillPoints {
    pub parallelism: u64,
    pub events: f64,
    pub checkpoint_interval_ms: f64,
    /// Kill points of each strategy (the fewest, should they differ).
    pub points_per_strategy: f64,
    pub strategies: Vec<KillPointRow>,
    /// Rows at-least-once wrote twice over all strategies' points.
    pub at_least_once_duplicate_rows: f64,
}

/// One strategy's kill points.
#[derive(Debug, Serialize)]
pub struct KillPointRow {
    pub strategy: String,
    pub points: f64,
    pub kills: f64,
    pub during_checkpoint: f64,
    pub during_recovery: f64,
    pub twice: f64,
    pub restored_from_checkpoint: f64,
    pub lost_rows: f64,
    pub duplicate_rows: f64,
    pub lost_events: f64,
    pub at_least_once_duplicate_rows: f64,
}

#[derive(Debug, Serialize)]
pub struct ExactlyOnceRun {
    pub strategy: String,
    #[serde(flatten)]
    pub run: FaultRun,
}

/// A run with one subtask killed, against the same run without the fault.
#[derive(Debug, Serialize)]
pub struct FaultRun {
    pub table_equal: bool,
    pub lost_rows: f64,
    pub duplicate_rows: f64,
    pub lost_events: f64,
    pub lossy_on_failure_rate: f64,
    pub recovery_wall_s: f64,
}

#[derive(Debug, Serialize)]
pub struct Target {
    pub name: Text,
    pub target: f64,
    pub measured: f64,
    pub met: bool,
}

/// The fault-injection run as the documents print it.
fn fault_run(run: &report::FaultRun) -> FaultRun {
    FaultRun {
        table_equal: run.table_equal,
        lost_rows: run.lost_rows as f64,
        duplicate_rows: run.duplicate_rows as f64,
        lost_events: run.lost_events as f64,
        lossy_on_failure_rate: run.lossy_on_failure_rate,
        recovery_wall_s: run.recovery_wall_s,
    }
}

/// The kill points as the documents print them, by the prototype's strategy name.
fn kill_points(k: &report::KillPoints) -> KillPoints {
    let mut strategies: Vec<KillPointRow> = k
        .exactly_once
        .iter()
        .map(|(strategy, t)| KillPointRow {
            strategy: strategy.name().to_owned(),
            points: f64::from(t.points),
            kills: f64::from(t.kills),
            during_checkpoint: f64::from(t.during_checkpoint),
            during_recovery: f64::from(t.during_recovery),
            twice: f64::from(t.twice),
            restored_from_checkpoint: f64::from(t.restored_from_checkpoint),
            lost_rows: t.lost_rows as f64,
            duplicate_rows: t.duplicate_rows as f64,
            lost_events: t.lost_events as f64,
            at_least_once_duplicate_rows: k
                .at_least_once
                .get(strategy)
                .map_or(0.0, |a| a.duplicate_rows as f64),
        })
        .collect();
    strategies.sort_by(|a, b| a.strategy.cmp(&b.strategy));
    KillPoints {
        parallelism: u64::from(k.parallelism),
        events: k.events as f64,
        checkpoint_interval_ms: k.checkpoint_interval_ms as f64,
        points_per_strategy: strategies
            .iter()
            .map(|s| s.points)
            .reduce(f64::min)
            .unwrap_or(0.0),
        at_least_once_duplicate_rows: strategies
            .iter()
            .map(|s| s.at_least_once_duplicate_rows)
            .sum(),
        strategies,
    }
}

/// The benchmark's view from the report `r`, the model's `validation` of it and
/// the architecture it emulates.
pub fn build(
    r: &BenchReport,
    validation: &Validation,
    engines: Option<super::engines::Engines>,
    arch: &Architecture,
    figures: Figures,
) -> Result<Bench> {
    let cores = r.machine.cores as u64;
    // By the prototype's strategy name, as the report's map was printed before it was typed.
    let mut exactly_once: Vec<ExactlyOnceRun> = r
        .fault
        .exactly_once
        .iter()
        .map(|(strategy, run)| ExactlyOnceRun {
            strategy: strategy.name().to_owned(),
            run: fault_run(run),
        })
        .collect();
    exactly_once.sort_by(|a, b| a.strategy.cmp(&b.strategy));
    let kill = r.fault.kill_points.as_ref().map(kill_points);
    // Every exactly-once run, the single kill and the kill points alike.
    let (lost_rows, duplicate_rows, lost_events) = exactly_once
        .iter()
        .map(|e| (e.run.lost_rows, e.run.duplicate_rows, e.run.lost_events))
        .chain(
            kill.iter()
                .flat_map(|k| &k.strategies)
                .map(|s| (s.lost_rows, s.duplicate_rows, s.lost_events)),
        )
        .fold((0.0, 0.0, 0.0), |(l, d, e), (l2, d2, e2)| {
            (l + l2, d + d2, e + e2)
        });
    let exactly_once_exact = !exactly_once.is_empty()
        && exactly_once.iter().all(|e| e.run.table_equal)
        && lost_rows == 0.0
        && duplicate_rows == 0.0
        && lost_events == 0.0;
    let p = &r.parameters;
    Ok(Bench {
        machine: Machine {
            cpu_model: Text::new(&r.machine.cpu_model),
            cores,
            cores_in_words: words::counted(cores, "core", "cores"),
        },
        command: Code::new(&r.command),
        git_revision: r.git_revision.as_deref().map(Code::new),
        mode: r.mode.name().to_owned(),
        wall_time_s: r.wall_time_s,
        sustainability_criterion: Text::new(&r.sustainability_criterion),
        parameters: Parameters {
            service_time_us: p.service_time_us,
            tail_customers: f64::from(p.tail_customers),
            tail_zipf_exponent: p.tail_zipf_exponent,
            out_of_orderness_ms: p.out_of_orderness_ms as f64,
            late_fraction: p.late_fraction,
        },
        production_out_of_orderness_ms: arch.flink.watermark_out_of_orderness_ms,
        validation: Checks {
            parallelism: validation.parallelism,
            max_parallelism: validation.max_parallelism,
            capacity_per_s: validation.capacity_per_s,
            month_label: Text::new(&validation.month_label),
            at_rate: validation.peak_rate,
            time_scale: validation.time_scale,
            time_scaled: validation.time_scale > 1.0,
            service_time_scaled_us: 1e6 / validation.capacity_per_s * validation.time_scale,
            repeats: validation.repeats,
            precision: validation.precision,
            repeats_agree: validation
                .checks
                .iter()
                .all(|c| c.repeats > 1 && c.measured_min == c.measured_max),
            checks: validation
                .checks
                .iter()
                .map(|c| Check {
                    strategy: words::strategy_name(c.strategy),
                    hottest_share: c.hottest_share,
                    predicted_sustainable: c.predicted_sustainable,
                    measured_sustainable: c.measured_sustainable,
                    measured_min: c.measured_min,
                    measured_max: c.measured_max,
                    error: c.error,
                    error_signed: words::signed_percent(c.error),
                    error_range: format!(
                        "{} to {}",
                        words::signed_percent(c.error_min),
                        words::signed_percent(c.error_max)
                    ),
                    sustained_at_rate: c.sustained_at_rate,
                    sustained_at_peak: c.sustained_at_peak,
                    repeats: c.repeats,
                    p50_ms: c.p50_ms,
                    p99_ms: c.p99_ms,
                    p999_ms: c.p999_ms,
                    predicted_hottest_busy: c.predicted_hottest_busy,
                    measured_hottest_busy: c.measured_hottest_busy,
                })
                .collect(),
            plan_matches_inputs: validation.plan_matches_inputs,
            stale: !validation.stale_inputs.is_empty(),
            stale_inputs: validation
                .stale_inputs
                .iter()
                .map(|s| StaleInput {
                    parameter: s.parameter,
                    derived_from: s.derived_from,
                })
                .collect(),
            ranking_agrees: validation.ranking_agrees,
            headroom_covers_error: validation.headroom_covers_error,
        },
        native: Native {
            rocksdb_operator_events_per_cpu_s: r.native.rocksdb.operator_events_per_cpu_s,
            heap_operator_events_per_cpu_s: r.native.heap.operator_events_per_cpu_s,
        },
        scale: Scale {
            rate_in_short: words::compact(r.scale.point.offered_rate),
            parallelism: u64::from(r.scale.parallelism),
            max_parallelism: u64::from(r.scale.max_parallelism),
            strategy: r.scale.strategy.name().to_owned(),
            offered_rate: r.scale.point.offered_rate,
            achieved_rate: r.scale.point.achieved_rate,
            sustained: r.scale.point.sustained,
            latency_p99_ms: r.scale.point.latency_p99_ms,
        },
        fault: Fault {
            parallelism: u64::from(r.fault.parallelism),
            events: r.fault.events as f64,
            rate: r.fault.rate,
            kill_at_offset: r.fault.kill_at_offset as f64,
            checkpoint_interval_ms: r.fault.checkpoint_interval_ms as f64,
            exactly_once,
            at_least_once: fault_run(&r.fault.at_least_once),
            no_checkpoints: fault_run(&r.fault.no_checkpoints),
            kill_points: kill,
            exactly_once_exact,
            exactly_once_lost_rows: lost_rows,
            exactly_once_duplicate_rows: duplicate_rows,
            exactly_once_lost_events: lost_events,
        },
        targets: r
            .targets
            .iter()
            .map(|t| Target {
                name: Text::new(&t.name),
                target: t.target,
                measured: t.measured,
                met: t.met,
            })
            .collect(),
        findings: r.findings.iter().map(|f| Text::new(f)).collect(),
        figures,
        engines,
    })
}
