//! The PDFs: each is a part of `SUMMARY.md`, its chapters converted to Typst
//! and typeset with its own page style. Assembling them is rendering; the
//! build only writes the bytes.

use std::collections::BTreeMap;
use std::path::Path;

use super::charts::Chart;
use super::figures::FIGURE_DIR;
use super::pdf::{self, Pdf, TypstDocument};
use super::typst_markup;
use crate::error::{Error, Result};

/// The PDFs: which part of `SUMMARY.md` each is made of, and its Typst style.
pub const DOCUMENTS: &[PdfDocument] = &[
    PdfDocument {
        part: "Architecture spec",
        file: "architecture-spec.pdf",
        style: "spec.typ",
        title: "Capacity spec",
    },
    PdfDocument {
        part: "Benchmark report",
        file: "benchmark-report.pdf",
        style: "spec.typ",
        title: "Benchmark report",
    },
    PdfDocument {
        part: "CTO readout",
        file: "cto-readout.pdf",
        style: "readout.typ",
        title: "Decision readout",
    },
];

pub struct PdfDocument {
    pub part: &'static str,
    pub file: &'static str,
    pub style: &'static str,
    /// On the cover, in the running header and in the PDF's metadata.
    pub title: &'static str,
}

/// One typeset PDF and the file it goes to.
pub struct RenderedPdf {
    pub file: &'static str,
    pub compiled: Pdf,
    /// Chart file name → the narrowest width it is printed at here, in
    /// points: what its text measures on paper follows from it.
    pub chart_widths: BTreeMap<String, f64>,
}

/// The narrowest width each chart is placed at, by file name. A chart is
/// recognised by its bytes: the layout keeps an image's data, not its path.
fn chart_widths(charts: &[Chart], compiled: &Pdf) -> BTreeMap<String, f64> {
    let mut widths: BTreeMap<String, f64> = BTreeMap::new();
    for placed in &compiled.images {
        let chart = charts
            .iter()
            .find(|c| c.svg.as_bytes() == placed.data.as_slice());
        if let Some(chart) = chart {
            let width = widths
                .entry(chart.file_name.clone())
                .or_insert(placed.width_pt);
            *width = width.min(placed.width_pt);
        }
    }
    widths
}

/// Typesets every document of [`DOCUMENTS`] from the rendered chapters and charts.
pub fn pdfs(
    chapters: &BTreeMap<String, String>,
    charts: &[Chart],
    typst_dir: &Path,
    date: (i32, u8, u8),
    sample: Option<&str>,
) -> Result<Vec<RenderedPdf>> {
    let summary = chapters.get("SUMMARY.md").ok_or_else(|| Error::Template {
        template: "SUMMARY.md".into(),
        message: "spec/templates must have a SUMMARY.md listing the chapters".into(),
    })?;
    let parts = summary_parts(summary);
    let mut sources = Vec::new();
    for doc in DOCUMENTS {
        let files = parts.get(doc.part).ok_or_else(|| Error::Template {
            template: "SUMMARY.md".into(),
            message: format!(
                "no part `# {}` listing the chapters of {}",
                doc.part, doc.file
            ),
        })?;
        let mds = files
            .iter()
            .map(|file| {
                chapters.get(file).ok_or_else(|| Error::Template {
                    template: "SUMMARY.md".into(),
                    message: format!("links `{file}`, which no template renders"),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // Cross-references reach any label of the same PDF, whichever chapter defines it.
        let labels = typst_markup::document_labels(mds.iter().map(|md| md.as_str()));
        let mut body = String::new();
        for md in mds {
            body.push_str(&typst_markup::to_typst_with_labels(md, &labels));
            body.push('\n');
        }
        let mut files_in_world = style_files(typst_dir, doc.style)?;
        files_in_world.extend(charts.iter().map(|c| {
            (
                format!("/{FIGURE_DIR}/{}", c.file_name),
                c.svg.clone().into_bytes(),
            )
        }));
        // Built from the synthetic sample, every page says so.
        let sample = sample.map_or("none".to_owned(), typst_markup::string_literal);
        // A document of one chapter has no contents page: its body starts
        // under the title.
        let contents = if files.len() > 1 { "true" } else { "false" };
        let main = format!(
            "#import \"/style.typ\": conf\n#show: conf.with(title: {}, sample: {sample}, contents: {contents})\n\n{body}",
            typst_markup::string_literal(doc.title)
        );
        sources.push((
            doc.file,
            TypstDocument {
                name: doc.file.trim_end_matches(".pdf").to_owned(),
                main,
                files: files_in_world,
                date,
            },
        ));
    }
    // The spec takes most of the typesetting; the other documents are set
    // beside it. Errors are reported in document order, as one by one.
    let compiled: Vec<Result<pdf::Pdf>> = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .map(|(_, source)| scope.spawn(|| pdf::compile(source)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("typesetting does not panic"))
            .collect()
    });
    sources
        .into_iter()
        .zip(compiled)
        .map(|((file, _), compiled)| {
            let compiled = compiled?;
            Ok(RenderedPdf {
                file,
                chart_widths: chart_widths(charts, &compiled),
                compiled,
            })
        })
        .collect()
}

/// The Typst files a document sees: its page style as `/style.typ`, and
/// every `.typ` of the style directory under its own name, for the style to
/// import (the table rules both styles share).
pub fn style_files(typst_dir: &Path, style: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| Error::io(path, e));
    let mut files = BTreeMap::new();
    let entries = std::fs::read_dir(typst_dir).map_err(|e| Error::io(typst_dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io(typst_dir, e))?.path();
        if path.extension().is_some_and(|e| e == "typ")
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            files.insert(format!("/{name}"), read(&path)?);
        }
    }
    files.insert("/style.typ".into(), read(&typst_dir.join(style))?);
    Ok(files)
}

/// The chapters of each part of an mdBook `SUMMARY.md` (`# Part` lines, then `- [Title](file.md)`).
pub fn summary_parts(summary: &str) -> BTreeMap<String, Vec<String>> {
    let mut parts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for (i, line) in summary.lines().enumerate() {
        let line = line.trim();
        if let Some(title) = line.strip_prefix("# ") {
            // The first heading is the summary's own title, not a part.
            current = (i > 0).then(|| title.trim().to_owned());
            continue;
        }
        if let (Some(part), Some(start)) = (&current, line.find("](")) {
            let rest = &line[start + 2..];
            if let Some(end) = rest.find(')') {
                parts
                    .entry(part.clone())
                    .or_default()
                    .push(rest[..end].to_owned());
            }
        }
    }
    parts
}
