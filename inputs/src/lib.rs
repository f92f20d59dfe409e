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
pub mod engine_bench;
pub mod error;
mod file;
pub mod forecast;
pub mod keys;
pub mod metrics;
pub mod scenarios;
mod table;
mod toml_file;

use std::path::Path;

pub use architecture::Architecture;
pub use assumptions::Assumptions;
pub use bench::BenchReport;
pub use error::InputError;
pub use forecast::{Forecast, Scenario};
pub use keys::KeyDistribution;
pub use metrics::Metrics;
pub use scenarios::Scenarios;

/// The production facts: everything in `data/` but the benchmark's files.
#[derive(Debug, Clone)]
pub struct Production {
    pub architecture: Architecture,
    pub assumptions: Assumptions,
    pub forecast: Forecast,
    pub keys: KeyDistribution,
    pub metrics: Metrics,
}

/// Everything the model reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub architecture: Architecture,
    pub assumptions: Assumptions,
    pub forecast: Forecast,
    pub keys: KeyDistribution,
    pub metrics: Metrics,
    /// The benchmark's scenarios (`data/bench/scenarios.toml`), when present.
    pub scenarios: Option<Scenarios>,
    /// The committed benchmark results, if any.
    pub bench: Option<BenchReport>,
}

/// Loads the production facts under `data_dir`.
pub fn load_production(data_dir: &Path) -> Result<Production, InputError> {
    if !data_dir.is_dir() {
        return Err(InputError::new(
            data_dir,
            "expected the directory of inputs (architecture.toml, assumptions.toml, forecast.csv, keys/, metrics/, ...), found none: is this the project's root?",
        ));
    }
    let architecture = architecture::load(&data_dir.join("architecture.toml"))?;
    Ok(Production {
        metrics: metrics::load(&data_dir.join("metrics"), &architecture)?,
        keys: keys::load(&data_dir.join("keys"))?,
        architecture,
        assumptions: assumptions::load(&data_dir.join("assumptions.toml"))?,
        forecast: forecast::load(
            &data_dir.join("forecast.csv"),
            &data_dir.join("onboardings.csv"),
        )?,
    })
}

/// Loads the benchmark's scenarios, which take some facts from production.
pub fn load_scenarios(path: &Path, production: &Production) -> Result<Scenarios, InputError> {
    scenarios::load(path, &production.architecture, &production.assumptions)
}

/// Loads everything under `data_dir`.
pub fn load(data_dir: &Path) -> Result<Inputs, InputError> {
    let production = load_production(data_dir)?;
    let bench = bench::load(&data_dir.join("bench/results.json"))?;
    let scenarios_path = data_dir.join("bench/scenarios.toml");
    // Results are only read beside the scenarios they ran, to tell when they are stale.
    let scenarios = if bench.is_some() || scenarios_path.exists() {
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
    } = production;
    Ok(Inputs {
        architecture,
        assumptions,
        forecast,
        keys,
        metrics,
        scenarios,
        bench,
    })
}
