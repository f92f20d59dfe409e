//! `data/assumptions.toml`: every constant the model uses, each with its unit and source.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::toml_file;
use crate::error::InputError;

/// One named constant. The model reads `value`; the spec prints all three.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    pub value: f64,
    pub unit: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    pub plan: Plan,
    pub kafka: KafkaAssumptions,
    pub clickhouse: ClickHouseAssumptions,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The date printed on the documents (`YYYY-MM-DD`); fixed so output is reproducible.
    pub document_date: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaAssumptions {
    /// `p` in `partitions >= max(T/p, T/c)`.
    pub partition_produce_mb_per_s: Assumption,
    /// `c` in `partitions >= max(T/p, T/c)`: what one consumer (a source subtask) reads.
    pub consumer_events_per_s: Assumption,
    /// Fraction of `p` and `c` the plan lets a partition use at peak.
    pub target_utilization: Assumption,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClickHouseAssumptions {
    /// MergeTree setting: inserts are delayed above this many active parts in a partition.
    pub parts_to_delay_insert: Assumption,
}

/// An assumption with its dotted name, as listed in the spec and the spreadsheet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedAssumption {
    pub name: String,
    #[serde(flatten)]
    pub assumption: Assumption,
}

impl Assumptions {
    /// All assumptions, sorted by dotted name.
    pub fn list(&self) -> Vec<NamedAssumption> {
        let value = serde_json::to_value(self).expect("assumptions serialize");
        let mut out = Vec::new();
        collect(&value, String::new(), &mut out);
        out
    }
}

fn collect(value: &serde_json::Value, prefix: String, out: &mut Vec<NamedAssumption>) {
    let Some(map) = value.as_object() else { return };
    if map.contains_key("value") && map.contains_key("source") {
        if let Ok(assumption) = serde_json::from_value::<Assumption>(value.clone()) {
            out.push(NamedAssumption {
                name: prefix,
                assumption,
            });
        }
        return;
    }
    for (key, child) in map {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        collect(child, name, out);
    }
}

pub fn load(path: &Path) -> Result<Assumptions, InputError> {
    let file = toml_file::read::<Assumptions>(path)?;
    for named in file.value.list() {
        let (table, key) = named.name.rsplit_once('.').unwrap_or(("", &named.name));
        let header = format!("[{table}.{key}]");
        let v = named.assumption.value;
        let err = |msg: String| file.error(path, &header, 0, "value", named.name.clone(), msg);
        if !v.is_finite() || v <= 0.0 {
            return Err(err(format!("expected a finite number > 0, found {v}")));
        }
        if named.assumption.unit == "ratio" && named.name.ends_with("utilization") && v > 1.0 {
            return Err(err(format!(
                "a utilization is a ratio in (0, 1], found {v}"
            )));
        }
        if named.assumption.source.trim().is_empty() {
            let e = file.error(
                path,
                &header,
                0,
                "source",
                named.name.clone(),
                "every assumption needs a source",
            );
            return Err(e);
        }
    }
    let plan = &file.value.plan;
    if parse_date(&plan.document_date).is_none() {
        return Err(file.error(
            path,
            "[plan]",
            0,
            "document_date",
            "plan.document_date".into(),
            format!("expected YYYY-MM-DD, found `{}`", plan.document_date),
        ));
    }
    Ok(file.value)
}

/// `YYYY-MM` as (year, month).
pub fn parse_month(s: &str) -> Option<(i32, u8)> {
    let (y, m) = s.split_once('-')?;
    let (y, m) = (y.parse().ok()?, m.parse().ok()?);
    (y > 1900 && (1..=12).contains(&m) && s.len() == 7).then_some((y, m))
}

/// `YYYY-MM-DD` as (year, month, day).
pub fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    let (ym, d) = s.rsplit_once('-')?;
    let (y, m) = parse_month(ym)?;
    let d: u8 = d.parse().ok()?;
    ((1..=31).contains(&d) && s.len() == 10).then_some((y, m, d))
}
