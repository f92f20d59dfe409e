//! `data/provenance.toml`: whether `data/` holds a company's exports or the
//! synthetic sample `specgen synth` writes. Documents built from a sample say
//! so on every page; without the file, `data/` is taken to be real exports.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::toml_file;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// True when the metrics, keys and forecast were generated, not exported.
    pub synthetic: bool,
    /// The command that wrote them, e.g. `specgen synth --seed 1`.
    pub written_by: String,
}

pub fn load(path: &Path) -> Result<Option<Provenance>, InputError> {
    if !path.exists() {
        return Ok(None);
    }
    let file = toml_file::read::<Provenance>(path)?;
    if file.value.synthetic && file.value.written_by.trim().is_empty() {
        return Err(file.error(
            path,
            "",
            0,
            "written_by",
            "written_by".into(),
            "expected the command that wrote the synthetic sample, found nothing",
        ));
    }
    Ok(Some(file.value))
}
