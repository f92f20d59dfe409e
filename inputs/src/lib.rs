//! `pipeline-inputs`: the one reader of `data/`.
//!
//! Every file under `data/` is parsed here into typed records and checked
//! before anyone computes with it; the first problem stops with an
//! [`InputError`] naming the file, the line, the field and what was expected.
//! The spec generator and the prototype both read `data/` through this crate
//! and through nothing else, so the two can never disagree on what the data
//! says. The crate knows nothing about the model, templates or benchmarks:
//! it loads, validates and derives the few figures both sides need (the
//! pooled service time, the key distribution's per-customer shares).

pub mod architecture;
pub mod assumptions;
pub mod bench;
pub mod bench_plan;
pub mod effort;
pub mod engine_bench;
pub mod error;
mod file;
pub mod forecast;
pub mod keys;
pub mod metrics;
pub mod provenance;
pub mod scenarios;
mod table;
mod toml_file;

use std::path::Path;
use std::sync::Arc;

pub use architecture::Architecture;
pub use assumptions::Assumptions;
pub use bench::BenchReport;
pub use effort::Effort;
pub use error::InputError;
pub use forecast::{Forecast, Scenario};
pub use keys::KeyDistribution;
pub use metrics::Metrics;
pub use provenance::Provenance;
pub use scenarios::Scenarios;

/// The production facts: everything in `data/` but the benchmark's files.
#[derive(Debug, Clone)]
pub struct Production {
    pub architecture: Architecture,
    pub assumptions: Assumptions,
    pub forecast: Forecast,
    pub keys: KeyDistribution,
    /// Shared: the largest input by far, which a rerun with changed
    /// assumptions reads but never changes.
    pub metrics: Arc<Metrics>,
    /// Whether `data/` is the synthetic sample (`provenance.toml`).
    pub provenance: Option<Provenance>,
}

/// Everything the model reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub architecture: Architecture,
    pub assumptions: Assumptions,
    pub forecast: Forecast,
    pub keys: KeyDistribution,
    /// Shared: the largest input by far, which a rerun with changed
    /// assumptions reads but never changes.
    pub metrics: Arc<Metrics>,
    /// Whether `data/` is the synthetic sample (`provenance.toml`).
    pub provenance: Option<Provenance>,
    /// The benchmark's scenarios (`data/bench/scenarios.toml`), when present.
    pub scenarios: Option<Scenarios>,
    /// The committed benchmark results, if any.
    pub bench: Option<BenchReport>,
    /// The committed real-engine results, if any: the Flink 1.18 job's
    /// (`bench/flink-results.json`) and the ClickHouse experiment's
    /// (`bench/clickhouse-results.json`).
    pub flink: Option<engine_bench::FlinkResults>,
    pub clickhouse: Option<engine_bench::ClickHouseResults>,
    /// The people time each change of the plan takes (`effort.toml`).
    pub effort: Effort,
}

impl Inputs {
    /// The command that wrote `data/` when it is the synthetic sample.
    pub fn sample_written_by(&self) -> Option<&str> {
        self.provenance
            .as_ref()
            .filter(|p| p.synthetic)
            .map(|p| p.written_by.as_str())
    }
}

/// Loads the production facts under `data_dir`.
pub fn load_production(data_dir: &Path) -> Result<Production, InputError> {
    if !data_dir.is_dir() {
        return Err(InputError::new(
            data_dir,
            "expected the directory of inputs (architecture.toml, assumptions.toml, forecast.csv, keys/, metrics/, ...), found none: is this the project's root?",
        ));
    }
    // The small files first: a mistake in one is reported before 20 MB of
    // metrics are parsed.
    let architecture = architecture::load(&data_dir.join("architecture.toml"))?;
    let assumptions = assumptions::load(&data_dir.join("assumptions.toml"))?;
    let forecast = forecast::load(
        &data_dir.join("forecast.csv"),
        &data_dir.join("onboardings.csv"),
    )?;
    let keys = keys::load(&data_dir.join("keys"))?;
    let provenance = provenance::load(&data_dir.join("provenance.toml"))?;
    let production = Production {
        provenance,
        metrics: Arc::new(metrics::load(&data_dir.join("metrics"), &architecture)?),
        keys,
        architecture,
        assumptions,
        forecast,
    };
    check_merge_safe(&production, &data_dir.join("assumptions.toml"))?;
    Ok(production)
}

/// The merge-safe insert rate is read off the metrics at a parts level from
/// the assumptions: a level (or the low end of its range) that production
/// exceeded even at its lowest insert rate leaves no rate merge-safe, and
/// every shard count would be infinite. That is a wrong input, said here.
fn check_merge_safe(p: &Production, path: &Path) -> Result<(), InputError> {
    let a = &p.assumptions.clickhouse.merge_safe_max_parts;
    for (field, level) in [("value", Some(a.value)), ("low", a.low)] {
        let Some(level) = level else { continue };
        let rate = p.metrics.merge_safe_rate(level);
        if rate.rows_per_s_per_shard <= 0.0 {
            return Err(assumptions::error_at(
                path,
                "clickhouse.merge_safe_max_parts",
                field,
                format!(
                    "expected a parts level production stayed under at some insert rate; at {level} none is merge-safe: even in the lowest insert-rate bin of metrics/clickhouse_shards.csv the p99 of max_parts_in_partition is {}",
                    rate.parts_at_lowest_rate
                ),
            ));
        }
    }
    Ok(())
}

/// Loads the benchmark's scenarios, which take some facts from production.
pub fn load_scenarios(path: &Path, production: &Production) -> Result<Scenarios, InputError> {
    scenarios::load(path, &production.architecture, &production.assumptions)
}

/// Loads everything under `data_dir`.
pub fn load(data_dir: &Path) -> Result<Inputs, InputError> {
    let production = load_production(data_dir)?;
    let effort = effort::load(&data_dir.join("effort.toml"))?;
    let bench = bench::load(&data_dir.join("bench/results.json"))?;
    let flink = engine_bench::load(&data_dir.join("bench/flink-results.json"))?;
    let clickhouse =
        engine_bench::load_clickhouse(&data_dir.join("bench/clickhouse-results.json"))?;
    let scenarios_path = data_dir.join("bench/scenarios.toml");
    // Results are only read beside the scenarios they ran, to tell when they are stale.
    let scenarios = if bench.is_some() || flink.is_some() || scenarios_path.exists() {
        Some(load_scenarios(&scenarios_path, &production)?)
    } else {
        None
    };
    let Production {
        architecture,
        assumptions,
        forecast,
        keys,
        metrics,
        provenance,
    } = production;
    Ok(Inputs {
        provenance,
        architecture,
        assumptions,
        forecast,
        keys,
        metrics,
        scenarios,
        bench,
        flink,
        clickhouse,
        effort,
    })
}
