//! The crate's one error type.
//!
//! Input errors are the shared inputs crate's: the file, the line and the
//! field, so a user who edits `data/` can go straight to the bad value.

use std::fmt;

pub use pipeline_inputs::InputError;

/// Everything that can stop a benchmark run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A value in an input file is missing, malformed or out of range.
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
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

impl BenchError {
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
