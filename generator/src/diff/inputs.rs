//! The inputs that changed between a revision and the working tree: the cause
//! beside the effect.
//!
//! `data/` at the base revision is read out of git's objects into a scratch
//! directory and loaded with the same `pipeline-inputs` loaders as the working
//! tree's, so the comparison is of typed values (an assumption's value, unit
//! and source; a forecast row; an onboarding; the metrics' summaries), not of
//! text. When the base's inputs do not load with today's loaders (an older
//! schema), the report says so and still lists the files that changed.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::git::{self, Repo};
use crate::error::{Error, Result};
use crate::inputs::{self, Production};
use crate::render::figure_list::number;

const DATA: &str = "data";

#[derive(Debug, Default, Serialize)]
pub struct InputChanges {
    /// Files under `data/` added, removed or changed.
    pub files: Vec<FileChange>,
    pub assumptions: Vec<AssumptionChange>,
    pub forecast: Vec<ValueChange>,
    pub onboardings: Vec<ValueChange>,
    pub metrics: Vec<ValueChange>,
    /// Why the typed comparison could not be made, when it could not.
    pub not_compared: Option<String>,
}

impl InputChanges {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[derive(Debug, Serialize)]
pub struct FileChange {
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct AssumptionChange {
    pub name: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub unit: String,
    /// The source as it now reads (as it read, when the assumption was removed).
    pub source: String,
    pub source_changed: bool,
}

/// One named value that changed, as text (`-` when absent on one side).
#[derive(Debug, Serialize)]
pub struct ValueChange {
    pub name: String,
    pub old: String,
    pub new: String,
}

pub fn compare(repo: &Repo, root: &Path, base: &str) -> Result<InputChanges> {
    let mut changes = InputChanges::default();
    let before = repo.files(base, DATA)?;
    let now = git::working_files(root, DATA)?;
    let mut base_bytes = BTreeMap::new();
    for path in &before {
        if let Some(bytes) = repo.show(base, path)? {
            base_bytes.insert(path.clone(), bytes);
        }
    }
    for path in &now {
        let bytes = std::fs::read(root.join(path)).map_err(|e| Error::io(&root.join(path), e))?;
        match base_bytes.get(path) {
            None => changes.files.push(FileChange {
                path: path.clone(),
                status: "added",
            }),
            Some(old) if *old != bytes => changes.files.push(FileChange {
                path: path.clone(),
                status: "changed",
            }),
            Some(_) => {}
        }
    }
    for path in base_bytes.keys() {
        if !now.contains(path) {
            changes.files.push(FileChange {
                path: path.clone(),
                status: "removed",
            });
        }
    }
    changes.files.sort_by(|a, b| a.path.cmp(&b.path));
    if changes.files.is_empty() {
        return Ok(changes);
    }

    let scratch =
        tempfile::tempdir().map_err(|e| Error::Diff(format!("scratch directory: {e}")))?;
    for (path, bytes) in &base_bytes {
        let target = scratch.path().join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&target, bytes).map_err(|e| Error::io(&target, e))?;
    }
    let old = inputs::load_production(&scratch.path().join(DATA));
    let new = inputs::load_production(&root.join(DATA));
    match (old, new) {
        (Ok(old), Ok(new)) => {
            changes.assumptions = assumptions(&old, &new);
            changes.forecast = forecast(&old, &new);
            changes.onboardings = onboardings(&old, &new);
            changes.metrics = values(&metrics_summary(&old), &metrics_summary(&new));
        }
        (Err(mut e), _) => {
            // Name the file as it is in the repository, not in the scratch copy,
            // so the same revisions always give the same report.
            if let Ok(rel) = e.file.strip_prefix(scratch.path()) {
                e.file = rel.to_path_buf();
            }
            changes.not_compared = Some(format!("the base's inputs do not load: {e}"));
        }
        (_, Err(e)) => {
            changes.not_compared = Some(format!("the working tree's inputs do not load: {e}"));
        }
    }
    Ok(changes)
}

fn assumptions(old: &Production, new: &Production) -> Vec<AssumptionChange> {
    let by_name = |p: &Production| -> BTreeMap<String, inputs::assumptions::Assumption> {
        p.assumptions
            .list()
            .into_iter()
            .map(|n| (n.name, n.assumption))
            .collect()
    };
    let (old, new) = (by_name(old), by_name(new));
    let show = |a: &inputs::assumptions::Assumption| {
        let mut s = number(a.value);
        if let (Some(low), Some(high)) = (a.low, a.high) {
            s.push_str(&format!(" ({}–{})", number(low), number(high)));
        }
        s
    };
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let (o, n) = (old.get(name), new.get(name));
            if o == n {
                return None;
            }
            let current = n.or(o).expect("on one side");
            Some(AssumptionChange {
                name: name.clone(),
                old: o.map(show),
                new: n.map(show),
                unit: current.unit.clone(),
                source: current.source.clone(),
                source_changed: matches!((o, n), (Some(o), Some(n)) if o.source != n.source),
            })
        })
        .collect()
}

fn forecast(old: &Production, new: &Production) -> Vec<ValueChange> {
    let rows = |p: &Production| -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for r in &p.forecast.rows {
            let key = format!("month {:02} {}", r.month, r.scenario.name());
            out.insert(format!("{key}: label"), r.label.clone());
            out.insert(format!("{key}: customers"), number(r.customers));
            out.insert(
                format!("{key}: events per customer per s"),
                number(r.events_per_customer_per_s),
            );
        }
        out
    };
    values(&rows(old), &rows(new))
}

fn onboardings(old: &Production, new: &Production) -> Vec<ValueChange> {
    let rows = |p: &Production| -> BTreeMap<String, String> {
        p.forecast
            .onboardings
            .iter()
            .map(|o| {
                (
                    o.customer.clone(),
                    format!(
                        "from month {}, {} events/s, scenarios {}",
                        o.first_month,
                        number(o.events_per_s),
                        o.scenarios
                    ),
                )
            })
            .collect()
    };
    values(&rows(old), &rows(new))
}

/// What the four weeks of metrics say, in a few figures: their span, each
/// topic's mean and peak, each operator's pooled service time, the shards'
/// insert rate and parts.
fn metrics_summary(p: &Production) -> BTreeMap<String, String> {
    let m = &p.metrics;
    let mut out = BTreeMap::new();
    out.insert("samples".into(), m.timestamps.len().to_string());
    if let (Some(first), Some(last)) = (m.timestamps.first(), m.timestamps.last()) {
        out.insert("first sample (unix s)".into(), first.to_string());
        out.insert("last sample (unix s)".into(), last.to_string());
    }
    let mut topics: BTreeMap<&str, (f64, f64, usize)> = BTreeMap::new();
    for s in &m.topics {
        let t = topics.entry(&s.topic).or_insert((0.0, 0.0, 0));
        t.0 += s.events_per_s;
        t.1 = t.1.max(s.events_per_s);
        t.2 += 1;
    }
    for (topic, (sum, peak, n)) in topics {
        out.insert(
            format!("topic {topic}: mean events/s"),
            number(sum / n as f64),
        );
        out.insert(format!("topic {topic}: peak events/s"), number(peak));
    }
    let mut operators: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for s in &m.subtasks {
        let o = operators.entry(&s.operator).or_insert((0.0, 0.0));
        o.0 += s.records_in_per_s;
        o.1 += s.busy_ms_per_s / 1000.0;
    }
    for (op, (records, busy_s)) in operators {
        if records > 0.0 {
            out.insert(
                format!("operator {op}: pooled service time µs"),
                number(busy_s / records * 1e6),
            );
        }
    }
    let rows: f64 = m.shards.iter().map(|s| s.rows_per_s).sum();
    let peak_parts = m.shards.iter().map(|s| s.active_parts).fold(0.0, f64::max);
    if !m.timestamps.is_empty() {
        out.insert(
            "shards: mean rows/s".into(),
            number(rows / m.timestamps.len() as f64),
        );
    }
    out.insert("shards: peak active parts".into(), number(peak_parts));
    out
}

/// The names whose value differs, absent on one side shown as `-`.
fn values(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<ValueChange> {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| old.get(*n) != new.get(*n))
        .map(|n| ValueChange {
            name: n.clone(),
            old: old.get(n).cloned().unwrap_or_else(|| "-".into()),
            new: new.get(n).cloned().unwrap_or_else(|| "-".into()),
        })
        .collect()
}
