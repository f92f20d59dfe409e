//! Loading and validating everything under `data/`.
//!
//! Each file is parsed into typed records and checked before the model sees
//! it; the first problem stops the build with an error naming file, line and field.

pub mod architecture;
pub mod assumptions;
pub mod bench;
pub mod forecast;
pub mod keys;
pub mod metrics;
mod table;
mod toml_file;

use std::path::Path;

pub use architecture::Architecture;
pub use assumptions::Assumptions;
pub use forecast::{Forecast, Scenario};
pub use keys::KeyDistribution;
pub use metrics::Metrics;

use crate::error::InputError;

/// Everything the model reads.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub architecture: Architecture,
    pub assumptions: Assumptions,
    pub forecast: Forecast,
    pub keys: KeyDistribution,
    pub metrics: Metrics,
    /// The committed benchmark results, if any.
    pub bench: Option<bench::BenchResults>,
}

pub fn load(data_dir: &Path) -> Result<Inputs, InputError> {
    let architecture = architecture::load(&data_dir.join("architecture.toml"))?;
    Ok(Inputs {
        metrics: metrics::load(&data_dir.join("metrics"), &architecture)?,
        bench: bench::load(&data_dir.join("bench/results.json"))?,
        keys: keys::load(&data_dir.join("keys"))?,
        architecture,
        assumptions: assumptions::load(&data_dir.join("assumptions.toml"))?,
        forecast: forecast::load(
            &data_dir.join("forecast.csv"),
            &data_dir.join("onboardings.csv"),
        )?,
    })
}
