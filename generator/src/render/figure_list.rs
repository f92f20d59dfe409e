//! `spec/figures.tsv`: every figure and verdict the documents print, one per
//! line, under a stable id, so that `git diff` of a pull request and
//! `specgen diff` name what moved.
//!
//! The list is derived from the serialized [`View`]: the view is exactly what
//! the templates print, so walking it finds every figure without a second
//! list to keep in step. Each leaf becomes a line:
//!
//! - numbers (and counts the view carries as words, "56", "—") are figures;
//! - booleans are verdicts (feasible, sustained, the budget holds, ...), and
//!   so are the few words listed in [`VERDICT_WORDS`] (the strategy chosen,
//!   the month today's footprint falls short);
//! - other strings (names, prose, chart paths) are not figures and are left out.
//!
//! Rows of lists are keyed by what names them (a month label, a strategy, an
//! assumption, a topic), never by their position, so a row inserted above
//! does not rename the rows below it. Numbers are written to six significant
//! digits: enough for every figure the documents print, and float noise in the
//! last bits does not show as a change.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::view::View;

/// Where the file lives, relative to `spec/`.
pub const FILE: &str = "figures.tsv";

const HEADER: &str = "id\tmonth\tscenario\tkind\tvalue\tunit\tchapter";

/// One printed figure or verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Dotted path in the view, list rows as `[key]`: `sizing.cost[2027-03].total`.
    pub id: String,
    /// The month (`YYYY-MM`) or quarter (`YYYY-Qn`) of its row, or `-`.
    pub month: String,
    /// `low`, `base` or `high` when the field names a scenario, or `-`.
    pub scenario: String,
    pub kind: Kind,
    /// The value as written: a number, `true`/`false`, or a word.
    pub value: String,
    /// The unit read off the field's name or its row's `unit`, or `-`.
    pub unit: String,
    /// The chapter that prints it (file stem under `spec/src/`).
    pub chapter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Figure,
    Verdict,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Figure => "figure",
            Kind::Verdict => "verdict",
        }
    }
}

/// Which chapter prints each section of the view, in the book's order.
/// A section printed in several chapters is listed under the one that
/// explains it; `document` and `figures` (dates and chart paths) carry no figure.
pub const CHAPTERS: &[(&str, &str)] = &[
    ("chosen", "summary"),
    ("first", "summary"),
    ("last", "summary"),
    ("reasons", "summary"),
    ("today", "architecture"),
    ("metrics", "workload"),
    ("workload", "workload"),
    ("growth", "growth"),
    ("capacity", "model"),
    ("sizing", "sizing"),
    ("partitioning", "partitioning"),
    ("latency", "latency"),
    ("slo", "slo"),
    ("fault", "fault-tolerance"),
    ("operations", "operations"),
    ("bench", "benchmark"),
    ("rollout", "rollout"),
];

/// Words that are verdicts, by id with `*` for a list row's key.
pub const VERDICT_WORDS: &[&str] = &[
    "chosen.name",
    "rollout.doing_nothing_fails",
    "reasons.stops_fitting[*].month",
    "fault.*.relaxed",
    "fault.failures[*].relaxed",
];

/// Numbers that are verdicts: the month a strategy stops fitting.
const VERDICT_NUMBERS: &[&str] = &["partitioning.strategies[*].first_infeasible_month"];

/// Fields that name a list's row, in the order they are joined into its key.
const ROW_KEYS: &[&str] = &[
    "name",
    "assumption",
    "strategy",
    "topic",
    "table",
    "resource",
    "owner",
    "severity",
    "day",
    "subtask",
    "customer_id",
];

/// The field that names a row's month or quarter; it also keys the row.
const MONTH_KEY: &str = "label";

/// Units by the ending of a field's name, first match wins.
const UNIT_SUFFIXES: &[(&str, &str)] = &[
    ("_mb_per_s", "MB/s"),
    ("_per_cpu_s", "/CPU-s"),
    ("_per_s_per_shard", "/s per shard"),
    ("_per_s", "/s"),
    ("_ms", "ms"),
    ("_us", "µs"),
    ("_min", "min"),
    ("_minutes", "min"),
    ("_h", "h"),
    ("_hours", "h"),
    ("_days", "days"),
    ("days", "days"),
    ("_s", "s"),
    ("_gb", "GB"),
    ("_mb", "MB"),
    ("_bytes", "bytes"),
    ("share", "ratio"),
    ("_ratio", "ratio"),
    ("_fraction", "ratio"),
    ("utilization", "ratio"),
    ("utilization_after", "ratio"),
    ("_rate", "ratio"),
];

/// Sections whose bare numbers are money per month.
const COST_SECTIONS: &[&str] = &["sizing.cost["];

/// Every figure and verdict of the view, sorted by id.
pub fn from_view(view: &View) -> Vec<Figure> {
    let value = serde_json::to_value(view).expect("the view serializes");
    let mut out = Vec::new();
    if let Value::Object(sections) = &value {
        for (section, chapter) in CHAPTERS {
            if let Some(v) = sections.get(*section) {
                let mut walk = Walk {
                    chapter,
                    out: &mut out,
                };
                walk.node(v, section.to_string(), &Row::default(), section);
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out.dedup_by(|a, b| a.id == b.id);
    out
}

/// What a leaf inherits from the list row (or object) it sits in.
#[derive(Default, Clone)]
struct Row {
    month: Option<String>,
    /// The row's own `unit`, for its `value`, `low`, `high`, `threshold`, `predicted`.
    unit: Option<String>,
    /// Whether the row is one month of a per-month table (scenario columns).
    per_month: bool,
}

struct Walk<'a> {
    chapter: &'a str,
    out: &'a mut Vec<Figure>,
}

impl Walk<'_> {
    fn node(&mut self, v: &Value, id: String, row: &Row, field: &str) {
        match v {
            Value::Object(map) => {
                let mut inner = row.clone();
                if let Some(Value::String(label)) = map.get(MONTH_KEY)
                    && is_month(label)
                {
                    inner.month = Some(label.clone());
                }
                if let Some(Value::String(unit)) = map.get("unit") {
                    inner.unit = Some(unit.clone());
                }
                for (k, child) in map {
                    if k == MONTH_KEY || k == "unit" {
                        continue;
                    }
                    self.node(child, format!("{id}.{k}"), &inner, k);
                }
            }
            Value::Array(items) => {
                let keys = row_keys(items);
                for (item, key) in items.iter().zip(keys) {
                    let mut inner = row.clone();
                    if let Value::Object(map) = item
                        && map
                            .get(MONTH_KEY)
                            .and_then(Value::as_str)
                            .is_some_and(is_month)
                    {
                        inner.per_month = true;
                    }
                    self.node(item, format!("{id}[{key}]"), &inner, field);
                }
            }
            Value::Bool(b) => self.push(&id, row, field, Kind::Verdict, b.to_string()),
            Value::Number(n) => {
                let kind = if matches_any(&id, VERDICT_NUMBERS) {
                    Kind::Verdict
                } else {
                    Kind::Figure
                };
                self.push(&id, row, field, kind, number(n.as_f64().unwrap_or(0.0)));
            }
            Value::String(s) => {
                if matches_any(&id, VERDICT_WORDS) {
                    self.push(&id, row, field, Kind::Verdict, clean(s));
                } else if let Some(n) = count_word(s) {
                    self.push(&id, row, field, Kind::Figure, n);
                }
            }
            Value::Null => {}
        }
    }

    fn push(&mut self, id: &str, row: &Row, field: &str, kind: Kind, value: String) {
        let unit = match kind {
            Kind::Verdict => None,
            Kind::Figure => unit_of(id, field, row),
        };
        self.out.push(Figure {
            id: clean(id),
            month: row.month.clone().unwrap_or_else(|| "-".into()),
            scenario: if row.per_month {
                scenario_of(field)
            } else {
                None
            }
            .unwrap_or("-")
            .to_owned(),
            kind,
            value,
            unit: unit.unwrap_or_else(|| "-".into()),
            chapter: self.chapter.to_owned(),
        });
    }
}

/// The key of each row of a list: its month and naming fields, or its position
/// when nothing names it (or the names repeat).
fn row_keys(items: &[Value]) -> Vec<String> {
    let keys: Vec<String> = items
        .iter()
        .map(|item| {
            let Value::Object(map) = item else {
                return String::new();
            };
            let mut parts = Vec::new();
            if let Some(Value::String(label)) = map.get(MONTH_KEY) {
                parts.push(label.clone());
            }
            for k in ROW_KEYS {
                match map.get(*k) {
                    // A name printed as code carries its backticks.
                    Some(Value::String(s)) => parts.push(s.trim_matches('`').to_owned()),
                    Some(Value::Number(n)) => parts.push(n.to_string()),
                    _ => {}
                }
            }
            parts.join("/")
        })
        .collect();
    let mut seen = BTreeMap::new();
    for k in &keys {
        *seen.entry(k.as_str()).or_insert(0) += 1;
    }
    if keys.iter().any(|k| k.is_empty() || seen[k.as_str()] > 1) {
        return (0..items.len()).map(|i| format!("#{i}")).collect();
    }
    keys
}

fn is_month(label: &str) -> bool {
    let b = label.as_bytes();
    b.len() == 7 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// `low`, `base` or `high` when a per-month row's field names the scenario.
fn scenario_of(field: &str) -> Option<&'static str> {
    ["low", "base", "high"].into_iter().find(|s| {
        field == *s || field.starts_with(&format!("{s}_")) || field.ends_with(&format!("_{s}"))
    })
}

fn unit_of(id: &str, field: &str, row: &Row) -> Option<String> {
    if let Some(unit) = &row.unit
        && ["value", "low", "high", "threshold", "predicted"].contains(&field)
    {
        return Some(unit.clone());
    }
    let money = field.contains("cost");
    if money && field.starts_with("total") {
        return Some("USD".into());
    }
    if money && (row.month.as_deref().is_some_and(|m| m.contains('Q')) || id.contains("quarter")) {
        return Some("USD/quarter".into());
    }
    if COST_SECTIONS.iter().any(|s| id.starts_with(s))
        || field == "cost"
        || field.starts_with("cost")
        || field.ends_with("_cost")
    {
        return Some("USD/month".into());
    }
    UNIT_SUFFIXES
        .iter()
        .find(|(suffix, _)| field.ends_with(suffix))
        .map(|(_, unit)| (*unit).to_owned())
}

/// Whether `id` matches one of `patterns` (`*` stands for one segment or row key).
fn matches_any(id: &str, patterns: &[&str]) -> bool {
    patterns.iter().any(|p| glob(p.as_bytes(), id.as_bytes()))
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => {
            // In a row key (`[*]`) anything but the closing bracket; elsewhere one segment.
            let stops: &[u8] = if rest.first() == Some(&b']') {
                b"]"
            } else {
                b".[]"
            };
            (0..=s.len())
                .take_while(|&i| i == 0 || !stops.contains(&s[i - 1]))
                .any(|i| glob(rest, &s[i..]))
        }
        Some((c, rest)) => s.first() == Some(c) && glob(rest, &s[1..]),
    }
}

/// A count the view carries as a word: `"1,234"` as a number; the words that
/// stand for no count (`—`, `none (one key too hot)`) as they are.
fn count_word(s: &str) -> Option<String> {
    let digits = s.replace(',', "");
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return digits.parse::<f64>().ok().map(number);
    }
    (s == "—" || s.starts_with("none (")).then(|| clean(s))
}

/// A number to six significant digits, without exponent or trailing zeros.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).max(0) as usize;
    let factor = 10f64.powi(magnitude - 5);
    let rounded = if magnitude > 5 {
        (v / factor).round() * factor
    } else {
        v
    };
    let mut s = format!("{rounded:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    if s == "-0" { "0".into() } else { s }
}

/// No tab or line break inside a field.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The file: a header, then one figure per line, sorted by id.
pub fn to_tsv(figures: &[Figure]) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    for f in figures {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            f.id,
            f.month,
            f.scenario,
            f.kind.name(),
            f.value,
            f.unit,
            f.chapter
        );
    }
    out
}

/// Reads the file back; `Err` names the line that is not a figure.
pub fn parse(text: &str) -> Result<Vec<Figure>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header == HEADER => {}
        _ => return Err(format!("line 1: expected the header `{HEADER}`")),
    }
    lines
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, line)| {
            let f: Vec<&str> = line.split('\t').collect();
            let [id, month, scenario, kind, value, unit, chapter] = f[..] else {
                return Err(format!("line {}: expected 7 tab-separated fields", i + 1));
            };
            let kind = match kind {
                "figure" => Kind::Figure,
                "verdict" => Kind::Verdict,
                other => return Err(format!("line {}: unknown kind `{other}`", i + 1)),
            };
            Ok(Figure {
                id: id.into(),
                month: month.into(),
                scenario: scenario.into(),
                kind,
                value: value.into(),
                unit: unit.into(),
                chapter: chapter.into(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_six_significant_digits() {
        assert_eq!(number(93971.04000000001), "93971");
        assert_eq!(number(1623679.5342237058), "1623680");
        assert_eq!(number(0.06999790805304872), "0.0699979");
        assert_eq!(number(58.0), "58");
        assert_eq!(number(-0.5), "-0.5");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn globs_match_one_segment() {
        assert!(glob(b"fault.*.relaxed", b"fault.broker.relaxed"));
        assert!(!glob(
            b"fault.*.relaxed",
            b"fault.failures[A broker].relaxed"
        ));
        assert!(glob(
            b"fault.failures[*].relaxed",
            b"fault.failures[A broker].relaxed"
        ));
        assert!(glob(b"s[*].month", b"s[events.raw].month"));
    }

    #[test]
    fn tsv_round_trips() {
        let f = Figure {
            id: "sizing.cost[2027-01].total".into(),
            month: "2027-01".into(),
            scenario: "-".into(),
            kind: Kind::Figure,
            value: "25202".into(),
            unit: "USD/month".into(),
            chapter: "sizing".into(),
        };
        let text = to_tsv(std::slice::from_ref(&f));
        assert_eq!(parse(&text).unwrap(), vec![f]);
    }
}
