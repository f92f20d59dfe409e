//! `specgen build`: inputs → model → charts → Markdown → PDFs → workbook → site.
//! This module orders the steps and is the only place that writes files;
//! each step itself lives in `model` or `render`.
//!
//! Everything is rendered in memory first and written only when every step
//! has succeeded, so a bad input or a broken template never leaves partial
//! output over the previous good one. Files whose bytes did not change are
//! not rewritten.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::inputs::{self, assumptions::parse_date};
use crate::model;
use crate::render::figures::{self, FIGURE_DIR};
use crate::render::site::DOWNLOADS_DIR;
use crate::render::{capacity_sheet, documents, figure_list, markdown, site, workbook};
use crate::view::{self, Download, Downloads};

/// Where things live, relative to the project root.
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn templates(&self) -> PathBuf {
        self.root.join("spec/templates")
    }
    pub fn typst(&self) -> PathBuf {
        self.root.join("spec/typst")
    }
    /// The generated Markdown book source (committed).
    pub fn book_src(&self) -> PathBuf {
        self.root.join("spec/src")
    }
    /// PDFs, the workbook and CSVs (not committed).
    pub fn out(&self) -> PathBuf {
        self.root.join("out")
    }
    /// The figures file and the Markdown's parent (committed).
    pub fn spec(&self) -> PathBuf {
        self.root.join("spec")
    }
}

pub const WORKBOOK_FILE: &str = "capacity-model.xlsx";

/// The list of files the build wrote under `spec/src/`, one relative path a
/// line (committed): the only files a later build may replace or remove there.
pub const MANIFEST: &str = ".specgen-manifest";
/// The extension of a file being written, before it is renamed into place.
const TMP_EXTENSION: &str = "tmp-specgen";

#[derive(Debug)]
pub struct BuildReport {
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
    pub pdf_pages: Vec<(String, usize)>,
    pub elapsed: Duration,
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for path in &self.written {
            writeln!(f, "wrote {}", path.display())?;
        }
        writeln!(
            f,
            "{} file(s) written, {} unchanged",
            self.written.len(),
            self.unchanged
        )?;
        for (name, pages) in &self.pdf_pages {
            writeln!(f, "{name}: {pages} page(s)")?;
        }
        writeln!(f, "built in {:.2} s", self.elapsed.as_secs_f64())
    }
}

/// Every output file of a build, rendered but not yet written.
pub struct Rendered {
    /// Path relative to `spec/src/` → content.
    pub book_src: BTreeMap<String, Vec<u8>>,
    /// Path relative to `spec/` → content: the figures file.
    pub spec: BTreeMap<String, Vec<u8>>,
    /// Path relative to `out/` → content.
    pub out: BTreeMap<String, Vec<u8>>,
    pub pdf_pages: Vec<(String, usize)>,
    /// PDF file name → the text of each page, for checks on what a reader sees.
    pub pdf_texts: BTreeMap<String, Vec<String>>,
}

pub fn build(root: &Path) -> Result<BuildReport> {
    let started = Instant::now();
    let layout = Layout {
        root: root.to_path_buf(),
    };
    let rendered = render(&layout)?;
    let mut report = BuildReport {
        written: Vec::new(),
        unchanged: 0,
        pdf_pages: rendered.pdf_pages.clone(),
        elapsed: Duration::ZERO,
    };
    let owned = owned_book_src(&layout.book_src(), &rendered.book_src)?;
    let mut book_src = rendered.book_src.clone();
    book_src.insert(
        MANIFEST.to_owned(),
        manifest(&rendered.book_src).into_bytes(),
    );
    write_tree(&layout.book_src(), &book_src, &mut report)?;
    for stale in owned.difference(&book_src.keys().cloned().collect()) {
        let path = layout.book_src().join(stale);
        std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    write_tree(&layout.spec(), &rendered.spec, &mut report)?;
    write_tree(&layout.out(), &rendered.out, &mut report)?;
    let site_dir = site::build(&layout.root)?;
    // mdBook copies every file of spec/src beside the pages; the manifest is
    // the build's bookkeeping, not part of the site.
    let copied = site_dir.join(MANIFEST);
    if copied.is_file() {
        std::fs::remove_file(&copied).map_err(|e| Error::io(&copied, e))?;
    }
    // The site carries the downloads: the same bytes as out/, beside the pages.
    // mdBook rebuilds the whole site each time, so, like its pages, they are
    // not counted among the files written.
    let mut site_files = BuildReport {
        written: Vec::new(),
        unchanged: 0,
        pdf_pages: Vec::new(),
        elapsed: Duration::ZERO,
    };
    write_tree(
        &site_dir.join(DOWNLOADS_DIR),
        &rendered.out,
        &mut site_files,
    )?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Runs the whole pipeline in memory.
pub fn render(layout: &Layout) -> Result<Rendered> {
    let inputs = inputs::load(&layout.data())?;
    let model = model::run(&inputs);
    let date = parse_date(&inputs.assumptions.plan.document_date).expect("validated on load");

    let charts = figures::all(&model, &inputs.architecture, inputs.bench.as_ref())?;
    let figure_paths: BTreeMap<String, String> = charts
        .iter()
        .map(|c| {
            (
                c.file_name.trim_end_matches(".svg").to_owned(),
                format!("{FIGURE_DIR}/{}", c.file_name),
            )
        })
        .collect();
    let sheet = capacity_sheet::build(&inputs, &model);
    let csvs = workbook::to_csv(&sheet)?;
    let view = view::build(
        &inputs,
        &model,
        &figure_paths,
        downloads(csvs.iter().map(|(name, _)| name.as_str())),
    )?;
    let tera_context = tera::Context::from_serialize(&view).map_err(|e| Error::Template {
        template: "view".into(),
        message: e.to_string(),
    })?;
    let tera = markdown::load(&layout.templates())?;
    let chapters = markdown::render_all(&tera, &tera_context)?;

    let mut book_src: BTreeMap<String, Vec<u8>> = chapters
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
        .collect();
    for chart in &charts {
        book_src.insert(
            format!("{FIGURE_DIR}/{}", chart.file_name),
            chart.svg.clone().into_bytes(),
        );
    }

    let mut out = BTreeMap::new();
    let mut pdf_pages = Vec::new();
    let mut pdf_texts = BTreeMap::new();
    for pdf in documents::pdfs(&chapters, &charts, &layout.typst(), date)? {
        pdf_pages.push((pdf.file.to_owned(), pdf.compiled.pages));
        pdf_texts.insert(pdf.file.to_owned(), pdf.compiled.page_texts);
        out.insert(pdf.file.to_owned(), pdf.compiled.bytes);
    }

    out.insert(WORKBOOK_FILE.to_owned(), workbook::to_xlsx(&sheet, date)?);
    for (name, bytes) in csvs {
        out.insert(format!("csv/{name}"), bytes);
    }
    let spec = BTreeMap::from([(
        figure_list::FILE.to_owned(),
        figure_list::to_tsv(&figure_list::from_view(&view)).into_bytes(),
    )]);
    Ok(Rendered {
        book_src,
        spec,
        out,
        pdf_pages,
        pdf_texts,
    })
}

/// What the Downloads page links: the PDFs, the workbook and the CSVs, at the
/// paths under the site's `downloads/` where [`build`] copies `out/`.
pub fn downloads<'a>(csv_files: impl Iterator<Item = &'a str>) -> Downloads {
    let at = |file: &str| format!("{DOWNLOADS_DIR}/{file}");
    Downloads {
        documents: documents::DOCUMENTS
            .iter()
            .map(|d| Download {
                title: d.part.to_owned(),
                path: at(d.file),
            })
            .collect(),
        workbook: Download {
            title: "Capacity model".to_owned(),
            path: at(WORKBOOK_FILE),
        },
        csvs: csv_files
            .map(|name| Download {
                title: name.trim_end_matches(".csv").to_owned(),
                path: at(&format!("csv/{name}")),
            })
            .collect(),
    }
}

/// Writes `files` under `dir`, skipping identical files.
fn write_tree(
    dir: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    report: &mut BuildReport,
) -> Result<()> {
    for (rel, bytes) in files {
        let path = dir.join(rel);
        if std::fs::read(&path).is_ok_and(|old| &old == bytes) {
            report.unchanged += 1;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        // Write beside, then rename: a reader never sees a half-written file.
        let tmp = path.with_extension(TMP_EXTENSION);
        std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        report.written.push(path);
    }
    Ok(())
}

fn manifest(files: &BTreeMap<String, Vec<u8>>) -> String {
    files.keys().map(|k| format!("{k}\n")).collect()
}

/// Checks that everything under `spec/src/` is the build's to replace: the
/// files of the previous build's manifest and the ones this build writes.
/// Nothing is followed: a symbolic link anywhere (or `spec/src/` being one),
/// or a file the build did not write, stops the build before it writes,
/// naming the path. Returns the previous build's files (relative paths),
/// which it may remove.
fn owned_book_src(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<BTreeSet<String>> {
    let not_owned = |path: &Path, message: &str| Error::NotOwned {
        path: path.to_path_buf(),
        message: message.to_owned(),
    };
    let link = "is a symbolic link; the build follows no link in spec/src: remove it";
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(Error::io(dir, e)),
        Ok(m) if m.file_type().is_symlink() => return Err(not_owned(dir, link)),
        Ok(m) if !m.is_dir() => return Err(not_owned(dir, "is not a directory")),
        Ok(_) => {}
    }
    let manifest_path = dir.join(MANIFEST);
    let previous: BTreeSet<String> = match std::fs::symlink_metadata(&manifest_path) {
        Ok(m) if m.is_file() => std::fs::read_to_string(&manifest_path)
            .map_err(|e| Error::io(&manifest_path, e))?
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        Ok(_) => return Err(not_owned(&manifest_path, "is not a regular file")),
        Err(_) => BTreeSet::new(),
    };
    let mut found = BTreeSet::new();
    let mut leftovers = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_symlink() {
                return Err(not_owned(&path, link));
            } else if kind.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                // A write the build began and never renamed (it was killed):
                // the temporary file of one of its own files, safe to remove.
                let unfinished = Path::new(&rel).extension() == Some(TMP_EXTENSION.as_ref())
                    && previous
                        .iter()
                        .chain(files.keys())
                        .any(|f| Path::new(f).with_extension(TMP_EXTENSION) == Path::new(&rel));
                if unfinished {
                    leftovers.insert(rel);
                    continue;
                }
                let ours = rel == MANIFEST || previous.contains(&rel) || files.contains_key(&rel);
                if !kind.is_file() || !ours {
                    return Err(not_owned(
                        &path,
                        &format!(
                            "was not written by specgen (not in {MANIFEST}); \
                             move it out of spec/src, which holds generated files only"
                        ),
                    ));
                }
                found.insert(rel);
            }
        }
    }
    let mut removable: BTreeSet<String> = previous.intersection(&found).cloned().collect();
    removable.extend(leftovers);
    Ok(removable)
}
