//! The static site, built with mdBook as a library from `book.toml` at the root.

use std::path::{Path, PathBuf};

use mdbook_driver::config::Config;

use super::table_captions::with_table_figures;
use crate::error::{Error, Result};

/// Where the site offers the PDFs, the workbook and the CSVs, relative to its root.
pub const DOWNLOADS_DIR: &str = "downloads";

/// The site's configuration: `book.toml` alone (no environment overrides, so
/// the same files make the same site).
pub fn config(root: &Path) -> Result<Config> {
    let path = root.join("book.toml");
    Config::from_disk(&path).map_err(|e| Error::Site(format!("{}: {e:#}", path.display())))
}

/// Builds the site from the Markdown in `src` into `build_dir` (both outside
/// the configured places: the build stages everything before it commits) and
/// returns the directory the HTML is in. mdBook empties that directory first,
/// so the downloads are written after this returns.
pub fn build_staged(
    root: &Path,
    mut config: Config,
    src: &Path,
    build_dir: &Path,
) -> Result<PathBuf> {
    config.book.src = src.to_path_buf();
    config.build.build_dir = build_dir.to_path_buf();
    let mut book = mdbook_driver::MDBook::load_with_config(root, config)
        .map_err(|e| Error::Site(format!("{e:#}")))?;
    // Markdown has no table caption: the site gets the captions the PDFs print.
    book.book
        .for_each_chapter_mut(|chapter| chapter.content = with_table_figures(&chapter.content));
    book.build().map_err(|e| Error::Site(format!("{e:#}")))?;
    Ok(book.build_dir_for("html"))
}
