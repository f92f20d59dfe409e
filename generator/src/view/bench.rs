//! The benchmark: everything the documents print from the prototype's report
//! (`data/bench/results.json`), beside the model's predictions for it.
//!
//! This is the only place that reads the report for printing. It reads the
//! JSON by the field names of `bench-prototype/src/report.rs` (`Report`), so
//! that `v["scale"]["point"]["achieved_rate"]` here becomes
//! `r.scale.point.achieved_rate` once the report is typed on load.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::words;
use crate::error::{InputError, Result};
use crate::inputs::architecture::Architecture;
use crate::model::validation::Validation;

/// Where the report lives, for error messages.
const REPORT: &str = "data/bench/results.json";

#[derive(Debug, Serialize)]
pub struct Bench {
    pub machine: Machine,
    pub command: String,
    pub git_revision: Option<String>,
    pub mode: String,
    pub wall_time_s: f64,
    pub sustainability_criterion: String,
    pub parameters: Parameters,
    /// Production's watermark delay, beside the prototype's.
    pub production_out_of_orderness_ms: f64,
    pub validation: Checks,
    pub native: Native,
    pub scale: Scale,
    pub fault: Fault,
    pub targets: Vec<Target>,
    pub findings: Vec<String>,
    pub figures: Figures,
}

/// The report's charts, relative to the chapter.
#[derive(Debug, Serialize)]
pub struct Figures {
    pub latency: String,
    pub heat_map: String,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu_model: String,
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
    /// The offered rate the strategies are compared at.
    pub at_rate: f64,
    pub checks: Vec<Check>,
    /// Whether the prototype replayed the key distribution now in `data/keys`.
    pub keys_match_inputs: bool,
    pub ranking_agrees: bool,
    /// Whether the keyed target utilization leaves more headroom than the largest error.
    pub headroom_covers_error: bool,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub strategy: &'static str,
    pub hottest_share: f64,
    pub predicted_sustainable: f64,
    pub measured_sustainable: f64,
    pub error: f64,
    pub sustained_at_rate: bool,
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
    pub duplicate_rows: f64,
    pub lost_events: f64,
    pub lossy_on_failure_rate: f64,
    pub recovery_wall_s: f64,
}

#[derive(Debug, Serialize)]
pub struct Target {
    pub name: String,
    pub target: f64,
    pub measured: f64,
    pub met: bool,
}

/// A field of the report by its path (a list's items by their index), or an
/// error naming the path.
fn field<'v>(v: &'v Value, path: &[&str]) -> Result<&'v Value> {
    let mut node = v;
    for key in path {
        let next = match node {
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => node.get(key),
        };
        node = next.ok_or_else(|| missing(path, "to be present"))?;
    }
    Ok(node)
}

fn len(v: &Value, path: &[&str]) -> Result<usize> {
    field(v, path)?
        .as_array()
        .map(Vec::len)
        .ok_or_else(|| missing(path, "to be a list"))
}

fn missing(path: &[&str], what: &str) -> crate::error::Error {
    InputError::new(Path::new(REPORT), format!("expected the field {what}"))
        .in_field(path.join("."))
        .into()
}

fn num(v: &Value, path: &[&str]) -> Result<f64> {
    field(v, path)?
        .as_f64()
        .ok_or_else(|| missing(path, "to be a number"))
}

fn whole(v: &Value, path: &[&str]) -> Result<u64> {
    field(v, path)?
        .as_u64()
        .ok_or_else(|| missing(path, "to be a whole number"))
}

fn text(v: &Value, path: &[&str]) -> Result<String> {
    field(v, path)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| missing(path, "to be a string"))
}

fn flag(v: &Value, path: &[&str]) -> Result<bool> {
    field(v, path)?
        .as_bool()
        .ok_or_else(|| missing(path, "to be true or false"))
}

/// The fault-injection run at `run` (a path from the report's root).
fn fault_run(r: &Value, run: &[&str]) -> Result<FaultRun> {
    let at = |name: &'static str| [run, &[name]].concat();
    Ok(FaultRun {
        table_equal: flag(r, &at("table_equal"))?,
        duplicate_rows: num(r, &at("duplicate_rows"))?,
        lost_events: num(r, &at("lost_events"))?,
        lossy_on_failure_rate: num(r, &at("lossy_on_failure_rate"))?,
        recovery_wall_s: num(r, &at("recovery_wall_s"))?,
    })
}

/// The benchmark's view from the report `r`, the model's `validation` of it and
/// the architecture it emulates.
pub fn build(
    r: &Value,
    validation: &Validation,
    arch: &Architecture,
    figures: Figures,
) -> Result<Bench> {
    let cores = whole(r, &["machine", "cores"])?;
    let exactly_once = field(r, &["fault", "exactly_once"])?
        .as_object()
        .ok_or_else(|| missing(&["fault", "exactly_once"], "to map strategies to runs"))?
        .keys()
        .map(|name| {
            Ok(ExactlyOnceRun {
                strategy: name.clone(),
                run: fault_run(r, &["fault", "exactly_once", name])?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Bench {
        machine: Machine {
            cpu_model: text(r, &["machine", "cpu_model"])?,
            cores,
            cores_in_words: words::counted(cores, "core", "cores"),
        },
        command: text(r, &["command"])?,
        git_revision: field(r, &["git_revision"])?.as_str().map(str::to_owned),
        mode: text(r, &["mode"])?,
        wall_time_s: num(r, &["wall_time_s"])?,
        sustainability_criterion: text(r, &["sustainability_criterion"])?,
        parameters: Parameters {
            service_time_us: num(r, &["parameters", "service_time_us"])?,
            tail_customers: num(r, &["parameters", "tail_customers"])?,
            tail_zipf_exponent: num(r, &["parameters", "tail_zipf_exponent"])?,
            out_of_orderness_ms: num(r, &["parameters", "out_of_orderness_ms"])?,
            late_fraction: num(r, &["parameters", "late_fraction"])?,
        },
        production_out_of_orderness_ms: arch.flink.watermark_out_of_orderness_ms,
        validation: Checks {
            parallelism: validation.parallelism,
            max_parallelism: validation.max_parallelism,
            capacity_per_s: validation.capacity_per_s,
            at_rate: validation.checks.first().map_or(0.0, |c| c.at_rate),
            checks: validation
                .checks
                .iter()
                .map(|c| Check {
                    strategy: words::strategy_name(c.strategy),
                    hottest_share: c.hottest_share,
                    predicted_sustainable: c.predicted_sustainable,
                    measured_sustainable: c.measured_sustainable,
                    error: c.error,
                    sustained_at_rate: c.sustained_at_rate,
                    p50_ms: c.p50_ms,
                    p99_ms: c.p99_ms,
                    p999_ms: c.p999_ms,
                    predicted_hottest_busy: c.predicted_hottest_busy,
                    measured_hottest_busy: c.measured_hottest_busy,
                })
                .collect(),
            keys_match_inputs: validation.keys_match_inputs,
            ranking_agrees: validation.ranking_agrees,
            headroom_covers_error: validation.headroom_covers_error,
        },
        native: Native {
            rocksdb_operator_events_per_cpu_s: num(
                r,
                &["native", "rocksdb", "operator_events_per_cpu_s"],
            )?,
            heap_operator_events_per_cpu_s: num(
                r,
                &["native", "heap", "operator_events_per_cpu_s"],
            )?,
        },
        scale: Scale {
            rate_in_short: words::compact(num(r, &["scale", "point", "offered_rate"])?),
            parallelism: whole(r, &["scale", "parallelism"])?,
            max_parallelism: whole(r, &["scale", "max_parallelism"])?,
            strategy: text(r, &["scale", "strategy"])?,
            offered_rate: num(r, &["scale", "point", "offered_rate"])?,
            achieved_rate: num(r, &["scale", "point", "achieved_rate"])?,
            sustained: flag(r, &["scale", "point", "sustained"])?,
            latency_p99_ms: num(r, &["scale", "point", "latency_p99_ms"])?,
        },
        fault: Fault {
            parallelism: whole(r, &["fault", "parallelism"])?,
            events: num(r, &["fault", "events"])?,
            rate: num(r, &["fault", "rate"])?,
            kill_at_offset: num(r, &["fault", "kill_at_offset"])?,
            checkpoint_interval_ms: num(r, &["fault", "checkpoint_interval_ms"])?,
            exactly_once,
            at_least_once: fault_run(r, &["fault", "at_least_once"])?,
            no_checkpoints: fault_run(r, &["fault", "no_checkpoints"])?,
        },
        targets: (0..len(r, &["targets"])?)
            .map(|i| {
                let i = i.to_string();
                Ok(Target {
                    name: text(r, &["targets", &i, "name"])?,
                    target: num(r, &["targets", &i, "target"])?,
                    measured: num(r, &["targets", &i, "measured"])?,
                    met: flag(r, &["targets", &i, "met"])?,
                })
            })
            .collect::<Result<_>>()?,
        findings: (0..len(r, &["findings"])?)
            .map(|i| text(r, &["findings", &i.to_string()]))
            .collect::<Result<_>>()?,
        figures,
    })
}
