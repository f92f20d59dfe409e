//! The one error type at the `specgen` boundary.
//!
//! Input errors carry the file, the line and the field so that a user can go
//! straight to the bad value; everything else names the output it was making.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with a file under `data/`: where it is and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub file: PathBuf,
    /// 1-based line in the file, when the problem sits on one line.
    pub line: Option<u64>,
    /// The column (CSV) or dotted key (TOML) at fault.
    pub field: Option<String>,
    pub message: String,
}

impl InputError {
    pub fn new(file: &Path, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            line: None,
            field: None,
            message: message.into(),
        }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    pub fn in_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input: {0}")]
    Input(#[from] InputError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template `{template}`: {message}")]
    Template { template: String, message: String },
    #[error("chart `{chart}`: {message}")]
    Chart { chart: String, message: String },
    #[error("PDF `{document}`: {message}")]
    Pdf { document: String, message: String },
    #[error("site: {0}")]
    Site(String),
    #[error("spreadsheet: {0}")]
    Sheet(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
