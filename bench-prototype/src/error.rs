//! The crate's one error type.
//!
//! Input errors carry the file, the line (1-based; 0 when the whole file is
//! at fault) and the field, so a user who edits `data/` can go straight to the
//! bad value.

use std::fmt;

/// Everything that can stop a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A value in an input file is missing, malformed or out of range.
    #[error("{}", InputDisplay(.0))]
    Input(InputError),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// RocksDB refused an operation.
    #[error("rocksdb: {0}")]
    RocksDb(String),
    /// A snapshot could not be decoded (a bug, or a truncated checkpoint).
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// The runtime could not run a job as configured.
    #[error("runtime: {0}")]
    Runtime(String),
}

/// Where an input is wrong and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: String,
    /// 1-based line; 0 when no single line is at fault.
    pub line: usize,
    pub field: String,
    pub message: String,
}

struct InputDisplay<'a>(&'a InputError);

impl fmt::Display for InputDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        if e.line > 0 {
            write!(f, "{}:{}: {}: {}", e.file, e.line, e.field, e.message)
        } else {
            write!(f, "{}: {}: {}", e.file, e.field, e.message)
        }
    }
}

impl BenchError {
    pub fn input(
        file: impl Into<String>,
        line: usize,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        BenchError::Input(InputError {
            file: file.into(),
            line,
            field: field.into(),
            message: message.into(),
        })
    }

    pub fn io(path: impl Into<String>, err: impl fmt::Display) -> Self {
        BenchError::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }
}

impl From<rocksdb::Error> for BenchError {
    fn from(e: rocksdb::Error) -> Self {
        BenchError::RocksDb(e.into_string())
    }
}

pub type Result<T, E = BenchError> = std::result::Result<T, E>;
