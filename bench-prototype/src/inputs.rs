//! Strict loaders for the production inputs the bench reads from `data/`.
//!
//! The bench does not depend on the spec generator: it reads the few inputs it
//! needs itself, strictly (exact CSV headers, every value checked), and names
//! the file, line and field of the first bad value. `data/architecture.toml`
//! is shared with the generator, so only the keys read here are checked there
//! and other keys are left to the generator's own validation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;

use crate::error::{BenchError, Result};

/// The keyed operator of the Flink job (`keyed = true` in `architecture.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedOperator {
    pub name: String,
    pub parallelism: u32,
    pub max_parallelism: u32,
}

/// One row of `keys/hot_customers.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct HotCustomer {
    pub customer_id: i64,
    pub name: String,
    /// Share of all events.
    pub share: f64,
}

/// `keys/tail.toml`: the customers not listed as hot, consecutive ids from
/// `first_customer_id`, sharing `share` of all events by a Zipf law of rank.
#[derive(Debug, Clone, PartialEq)]
pub struct Tail {
    pub customers: u32,
    pub first_customer_id: i64,
    pub zipf_exponent: f64,
    pub share: f64,
}

/// One row of `keys/event_types.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventType {
    pub name: String,
    pub share: f64,
}

/// The keyed operator's per-record service time, pooled over every 5-minute
/// sample of `metrics/flink_subtasks.csv`:
/// `sum(busy_ms_per_s / 1000) / sum(records_in_per_s)`.
///
/// Pooling (a ratio of sums, not a mean of per-sample ratios) weights each
/// sample by its traffic, so idle night-time samples with a handful of
/// records do not dominate; it is busy seconds per record over four weeks.
/// The spec generator computes the same figure the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceTime {
    pub operator: String,
    pub samples: usize,
    pub busy_seconds_per_s_sum: f64,
    pub records_in_per_s_sum: f64,
    pub service_time_us: f64,
}

/// Everything the bench reads from `data/` outside `data/bench/`.
#[derive(Debug, Clone)]
pub struct ProductionInputs {
    pub data_dir: PathBuf,
    pub keyed_operator: KeyedOperator,
    pub hot_customers: Vec<HotCustomer>,
    pub tail: Tail,
    pub event_types: Vec<EventType>,
    pub service_time: ServiceTime,
}

/// Loads and validates the production inputs under `data_dir`.
pub fn load_production_inputs(data_dir: &Path) -> Result<ProductionInputs> {
    let keyed_operator = load_keyed_operator(&data_dir.join("architecture.toml"))?;
    let hot_customers = load_hot_customers(&data_dir.join("keys/hot_customers.csv"))?;
    let tail_path = data_dir.join("keys/tail.toml");
    let tail = load_tail(&tail_path)?;
    let event_types = load_event_types(&data_dir.join("keys/event_types.csv"))?;
    let service_time = load_service_time(
        &data_dir.join("metrics/flink_subtasks.csv"),
        &keyed_operator.name,
    )?;

    // Hot ids must not fall inside the tail's id range, or a customer would
    // be counted twice; and the two shares must cover all the traffic.
    let tail_ids = tail.first_customer_id..tail.first_customer_id + i64::from(tail.customers);
    for h in &hot_customers {
        if tail_ids.contains(&h.customer_id) {
            return Err(BenchError::input(
                display(&tail_path),
                0,
                "tail.first_customer_id",
                format!(
                    "tail ids {}..{} include hot customer {}",
                    tail_ids.start, tail_ids.end, h.customer_id
                ),
            ));
        }
    }
    let total: f64 = hot_customers.iter().map(|h| h.share).sum::<f64>() + tail.share;
    if (total - 1.0).abs() > 1e-6 {
        return Err(BenchError::input(
            display(&tail_path),
            0,
            "tail.share",
            format!("hot customers' shares plus the tail's share must be 1, got {total}"),
        ));
    }

    Ok(ProductionInputs {
        data_dir: data_dir.to_path_buf(),
        keyed_operator,
        hot_customers,
        tail,
        event_types,
        service_time,
    })
}

pub(crate) fn display(path: &Path) -> String {
    path.display().to_string()
}

pub(crate) fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| BenchError::io(display(path), e))
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Parses a TOML file into `T`, turning the parser's span into a line and
/// naming the field when the parser's message names one.
pub(crate) fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
        let message = e.message().trim().to_string();
        let field = backticked(&message).unwrap_or_else(|| "toml".to_string());
        BenchError::input(display(path), line, field, message)
    })
}

/// The first `name` in backticks of a serde message ("missing field `x`").
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// An error at the line of a spanned value.
pub(crate) fn spanned_error<T>(
    path: &Path,
    text: &str,
    value: &Spanned<T>,
    field: &str,
    message: impl Into<String>,
) -> BenchError {
    BenchError::input(
        display(path),
        line_of(text, value.span().start),
        field,
        message,
    )
}

#[derive(Deserialize)]
struct ArchitectureFile {
    flink: FlinkSection,
}

#[derive(Deserialize)]
struct FlinkSection {
    operators: Vec<Spanned<OperatorEntry>>,
}

#[derive(Deserialize)]
struct OperatorEntry {
    name: String,
    parallelism: Spanned<i64>,
    max_parallelism: Spanned<i64>,
    keyed: bool,
}

/// The one `[[flink.operators]]` entry with `keyed = true`.
pub fn load_keyed_operator(path: &Path) -> Result<KeyedOperator> {
    let text = read_text(path)?;
    let file: ArchitectureFile = parse_toml(path, &text)?;
    let keyed: Vec<&Spanned<OperatorEntry>> = file
        .flink
        .operators
        .iter()
        .filter(|o| o.get_ref().keyed)
        .collect();
    let op = match keyed.as_slice() {
        [one] => *one,
        [] => {
            return Err(BenchError::input(
                display(path),
                0,
                "flink.operators.keyed",
                "no operator has keyed = true; the bench emulates the keyed operator",
            ));
        }
        [_, second, ..] => {
            return Err(spanned_error(
                path,
                &text,
                second,
                "flink.operators.keyed",
                "more than one operator has keyed = true",
            ));
        }
    };
    let entry = op.get_ref();
    let parallelism = *entry.parallelism.get_ref();
    let max_parallelism = *entry.max_parallelism.get_ref();
    let upper = i64::from(partitioners::flink::UPPER_BOUND_MAX_PARALLELISM);
    if !(1..=upper).contains(&max_parallelism) {
        return Err(spanned_error(
            path,
            &text,
            &entry.max_parallelism,
            "flink.operators.max_parallelism",
            format!("must be in 1..={upper}, got {max_parallelism}"),
        ));
    }
    if !(1..=max_parallelism).contains(&parallelism) {
        return Err(spanned_error(
            path,
            &text,
            &entry.parallelism,
            "flink.operators.parallelism",
            format!("must be in 1..=max_parallelism ({max_parallelism}), got {parallelism}"),
        ));
    }
    Ok(KeyedOperator {
        name: entry.name.clone(),
        // Both were range-checked above.
        parallelism: parallelism as u32,
        max_parallelism: max_parallelism as u32,
    })
}

/// A strict CSV table: the header must be exactly `columns`.
struct Table {
    path: String,
    reader: csv::Reader<std::io::Cursor<Vec<u8>>>,
}

impl Table {
    fn open(path: &Path, columns: &[&str]) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| BenchError::io(display(path), e))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::None)
            .from_reader(std::io::Cursor::new(bytes));
        let header = reader
            .headers()
            .map_err(|e| BenchError::input(display(path), 1, "header", e.to_string()))?;
        let found: Vec<&str> = header.iter().collect();
        if found != columns {
            return Err(BenchError::input(
                display(path),
                1,
                "header",
                format!(
                    "expected columns {}, found {}",
                    columns.join(","),
                    found.join(",")
                ),
            ));
        }
        Ok(Table {
            path: display(path),
            reader,
        })
    }

    /// Calls `row` with each record and its 1-based line.
    fn for_each(
        mut self,
        columns: &[&str],
        mut row: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<usize> {
        let mut record = csv::StringRecord::new();
        let mut count = 0;
        loop {
            let more = self.reader.read_record(&mut record).map_err(|e| {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                BenchError::input(self.path.clone(), line, "row", e.to_string())
            })?;
            if !more {
                break;
            }
            let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
            row(&Row {
                path: &self.path,
                line,
                columns,
                record: &record,
            })?;
            count += 1;
        }
        Ok(count)
    }
}

struct Row<'a> {
    path: &'a str,
    line: usize,
    columns: &'a [&'a str],
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> BenchError {
        BenchError::input(self.path, self.line, field, message)
    }

    fn str(&self, field: &str) -> Result<&str> {
        let index = self
            .columns
            .iter()
            .position(|c| *c == field)
            .ok_or_else(|| self.error(field, "no such column"))?;
        self.record
            .get(index)
            .ok_or_else(|| self.error(field, "missing value"))
    }

    fn parse<T: std::str::FromStr>(&self, field: &str, what: &str) -> Result<T> {
        let raw = self.str(field)?;
        raw.parse()
            .map_err(|_| self.error(field, format!("expected {what}, found {raw:?}")))
    }

    /// A finite number within `[lo, hi]`.
    fn number(&self, field: &str, lo: f64, hi: f64) -> Result<f64> {
        let v: f64 = self.parse(field, "a number")?;
        if !v.is_finite() || v < lo || v > hi {
            return Err(self.error(field, format!("must be in [{lo}, {hi}], got {v}")));
        }
        Ok(v)
    }

    fn share(&self, field: &str) -> Result<f64> {
        let v = self.number(field, 0.0, 1.0)?;
        if v <= 0.0 {
            return Err(self.error(field, "a share must be positive"));
        }
        Ok(v)
    }
}

const HOT_COLUMNS: &[&str] = &["customer_id", "name", "share"];

pub fn load_hot_customers(path: &Path) -> Result<Vec<HotCustomer>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    Table::open(path, HOT_COLUMNS)?.for_each(HOT_COLUMNS, |row| {
        let customer_id: i64 = row.parse("customer_id", "an integer customer id")?;
        if !seen.insert(customer_id) {
            return Err(row.error("customer_id", format!("{customer_id} is listed twice")));
        }
        let name = row.str("name")?.to_string();
        if name.trim().is_empty() {
            return Err(row.error("name", "must not be empty"));
        }
        let share = row.share("share")?;
        out.push(HotCustomer {
            customer_id,
            name,
            share,
        });
        Ok(())
    })?;
    Ok(out)
}

const EVENT_TYPE_COLUMNS: &[&str] = &["event_type", "share"];

pub fn load_event_types(path: &Path) -> Result<Vec<EventType>> {
    let mut out: Vec<EventType> = Vec::new();
    Table::open(path, EVENT_TYPE_COLUMNS)?.for_each(EVENT_TYPE_COLUMNS, |row| {
        let name = row.str("event_type")?.to_string();
        if name.is_empty() {
            return Err(row.error("event_type", "must not be empty"));
        }
        if out.iter().any(|e| e.name == name) {
            return Err(row.error("event_type", format!("{name:?} is listed twice")));
        }
        let share = row.share("share")?;
        out.push(EventType { name, share });
        Ok(())
    })?;
    if out.is_empty() {
        return Err(BenchError::input(
            display(path),
            0,
            "event_type",
            "no event types",
        ));
    }
    // Event types index a byte in each record.
    if out.len() > usize::from(u8::MAX) {
        return Err(BenchError::input(
            display(path),
            0,
            "event_type",
            "at most 255 event types",
        ));
    }
    let total: f64 = out.iter().map(|e| e.share).sum();
    if (total - 1.0).abs() > 1e-6 {
        return Err(BenchError::input(
            display(path),
            0,
            "share",
            format!("shares must add up to 1, got {total}"),
        ));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TailFile {
    tail: TailSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TailSection {
    customers: Spanned<i64>,
    first_customer_id: Spanned<i64>,
    zipf_exponent: Spanned<f64>,
    share: Spanned<f64>,
}

pub fn load_tail(path: &Path) -> Result<Tail> {
    let text = read_text(path)?;
    let file: TailFile = parse_toml(path, &text)?;
    let t = file.tail;
    let customers = *t.customers.get_ref();
    if !(1..=10_000_000).contains(&customers) {
        return Err(spanned_error(
            path,
            &text,
            &t.customers,
            "tail.customers",
            format!("must be in 1..=10000000, got {customers}"),
        ));
    }
    let first = *t.first_customer_id.get_ref();
    if first < 0 || first.checked_add(customers).is_none() {
        return Err(spanned_error(
            path,
            &text,
            &t.first_customer_id,
            "tail.first_customer_id",
            format!("must be a non-negative id with room for {customers} ids, got {first}"),
        ));
    }
    let s = *t.zipf_exponent.get_ref();
    if !s.is_finite() || !(0.0..=10.0).contains(&s) {
        return Err(spanned_error(
            path,
            &text,
            &t.zipf_exponent,
            "tail.zipf_exponent",
            format!("must be in [0, 10], got {s}"),
        ));
    }
    let share = *t.share.get_ref();
    if !share.is_finite() || !(0.0..=1.0).contains(&share) {
        return Err(spanned_error(
            path,
            &text,
            &t.share,
            "tail.share",
            format!("must be in [0, 1], got {share}"),
        ));
    }
    Ok(Tail {
        customers: customers as u32,
        first_customer_id: first,
        zipf_exponent: s,
        share,
    })
}

const SUBTASK_COLUMNS: &[&str] = &[
    "ts",
    "operator",
    "subtask",
    "busy_ms_per_s",
    "backpressured_ms_per_s",
    "idle_ms_per_s",
    "records_in_per_s",
    "records_out_per_s",
];

/// Pooled per-record service time of `operator` (see [`ServiceTime`]).
/// Every row is validated, not only the operator's.
pub fn load_service_time(path: &Path, operator: &str) -> Result<ServiceTime> {
    let mut samples = 0usize;
    let mut busy = 0.0f64;
    let mut records = 0.0f64;
    Table::open(path, SUBTASK_COLUMNS)?.for_each(SUBTASK_COLUMNS, |row| {
        let _ts: i64 = row.parse("ts", "a Unix timestamp in seconds")?;
        let _subtask: u32 = row.parse("subtask", "a subtask index")?;
        let b = row.number("busy_ms_per_s", 0.0, 1000.0)?;
        row.number("backpressured_ms_per_s", 0.0, 1000.0)?;
        row.number("idle_ms_per_s", 0.0, 1000.0)?;
        let r = row.number("records_in_per_s", 0.0, 1e12)?;
        row.number("records_out_per_s", 0.0, 1e12)?;
        if row.str("operator")? == operator {
            samples += 1;
            busy += b / 1000.0;
            records += r;
        }
        Ok(())
    })?;
    if samples == 0 || records <= 0.0 || busy <= 0.0 {
        return Err(BenchError::input(
            display(path),
            0,
            "operator",
            format!("no samples with records and busy time for the keyed operator {operator:?}"),
        ));
    }
    Ok(ServiceTime {
        operator: operator.to_string(),
        samples,
        busy_seconds_per_s_sum: busy,
        records_in_per_s_sum: records,
        service_time_us: busy / records * 1e6,
    })
}
