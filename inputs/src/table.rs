//! Strict CSV reading: exact columns, typed rows, and errors that point at the
//! line and column of the bad value.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::InputError;

/// One parsed row and the line it came from, kept for later validation errors.
#[derive(Debug, Clone)]
pub struct Row<T> {
    pub line: u64,
    pub value: T,
}

/// Where a value sits, so checks after parsing can still say file, line and column.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    pub file: &'a Path,
    pub line: u64,
}

impl At<'_> {
    pub fn error(&self, field: &str, message: impl Into<String>) -> InputError {
        InputError::new(self.file, message)
            .at_line(self.line)
            .in_field(field)
    }

    /// A rate, size or count: finite and not negative.
    pub fn non_negative(&self, field: &str, value: f64) -> Result<f64, InputError> {
        if !value.is_finite() {
            return Err(self.error(field, format!("expected a finite number, found {value}")));
        }
        if value < 0.0 {
            return Err(self.error(field, format!("expected a value >= 0, found {value}")));
        }
        Ok(value)
    }

    /// A value no real pipeline exceeds: `max` states the valid range.
    pub fn at_most(&self, field: &str, value: f64, max: f64) -> Result<f64, InputError> {
        if value > max {
            // A runaway value reads better in scientific notation than in 300 digits.
            let found = if value.abs() >= 1e15 {
                format!("{value:e}")
            } else {
                value.to_string()
            };
            return Err(self.error(field, format!("expected a value <= {max}, found {found}")));
        }
        Ok(value)
    }

    pub fn positive(&self, field: &str, value: f64) -> Result<f64, InputError> {
        let value = self.non_negative(field, value)?;
        if value == 0.0 {
            return Err(self.error(field, "expected a value > 0, found 0"));
        }
        Ok(value)
    }
}

/// Reads `path` as CSV whose header must be exactly `columns` (in any order)
/// and which has at least one row.
pub fn read<T: DeserializeOwned>(path: &Path, columns: &[&str]) -> Result<Vec<Row<T>>, InputError> {
    let rows = read_any(path, columns)?;
    if rows.is_empty() {
        return Err(InputError::new(path, "no rows after the header"));
    }
    Ok(rows)
}

/// Like [`read`], for lists a real pipeline may have none of (no planned
/// onboardings, no customer hot enough to list): a header alone is valid.
pub fn read_any<T: DeserializeOwned>(
    path: &Path,
    columns: &[&str],
) -> Result<Vec<Row<T>>, InputError> {
    let text = crate::file::read_text(path, crate::file::MAX_CSV_BYTES)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::new(path, format!("cannot read the header: {e}")).at_line(1))?
        .iter()
        .map(str::to_owned)
        .collect();
    // One column holding the others: the file uses another separator.
    if let [only] = header.as_slice()
        && let Some((_, name)) = [('\t', "tabs"), (';', "semicolons")]
            .into_iter()
            .find(|(separator, _)| only.contains(*separator))
    {
        return Err(InputError::new(
            path,
            format!(
                "the header is separated by {name}; expected commas: `{}`",
                columns.join(",")
            ),
        )
        .at_line(1));
    }
    for expected in columns {
        if !header.iter().any(|h| h == expected) {
            return Err(InputError::new(
                path,
                format!("missing column; the header must be `{}`", columns.join(",")),
            )
            .at_line(1)
            .in_field(*expected));
        }
    }
    if let Some(unknown) = header.iter().find(|h| !columns.contains(&h.as_str())) {
        return Err(InputError::new(
            path,
            format!("unknown column; the header must be `{}`", columns.join(",")),
        )
        .at_line(1)
        .in_field(unknown.clone()));
    }
    if let Some(dup) = header
        .iter()
        .enumerate()
        .find(|(i, h)| header[..*i].contains(h))
    {
        return Err(InputError::new(path, "column appears twice")
            .at_line(1)
            .in_field(dup.1.clone()));
    }

    // One header record and one row buffer for the whole file: the metrics
    // run to hundreds of thousands of rows.
    let names = csv::StringRecord::from(header.clone());
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, &header, e, None))?
    {
        let line = record.position().map_or(0, |p| p.line());
        let value = record
            .deserialize::<T>(Some(&names))
            .map_err(|e| csv_error(path, &header, e, Some(&record)))
            .map_err(|e| if e.line.is_none() { e.at_line(line) } else { e })?;
        rows.push(Row { line, value });
    }
    Ok(rows)
}

fn csv_error(
    path: &Path,
    header: &[String],
    error: csv::Error,
    record: Option<&csv::StringRecord>,
) -> InputError {
    let line = error.position().map(|p| p.line());
    let mut out = match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let mut message = describe(err.kind());
            let index = err.field().map(|i| i as usize);
            if let Some(found) = index.and_then(|i| record.and_then(|r| r.get(i))) {
                message = format!("{message}, found `{found}`");
            }
            // serde's own messages (an unknown enum variant) carry no column:
            // name the column whose value the message quotes.
            let index = index.or_else(|| quoted_column(&message, record?));
            let mut e = InputError::new(path, message);
            if let Some(field) = index.and_then(|i| header.get(i)) {
                e = e.in_field(field.clone());
            }
            e
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => InputError::new(
            path,
            format!("the row has {len} fields, the header has {expected_len}"),
        ),
        other => InputError::new(path, format!("{other:?}")),
    };
    if let Some(line) = line {
        out = out.at_line(line);
    }
    out
}

/// The one column of `record` whose value appears backticked in `message`.
fn quoted_column(message: &str, record: &csv::StringRecord) -> Option<usize> {
    let quoted = message.split('`').nth(1)?;
    let mut hits = record.iter().enumerate().filter(|(_, v)| *v == quoted);
    match (hits.next(), hits.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

fn describe(kind: &csv::DeserializeErrorKind) -> String {
    use csv::DeserializeErrorKind as K;
    match kind {
        K::ParseFloat(e) => format!("expected a number: {e}"),
        K::ParseInt(e) => format!("expected a whole number: {e}"),
        K::ParseBool(e) => format!("expected true or false: {e}"),
        K::Message(m) => m.clone(),
        other => other.to_string(),
    }
}
