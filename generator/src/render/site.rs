//! The static site, built with mdBook as a library from `book.toml` at the root.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where the site offers the PDFs, the workbook and the CSVs, relative to its root.
pub const DOWNLOADS_DIR: &str = "downloads";

/// Builds the site and returns the directory it was written to. mdBook empties
/// that directory first, so the downloads are written after this returns.
pub fn build(root: &Path) -> Result<PathBuf> {
    let book = mdbook_driver::MDBook::load(root).map_err(|e| Error::Site(format!("{e:#}")))?;
    book.build().map_err(|e| Error::Site(format!("{e:#}")))?;
    Ok(book.build_dir_for("html"))
}
