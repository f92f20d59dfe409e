//! The static site, built with mdBook as a library from `book.toml` at the root.

use std::path::Path;

use crate::error::{Error, Result};

pub fn build(root: &Path) -> Result<()> {
    let book = mdbook_driver::MDBook::load(root).map_err(|e| Error::Site(format!("{e:#}")))?;
    book.build().map_err(|e| Error::Site(format!("{e:#}")))
}
