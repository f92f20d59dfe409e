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
pub fn read<T: DeserializeOwned + Send>(
    path: &Path,
    columns: &[&str],
) -> Result<Vec<Row<T>>, InputError> {
    let rows = read_any(path, columns)?;
    if rows.is_empty() {
        return Err(InputError::new(path, "no rows after the header"));
    }
    Ok(rows)
}

/// Like [`read`], for lists a real pipeline may have none of (no planned
/// onboardings, no customer hot enough to list): a header alone is valid.
pub fn read_any<T: DeserializeOwned + Send>(
    path: &Path,
    columns: &[&str],
) -> Result<Vec<Row<T>>, InputError> {
    let text = crate::file::read_text(path, crate::file::MAX_CSV_BYTES)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    parse(path, &text, columns, cores)
}

/// [`read_any`] on `text`, the contents of `path`, its body read in up to
/// `pieces` pieces side by side.
fn parse<T: DeserializeOwned + Send>(
    path: &Path,
    text: &str,
    columns: &[&str],
    pieces: usize,
) -> Result<Vec<Row<T>>, InputError> {
    // Trimming is done here, and only on rows that need it: the reader's own
    // trimming copies every record, and the metrics run to hundreds of
    // thousands of rows, almost none of them padded.
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::new(path, format!("cannot read the header: {e}")).at_line(1))?
        .iter()
        .map(|h| h.trim_matches(|c: char| c.is_ascii_whitespace()).to_owned())
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

    // The body is read in pieces side by side when it is large: the metrics
    // run to hundreds of thousands of rows. A piece starts after a line end,
    // which is a record's end only when no field is quoted; a file with
    // quotes is read in one piece.
    let body_start = reader.position().byte() as usize;
    let lines_before = reader.position().line() - 1;
    let body = &text.as_bytes()[body_start..];
    let pieces = if body.len() >= PIECE_BYTES && !body.contains(&b'"') {
        pieces
    } else {
        1
    };
    let names = csv::StringRecord::from(header.clone());
    let read_piece = |(piece, lines_before): (&[u8], u64)| {
        read_body::<T>(path, &header, &names, piece, lines_before)
    };
    let pieces = split_at_lines(body, pieces, lines_before);
    let read: Vec<Result<Vec<Row<T>>, InputError>> = if pieces.len() == 1 {
        pieces.into_iter().map(read_piece).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = pieces
                .into_iter()
                .map(|piece| scope.spawn(move || read_piece(piece)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a reader that does not panic"))
                .collect()
        })
    };
    // The first error in the file's order, as one reader would find it.
    let mut rows = Vec::new();
    for piece in read {
        rows.append(&mut piece?);
    }
    Ok(rows)
}

/// Bodies smaller than this are read in one piece: threads cost more.
const PIECE_BYTES: usize = 1 << 20;

/// `body` cut into up to `n` pieces at line ends, each with the count of
/// file lines before it.
fn split_at_lines(body: &[u8], n: usize, lines_before: u64) -> Vec<(&[u8], u64)> {
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    let mut lines = lines_before;
    for i in 1..=n {
        let end = if i == n {
            body.len()
        } else {
            let target = (body.len() * i / n).max(start);
            body[target..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |at| target + at + 1)
        };
        if end > start || i == n {
            pieces.push((&body[start..end], lines));
            lines += body[start..end].iter().filter(|&&b| b == b'\n').count() as u64;
            start = end;
        }
    }
    pieces
}

/// The rows of `piece`, a run of whole lines with `lines_before` file lines
/// before it, read against the file's header.
fn read_body<T: DeserializeOwned>(
    path: &Path,
    header: &[String],
    names: &csv::StringRecord,
    piece: &[u8],
    lines_before: u64,
) -> Result<Vec<Row<T>>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(piece);
    // One row buffer for the whole piece.
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let e = csv_error(path, header, e, None);
                return Err(match e.line {
                    Some(line) => e.at_line(line + lines_before),
                    None => e,
                });
            }
        }
        let line = record_line(piece, &record);
        if record.len() != header.len() {
            return Err(InputError::new(
                path,
                format!(
                    "the row has {} fields, the header has {}",
                    record.len(),
                    header.len()
                ),
            )
            .at_line(line + lines_before));
        }
        if record.iter().any(padded) {
            record.trim();
        }
        let value = record
            .deserialize::<T>(Some(names))
            .map_err(|e| csv_error(path, header, e, Some(&record)).at_line(line + lines_before))?;
        rows.push(Row {
            line: line + lines_before,
            value,
        });
    }
    Ok(rows)
}

/// The line of `piece` a record starts on. The reader gives where it began
/// reading the record, before any blank lines it skipped: those are counted
/// here, so a row after a blank line is named by its own line.
fn record_line(piece: &[u8], record: &csv::StringRecord) -> u64 {
    let Some(position) = record.position() else {
        return 0;
    };
    let mut line = position.line();
    for &b in piece.iter().skip(position.byte() as usize) {
        match b {
            b'\n' => line += 1,
            b'\r' => {}
            _ => break,
        }
    }
    line
}

/// Whether a field has the leading or trailing whitespace the reader trims.
fn padded(field: &str) -> bool {
    let bytes = field.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_whitespace)
        || bytes.last().is_some_and(u8::is_ascii_whitespace)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Sample {
        ts: i64,
        operator: String,
        rate: f64,
    }

    const COLUMNS: &[&str] = &["ts", "operator", "rate"];

    /// Over a mebibyte of rows: the body is read in pieces. Row `i` is on
    /// file line `i + 2`; a few are padded, and one blank line is skipped.
    fn large(bad_row: Option<(usize, &str)>) -> String {
        let mut text = String::from("ts, operator ,rate\n");
        for i in 0..60_000 {
            if i == 30_000 {
                text.push('\n');
            }
            let row = match bad_row {
                Some((at, row)) if at == i => row.to_owned(),
                _ if i % 997 == 0 => format!(" {i} ,keyed-window, {}.5 ", i % 10),
                _ => format!("{i},keyed-window,{}.5", i % 10),
            };
            text.push_str(&row);
            text.push('\n');
        }
        text
    }

    /// The file line of row `i` of [`large`], counted by hand: the header is
    /// line 1, and the blank line sits before row 30,000.
    fn line_of(i: usize) -> u64 {
        i as u64 + 2 + u64::from(i >= 30_000)
    }

    #[test]
    fn a_large_file_read_in_pieces_gives_every_row_with_its_line() {
        let text = large(None);
        assert!(text.len() > PIECE_BYTES);
        let path = Path::new("flink_subtasks.csv");
        let one: Vec<Row<Sample>> = parse(path, &text, COLUMNS, 1).unwrap();
        for pieces in [2, 3, 7] {
            let many: Vec<Row<Sample>> = parse(path, &text, COLUMNS, pieces).unwrap();
            assert_eq!(many.len(), 60_000);
            for (i, (a, b)) in one.iter().zip(&many).enumerate() {
                assert_eq!((a.line, &a.value), (b.line, &b.value));
                assert_eq!(b.line, line_of(i), "row {i}");
                assert_eq!(b.value.ts, i as i64);
                assert_eq!(b.value.rate, (i % 10) as f64 + 0.5);
            }
        }
    }

    #[test]
    fn an_error_in_a_later_piece_names_its_line_and_field() {
        let text = large(Some((55_555, "55555,keyed-window,fast")));
        let err = parse::<Sample>(Path::new("flink_subtasks.csv"), &text, COLUMNS, 3)
            .expect_err("a rate that is not a number");
        assert_eq!(err.line, Some(line_of(55_555)));
        assert_eq!(err.field.as_deref(), Some("rate"));
        assert!(err.message.contains("`fast`"), "{}", err.message);

        let text = large(Some((44_444, "44444,keyed-window")));
        let err = parse::<Sample>(Path::new("flink_subtasks.csv"), &text, COLUMNS, 3)
            .expect_err("a short row");
        assert_eq!(err.line, Some(line_of(44_444)));
        assert_eq!(err.message, "the row has 2 fields, the header has 3");
    }

    #[test]
    fn the_first_error_in_the_file_is_the_one_named() {
        let mut text = large(Some((50_000, "50000,keyed-window,slow")));
        text = text.replacen("7,keyed-window,7.5", "7,keyed-window,late", 1);
        let err = parse::<Sample>(Path::new("flink_subtasks.csv"), &text, COLUMNS, 2)
            .expect_err("two bad rates");
        assert_eq!(err.line, Some(line_of(7)));
    }

    #[test]
    fn pieces_cover_the_body_at_line_ends() {
        let body = b"a\nbb\n\nccc\nd";
        for n in 1..=8 {
            let pieces = split_at_lines(body, n, 4);
            let joined: Vec<u8> = pieces.iter().flat_map(|(p, _)| p.iter().copied()).collect();
            assert_eq!(joined, body);
            let mut lines = 4;
            for (piece, before) in &pieces {
                assert_eq!(*before, lines);
                lines += piece.iter().filter(|&&b| b == b'\n').count() as u64;
                // Every piece but the last ends a line.
                if piece.as_ptr_range().end != body.as_ptr_range().end {
                    assert_eq!(piece.last(), Some(&b'\n'));
                }
            }
        }
    }
}
