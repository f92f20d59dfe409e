//! `data/effort.toml`: the people time each change of the plan takes, in
//! engineer-weeks, and who estimated it. The plan decides which changes it
//! needs and when; this file only says what each costs in people.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::InputError;
use crate::toml_file;

/// The changes a plan can ask for, by the id `effort.toml` lists them under.
pub const CHANGES: &[&str] = &[
    "key_switch",
    "idempotent_sink",
    "max_parallelism",
    "partition_increase",
    "insert_batching",
    "capacity_add",
    "game_day",
];

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct File {
    change: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// One of [`CHANGES`].
    pub id: String,
    /// What the change is, short, as the readout lists it.
    pub name: String,
    /// Engineer-weeks, each time the plan makes the change.
    pub engineer_weeks: f64,
    /// Who estimated it: a role or a team.
    pub estimated_by: String,
}

/// Every change's estimate, one per id of [`CHANGES`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effort {
    pub changes: Vec<Change>,
}

impl Effort {
    pub fn of(&self, id: &str) -> &Change {
        self.changes
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("effort.toml was checked to list `{id}`"))
    }
}

/// The most engineer-weeks one change may be estimated at: a change larger
/// than two years of one engineer is a project of its own, not a line here.
const MAX_WEEKS: f64 = 104.0;

pub fn load(path: &Path) -> Result<Effort, InputError> {
    let file = toml_file::read::<File>(path)?;
    let mut seen = BTreeSet::new();
    for (i, c) in file.value.change.iter().enumerate() {
        let at = |key: &str, message: String| {
            file.error(
                path,
                "[[change]]",
                i,
                key,
                format!("change[{i}].{key}"),
                message,
            )
        };
        if !CHANGES.contains(&c.id.as_str()) {
            return Err(at(
                "id",
                format!(
                    "expected one of the plan's changes ({}), found `{}`",
                    CHANGES.join(", "),
                    c.id
                ),
            ));
        }
        if !seen.insert(c.id.clone()) {
            return Err(at("id", format!("`{}` is estimated twice", c.id)));
        }
        if !(c.engineer_weeks.is_finite()
            && c.engineer_weeks >= 0.0
            && c.engineer_weeks <= MAX_WEEKS)
        {
            return Err(at(
                "engineer_weeks",
                format!(
                    "expected engineer-weeks between 0 and {MAX_WEEKS}, found {}",
                    c.engineer_weeks
                ),
            ));
        }
        for (key, text) in [("name", &c.name), ("estimated_by", &c.estimated_by)] {
            if text.trim().is_empty() {
                return Err(at(key, "expected text, found nothing".to_owned()));
            }
        }
    }
    if let Some(missing) = CHANGES.iter().find(|id| !seen.contains(**id)) {
        return Err(InputError::new(
            path,
            format!(
                "no estimate for `{missing}`: every change the plan can ask for needs one ({})",
                CHANGES.join(", ")
            ),
        )
        .in_field("change.id"));
    }
    Ok(Effort {
        changes: file.value.change,
    })
}
