//! The one error type at the `specgen` boundary.
//!
//! Input errors carry the file, the line and the field so that a user can go
//! straight to the bad value; everything else names the output it was making.

use std::path::{Path, PathBuf};

pub use pipeline_inputs::InputError;

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
    #[error("{}: {message}", path.display())]
    NotOwned { path: PathBuf, message: String },
    #[error("site: {0}")]
    Site(String),
    #[error("spreadsheet: {0}")]
    Sheet(String),
    #[error("git: {0}")]
    Git(String),
    #[error("diff: {0}")]
    Diff(String),
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
