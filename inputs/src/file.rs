//! Reading an input file: only regular files, only up to a size that a real
//! export could have, so a link to `/dev/zero` or a runaway export stops with
//! an error instead of filling memory.

use std::io::Read;
use std::path::Path;

use crate::error::InputError;

/// The largest CSV the loaders read: far above four weeks of 5-minute
/// metrics for thousands of partitions and subtasks.
pub const MAX_CSV_BYTES: u64 = 1 << 30;
/// The largest TOML or JSON file: the architecture, assumptions, scenarios
/// and benchmark report are a few hundred kilobytes at most.
pub const MAX_DOCUMENT_BYTES: u64 = 64 << 20;

/// The text of `path`, which must be a regular file of at most `limit` bytes in UTF-8.
pub fn read_text(path: &Path, limit: u64) -> Result<String, InputError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| InputError::new(path, format!("cannot read the file: {e}")))?;
    if !meta.is_file() {
        return Err(InputError::new(
            path,
            "expected a regular file, found a directory or a device",
        ));
    }
    if meta.len() > limit {
        return Err(InputError::new(
            path,
            format!(
                "expected at most {limit} bytes, found {}: not an export of this pipeline",
                meta.len()
            ),
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        // A file that grows while it is read still stops at the limit.
        .and_then(|f| f.take(limit + 1).read_to_string(&mut text))
        .map_err(|e| InputError::new(path, format!("cannot read the file: {e}")))?;
    if text.len() as u64 > limit {
        return Err(InputError::new(
            path,
            format!("expected at most {limit} bytes: the file grew while it was read"),
        ));
    }
    Ok(text)
}

/// Reads an optional JSON report (`None` when the file is absent) into `T`.
/// A parse error names the file, the line, the column and `what` the file
/// should have been: serde_json's own "at line L column C" is taken apart so
/// the line goes in front like every input error.
pub fn read_json_report<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
) -> Result<Option<T>, InputError> {
    if !path.exists() {
        return Ok(None);
    }
    let text = read_text(path, MAX_DOCUMENT_BYTES)?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        let text = e.to_string();
        let message = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(m, _)| m);
        InputError::new(
            path,
            format!("not {what}: {message} (column {})", e.column()),
        )
        .at_line(e.line() as u64)
    })
}
