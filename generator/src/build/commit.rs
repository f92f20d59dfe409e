//! Committing a build's outputs as one step.
//!
//! `spec/src/`, `spec/figures.tsv`, `data/bench/plan.tsv`, `out/` and the site are one set: a site
//! from one build beside PDFs from another misleads its reader. So the build
//! writes every output into a staging directory in the project root
//! (`.specgen-stage-<pid>-<n>/`), builds the site there from the staged
//! Markdown, and only when all of that has succeeded writes a commit record
//! and renames each staged output into place.
//!
//! - A failure or a kill before the record leaves the previous outputs as they
//!   were, plus a staging directory that the next build removes.
//! - A kill after the record leaves a record that the next build finishes
//!   (renames what is left to rename) before it does anything else, so the
//!   new set becomes whole; a failed rename is undone at once.
//! - One build at a time commits: the others wait on `.specgen.lock`, and
//!   every staging directory has a name of its own.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::render::site;

use super::{BuildReport, MANIFEST, Rendered};

/// The lock file every build takes before it touches an output (ignored by git).
pub const LOCK_FILE: &str = ".specgen.lock";
/// The start of a staging directory's name (ignored by git).
pub const STAGE_PREFIX: &str = ".specgen-stage-";
/// In a staging directory: the list of renames that make its outputs live.
const RECORD: &str = "commit-record";

/// The points of a commit, in order, for tests that stop a build at each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The lock is held and any earlier build's leftovers are dealt with.
    Locked,
    /// Markdown, figures file and `out/` are written to the staging directory.
    Staged,
    /// The site is built in the staging directory, with its downloads.
    SiteBuilt,
    /// The commit record is on disk: from here the new set wins.
    Recorded,
    /// The `n`th output (0-based) has been renamed into place.
    Swapped(usize),
    /// Every output is in place; the staging directory is about to go.
    Done,
}

/// One staged output and where it goes, relative to the project root.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Swap {
    /// Its name inside the staging directory.
    staged: String,
    /// Its live path, relative to the project root.
    live: PathBuf,
}

/// Writes `rendered` as the project's outputs, all or nothing (see the module
/// docs). `at` is called at each [`Step`]; the build passes a no-op.
pub fn commit(
    root: &Path,
    rendered: &Rendered,
    report: &mut BuildReport,
    at: &mut dyn FnMut(Step),
) -> Result<()> {
    let _lock = lock(root)?;
    recover(root, at)?;
    at(Step::Locked);

    let site_config = site::config(root)?;
    let site_live = relative_inside(root, &site_config.build.build_dir).ok_or_else(|| {
        Error::Site(format!(
            "book.toml: build.build-dir = {:?} must be a relative path inside the project",
            site_config.build.build_dir
        ))
    })?;
    let src_live = PathBuf::from("spec/src");
    let out_live = PathBuf::from("out");
    let book_src = super::with_manifest(&rendered.book_src);
    let out = super::with_manifest(&rendered.out);
    super::check_owned(&root.join(&src_live), "spec/src", &book_src)?;
    super::check_owned(&root.join(&out_live), "out", &out)?;
    for (live, dir) in [(&src_live, true), (&out_live, true), (&site_live, true)] {
        check_replaceable(&root.join(live), dir)?;
    }
    for live in rendered.files.keys() {
        check_replaceable(&root.join(live), false)?;
    }

    let src_changed = compare(&root.join(&src_live), &book_src, report);
    let out_changed = compare(&root.join(&out_live), &out, report);
    // The single files, each staged under a flat name of its own.
    let mut files_changed = Vec::new();
    for (live, bytes) in &rendered.files {
        let path = root.join(live);
        if fs::read(&path).is_ok_and(|old| &old == bytes) {
            report.unchanged += 1;
        } else {
            files_changed.push((format!("file-{}", live.replace('/', "--")), live));
            report.written.push(path);
        }
    }

    let stage = Stage::create(root)?;
    let result = (|| {
        write_tree(&stage.path("src"), &book_src)?;
        write_tree(&stage.path("out"), &out)?;
        for (staged, live) in &files_changed {
            write_file(&stage.path(staged), &rendered.files[*live])?;
        }
        at(Step::Staged);

        let html = site::build_staged(root, site_config, &stage.path("src"), &stage.path("site"))?;
        // mdBook copies every file of the source beside the pages; the
        // manifest is the build's bookkeeping, not part of the site.
        let copied = html.join(MANIFEST);
        if copied.is_file() {
            fs::remove_file(&copied).map_err(|e| Error::io(&copied, e))?;
        }
        // The site carries the downloads: the same bytes as out/.
        write_tree(&html.join(site::DOWNLOADS_DIR), &rendered.out)?;
        at(Step::SiteBuilt);

        let mut swaps = Vec::new();
        let staged = |name: &str, live: &Path| Swap {
            staged: name.to_owned(),
            live: live.to_path_buf(),
        };
        if src_changed {
            swaps.push(staged("src", &src_live));
        }
        for (name, live) in &files_changed {
            swaps.push(staged(name, Path::new(live)));
        }
        if out_changed {
            swaps.push(staged("out", &out_live));
        }
        // mdBook makes the whole site each time; it is always replaced.
        swaps.push(staged("site", &site_live));
        stage.record(&swaps)?;
        at(Step::Recorded);

        if let Err(e) = swap_all(root, &stage.dir, &swaps, at) {
            return Err(match undo(root, &stage.dir, &swaps) {
                Ok(()) => {
                    let record = stage.path(RECORD);
                    fs::remove_file(&record).map_err(|e| Error::io(&record, e))?;
                    e
                }
                Err(undo_error) => Error::Site(format!(
                    "{e}; undoing the renames failed too ({undo_error}): the next build \
                     finishes this one from {}",
                    stage.dir.display()
                )),
            });
        }
        at(Step::Done);
        Ok(())
    })();
    match result {
        Ok(()) => stage.remove(),
        Err(e) => {
            // Only a stage without a record is ours to drop; one with a
            // record is the next build's to finish.
            if !stage.path(RECORD).exists() {
                let _ = stage.remove();
            }
            Err(e)
        }
    }
}

/// Takes the project's build lock, waiting for another build to finish.
fn lock(root: &Path) -> Result<File> {
    let path = root.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    file.lock().map_err(|e| Error::io(&path, e))?;
    Ok(file)
}

/// Finishes or discards what killed builds left behind, waiting for a running
/// build first. Every build does this before it stages; `at` sees the renames.
pub fn finish_interrupted(root: &Path, at: &mut dyn FnMut(Step)) -> Result<()> {
    let _lock = lock(root)?;
    recover(root, at)
}

/// Deals with what builds that were killed left behind (called with the lock
/// held, so no staging directory belongs to a running build): finishes a
/// recorded commit, removes an unrecorded stage.
fn recover(root: &Path, at: &mut dyn FnMut(Step)) -> Result<()> {
    for entry in fs::read_dir(root).map_err(|e| Error::io(root, e))? {
        let entry = entry.map_err(|e| Error::io(root, e))?;
        let name = entry.file_name();
        let is_stage = name.to_string_lossy().starts_with(STAGE_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_stage {
            continue;
        }
        let dir = entry.path();
        let record = dir.join(RECORD);
        if record.is_file() {
            let swaps = read_record(&record)?;
            swap_all(root, &dir, &swaps, at)?;
        }
        fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    }
    Ok(())
}

/// Renames each staged output into place, moving the live one into the
/// staging directory first. Each rename is checked, so running it again on a
/// half-finished commit does only what is left.
fn swap_all(root: &Path, stage: &Path, swaps: &[Swap], at: &mut dyn FnMut(Step)) -> Result<()> {
    for (i, swap) in swaps.iter().enumerate() {
        let staged = stage.join(&swap.staged);
        let live = root.join(&swap.live);
        let old = stage.join(format!("old-{}", swap.staged));
        if exists(&staged) {
            if exists(&live) {
                if exists(&old) {
                    return Err(Error::Site(format!(
                        "cannot finish the build staged in {}: both {} and its previous \
                         version are there; remove one",
                        stage.display(),
                        live.display()
                    )));
                }
                fs::rename(&live, &old).map_err(|e| Error::io(&live, e))?;
            } else if let Some(parent) = live.parent() {
                fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
            }
            fs::rename(&staged, &live).map_err(|e| Error::io(&live, e))?;
        }
        at(Step::Swapped(i));
    }
    Ok(())
}

/// Puts the previous outputs back after a failed [`swap_all`].
fn undo(root: &Path, stage: &Path, swaps: &[Swap]) -> Result<()> {
    for swap in swaps.iter().rev() {
        let staged = stage.join(&swap.staged);
        let live = root.join(&swap.live);
        let old = stage.join(format!("old-{}", swap.staged));
        if !exists(&staged) && exists(&live) {
            fs::rename(&live, &staged).map_err(|e| Error::io(&live, e))?;
        }
        if exists(&old) {
            fs::rename(&old, &live).map_err(|e| Error::io(&old, e))?;
        }
    }
    Ok(())
}

fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok()
}

/// An output path must be what the build replaces: absent, or a directory
/// (`dir`) or a regular file, and never a link.
fn check_replaceable(path: &Path, dir: bool) -> Result<()> {
    let refuse = |message: &str| {
        Err(Error::NotOwned {
            path: path.to_path_buf(),
            message: message.to_owned(),
        })
    };
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
        Ok(m) if m.file_type().is_symlink() => refuse(
            "is a symbolic link; the build replaces its outputs and follows no link: remove it",
        ),
        Ok(m) if dir && !m.is_dir() => {
            refuse("is not a directory; the build writes a directory there: move it away")
        }
        Ok(m) if !dir && !m.is_file() => {
            refuse("is not a regular file; the build writes a file there: move it away")
        }
        Ok(_) => Ok(()),
    }
}

/// `path` (from `book.toml`) relative to `root`, if it stays inside it.
fn relative_inside(root: &Path, path: &Path) -> Option<PathBuf> {
    let rel = if path.is_absolute() {
        path.strip_prefix(root).ok()?
    } else {
        path
    };
    let normal = rel.components().all(|c| matches!(c, Component::Normal(_)));
    (normal && rel.components().next().is_some()).then(|| rel.to_path_buf())
}

/// Whether the files under `dir` differ from `files` (any file added,
/// removed or changed), recording each new or changed file in the report.
fn compare(dir: &Path, files: &BTreeMap<String, Vec<u8>>, report: &mut BuildReport) -> bool {
    let mut changed = false;
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if fs::read(&path).is_ok_and(|old| &old == bytes) {
            report.unchanged += 1;
        } else {
            changed = true;
            report.written.push(path);
        }
    }
    changed || count_files(dir) != files.len()
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            _ => 1,
        })
        .sum()
}

fn write_tree(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    for (rel, bytes) in files {
        write_file(&dir.join(rel), bytes)?;
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// This build's staging directory.
struct Stage {
    dir: PathBuf,
}

impl Stage {
    fn create(root: &Path) -> Result<Stage> {
        // Unique within the process too: tests run builds on threads.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = root.join(format!("{STAGE_PREFIX}{}-{n}", std::process::id()));
        fs::create_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Stage { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes the commit record, flushed to disk before any rename.
    fn record(&self, swaps: &[Swap]) -> Result<()> {
        let path = self.path(RECORD);
        let text: String = swaps
            .iter()
            .map(|s| format!("{}\t{}\n", s.staged, s.live.to_string_lossy()))
            .collect();
        let mut file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(&path, e))
    }

    fn remove(&self) -> Result<()> {
        fs::remove_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))
    }
}

/// Reads a record a killed build left. It is the build's own file, but it is
/// checked like any input: each line names a staged output and a live path
/// inside the project.
fn read_record(path: &Path) -> Result<Vec<Swap>> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let bad = || {
                Error::Site(format!(
                    "{}:{}: expected `<staged name>\\t<path inside the project>`, found {line:?}; \
                     remove the staging directory to discard that build",
                    path.display(),
                    i + 1
                ))
            };
            let (staged, live) = line.split_once('\t').ok_or_else(bad)?;
            let staged_ok = !staged.is_empty()
                && Path::new(staged).components().count() == 1
                && matches!(
                    Path::new(staged).components().next(),
                    Some(Component::Normal(_))
                );
            let live = relative_inside(Path::new(""), Path::new(live)).ok_or_else(bad)?;
            if !staged_ok {
                return Err(bad());
            }
            Ok(Swap {
                staged: staged.to_owned(),
                live,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_the_project_are_outputs() {
        let root = Path::new("/project");
        assert_eq!(
            relative_inside(root, Path::new("book")),
            Some("book".into())
        );
        assert_eq!(
            relative_inside(root, Path::new("/project/site/html")),
            Some("site/html".into())
        );
        for outside in ["../book", "/elsewhere", "", ".", "a/../../b"] {
            assert_eq!(relative_inside(root, Path::new(outside)), None, "{outside}");
        }
    }

    #[test]
    fn a_record_naming_a_path_outside_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join(RECORD);
        fs::write(&record, "site\tbook\nout\tout\n").unwrap();
        assert_eq!(read_record(&record).unwrap().len(), 2);
        for bad in [
            "site\t../etc\n",
            "../x\tbook\n",
            "site book\n",
            "site\t/etc\n",
        ] {
            fs::write(&record, bad).unwrap();
            let err = read_record(&record).unwrap_err().to_string();
            assert!(err.contains("commit-record:1"), "{bad:?}: {err}");
        }
    }
}
