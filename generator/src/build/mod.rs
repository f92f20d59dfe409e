//! `specgen build`: inputs → model → charts → Markdown → PDFs → workbook → site.
//! This module orders the steps and is the only place that writes files;
//! each step itself lives in `model` or `render`.
//!
//! Everything is rendered in memory first; [`commit`] then stages every output,
//! builds the site from the staged Markdown and swaps the whole set in at
//! once, so a bad input, a broken template, a failing site build or a kill
//! never leaves a mix of old and new outputs. An output whose bytes did not
//! change (`spec/src/`, `spec/figures.tsv`, `out/`) is not replaced.

pub mod commit;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::inputs::{self, assumptions::parse_date};
use crate::model;
use crate::render::figures::{self, FIGURE_DIR};
use crate::render::layout_check::Finding;
use crate::render::site::DOWNLOADS_DIR;
use crate::render::{capacity_sheet, documents, figure_list, markdown, workbook};
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
/// The month of the plan `just bench` replays (see `inputs::bench_plan`).
pub const BENCH_PLAN_FILE: &str = "data/bench/plan.tsv";

/// The list of files the build wrote under `spec/src/` (committed) or `out/`,
/// one relative path a line: the only files a later build may replace or
/// remove there.
pub const MANIFEST: &str = ".specgen-manifest";

#[derive(Debug, Default)]
pub struct BuildReport {
    pub written: Vec<PathBuf>,
    pub unchanged: usize,
    pub pdf_pages: Vec<(String, usize)>,
    /// Typesetting faults of the PDFs, by file: warnings, since the PDFs are
    /// still written (the tests hold every data set to none).
    pub layout_findings: Vec<(String, Finding)>,
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
        for (name, finding) in &self.layout_findings {
            writeln!(f, "warning: {name}: {finding}")?;
        }
        writeln!(f, "built in {:.2} s", self.elapsed.as_secs_f64())
    }
}

/// Every output file of a build, rendered but not yet written.
pub struct Rendered {
    /// Path relative to `spec/src/` → content.
    pub book_src: BTreeMap<String, Vec<u8>>,
    /// Single files by path relative to the root → content: the figures
    /// file, and the plan the prototype replays.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Path relative to `out/` → content.
    pub out: BTreeMap<String, Vec<u8>>,
    pub pdf_pages: Vec<(String, usize)>,
    /// PDF file name → the text of each page, for checks on what a reader sees.
    pub pdf_texts: BTreeMap<String, Vec<String>>,
    /// PDF file name → the typesetting faults the layout check found.
    pub pdf_layout: BTreeMap<String, Vec<Finding>>,
    /// PDF file name → chart file name → the width it is printed at, in points.
    pub pdf_chart_widths: BTreeMap<String, BTreeMap<String, f64>>,
}

pub fn build(root: &Path) -> Result<BuildReport> {
    build_with(root, &mut |_| {})
}

/// [`build`], calling `at` at each step of the commit (tests stop a build there).
pub fn build_with(root: &Path, at: &mut dyn FnMut(commit::Step)) -> Result<BuildReport> {
    let started = Instant::now();
    let layout = Layout {
        root: root.to_path_buf(),
    };
    let rendered = render(&layout)?;
    let mut report = BuildReport {
        pdf_pages: rendered.pdf_pages.clone(),
        layout_findings: rendered
            .pdf_layout
            .iter()
            .flat_map(|(name, findings)| findings.iter().map(|f| (name.clone(), f.clone())))
            .collect(),
        ..BuildReport::default()
    };
    commit::commit(root, &rendered, &mut report, at)?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Everything a build makes before its typesetting: the model, its charts,
/// the workbook's sheet and CSVs, the view and the Markdown chapters.
pub struct Draft {
    pub model: model::Model,
    pub charts: Vec<crate::render::charts::Chart>,
    pub sheet: workbook::WorkbookModel,
    pub csvs: Vec<(String, Vec<u8>)>,
    pub view: view::View,
    pub chapters: BTreeMap<String, String>,
}

/// Runs the model on loaded inputs and renders what the documents print.
pub fn draft(layout: &Layout, inputs: &inputs::Inputs) -> Result<Draft> {
    let model = model::run(inputs);
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
    let sheet = capacity_sheet::build(inputs, &model);
    let csvs = workbook::to_csv(&sheet)?;
    let view = view::build(
        inputs,
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
    Ok(Draft {
        model,
        charts,
        sheet,
        csvs,
        view,
        chapters,
    })
}

/// Runs the whole pipeline in memory.
pub fn render(layout: &Layout) -> Result<Rendered> {
    let inputs = inputs::load(&layout.data())?;
    let date = parse_date(&inputs.assumptions.plan.document_date).expect("validated on load");
    let Draft {
        model,
        charts,
        sheet,
        csvs,
        view,
        chapters,
        ..
    } = draft(layout, &inputs)?;

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
    let mut pdf_layout = BTreeMap::new();
    let mut pdf_chart_widths = BTreeMap::new();
    let sample = inputs.sample_written_by();
    for pdf in documents::pdfs(&chapters, &charts, &layout.typst(), date, sample)? {
        pdf_pages.push((pdf.file.to_owned(), pdf.compiled.pages));
        pdf_texts.insert(pdf.file.to_owned(), pdf.compiled.page_texts);
        pdf_layout.insert(pdf.file.to_owned(), pdf.compiled.layout_findings);
        pdf_chart_widths.insert(pdf.file.to_owned(), pdf.chart_widths);
        out.insert(pdf.file.to_owned(), pdf.compiled.bytes);
    }

    out.insert(WORKBOOK_FILE.to_owned(), workbook::to_xlsx(&sheet, date)?);
    for (name, bytes) in csvs {
        out.insert(format!("csv/{name}"), bytes);
    }
    let mut files = BTreeMap::from([(
        format!("spec/{}", figure_list::FILE),
        figure_list::to_tsv(&figure_list::from_view(&view)).into_bytes(),
    )]);
    // The month of the plan the prototype replays, beside its scenarios.
    if let Some(plan) = &model.bench_plan
        && layout.data().join("bench").is_dir()
    {
        files.insert(BENCH_PLAN_FILE.to_owned(), plan.to_tsv().into_bytes());
    }
    Ok(Rendered {
        book_src,
        files,
        out,
        pdf_pages,
        pdf_texts,
        pdf_layout,
        pdf_chart_widths,
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

/// `files` with the manifest that lists them, as the build writes a directory.
fn with_manifest(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let mut all = files.clone();
    let list: String = files.keys().map(|k| format!("{k}\n")).collect();
    all.insert(MANIFEST.to_owned(), list.into_bytes());
    all
}

/// Checks that everything under `dir` (`spec/src/` or `out/`, which a build
/// replaces whole) is the build's to replace: the files of the previous
/// build's manifest and the ones this build writes. Nothing is followed: a
/// symbolic link anywhere (or `dir` being one), or a file the build did not
/// write, stops the build before it commits, naming the path.
fn check_owned(dir: &Path, label: &str, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    let not_owned = |path: &Path, message: &str| Error::NotOwned {
        path: path.to_path_buf(),
        message: message.to_owned(),
    };
    let link = format!("is a symbolic link; the build follows no link in {label}: remove it");
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(dir, e)),
        Ok(m) if m.file_type().is_symlink() => return Err(not_owned(dir, &link)),
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
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))? {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_symlink() {
                return Err(not_owned(&path, &link));
            } else if kind.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                let ours = rel == MANIFEST || previous.contains(&rel) || files.contains_key(&rel);
                if !kind.is_file() || !ours {
                    return Err(not_owned(
                        &path,
                        &format!(
                            "was not written by specgen (not in {MANIFEST}); \
                             move it out of {label}, which holds generated files only"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}
