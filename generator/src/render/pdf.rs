//! PDFs compiled in-process with the `typst` crates.
//!
//! The world is closed: every file a document can see is handed over in
//! memory (its Typst source, the style sheet, the chart SVGs), fonts come
//! embedded from `typst-assets`, and "today" is the plan's fixed document
//! date. Nothing is read from the machine, so the same inputs give the same bytes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use super::layout_check::{self, Finding};
use crate::error::{Error, Result};

/// A document to compile: its main Typst source and the other files it may read.
pub struct TypstDocument {
    /// Names the document in errors and seeds the PDF's stable identifier.
    pub name: String,
    pub main: String,
    /// Virtual absolute path (`/figures/x.svg`) → bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// `(year, month, day)` used for `datetime.today()` and the PDF's date.
    pub date: (i32, u8, u8),
}

pub struct Pdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
    /// What a reader sees on each page (see [`page_texts`]).
    pub page_texts: Vec<String>,
    /// The typesetting faults on its pages (see [`layout_check`]).
    pub layout_findings: Vec<Finding>,
    /// Every image as laid out (see [`placed_images`]).
    pub images: Vec<PlacedImage>,
}

/// An image as the layout placed it: its file's bytes and the width it is
/// printed at. What a chart's text measures on paper follows from this width,
/// which the page style decides.
#[derive(Debug, Clone)]
pub struct PlacedImage {
    pub data: Bytes,
    pub width_pt: f64,
}

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .collect();
    let book = FontBook::from_fonts(&fonts);
    Fonts {
        book: LazyHash::new(book),
        fonts,
    }
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

struct ClosedWorld {
    main: FileId,
    sources: BTreeMap<String, Source>,
    files: BTreeMap<String, Bytes>,
    today: Datetime,
}

fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("generated paths are valid");
    FileId::new(RootedPath::new(VirtualRoot::Project, vpath))
}

fn path_of(id: FileId) -> Option<String> {
    // Only the project's own files exist in this world: no packages.
    match id.root() {
        VirtualRoot::Project => Some(id.vpath().get_with_slash().to_owned()),
        VirtualRoot::Package(_) => None,
    }
}

impl World for ClosedWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        let path = path_of(id).ok_or(FileError::AccessDenied)?;
        if let Some(source) = self.sources.get(&path) {
            return Ok(source.clone());
        }
        let bytes = self
            .files
            .get(&path)
            .ok_or_else(|| FileError::NotFound(path.clone().into()))?;
        let text = std::str::from_utf8(bytes).map_err(|_| FileError::InvalidUtf8)?;
        Ok(Source::new(id, text.to_owned()))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = path_of(id).ok_or(FileError::AccessDenied)?;
        if let Some(source) = self.sources.get(&path) {
            return Ok(Bytes::from_string(source.clone()));
        }
        self.files
            .get(&path)
            .cloned()
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// Lays a document out into pages.
pub fn layout(doc: &TypstDocument) -> Result<PagedDocument> {
    let fail = |message: String| Error::Pdf {
        document: doc.name.clone(),
        message,
    };
    let (y, m, d) = doc.date;
    let today = Datetime::from_ymd(y, m, d)
        .ok_or_else(|| fail(format!("invalid document date {y}-{m}-{d}")))?;
    let main = file_id("/main.typ");
    let mut sources = BTreeMap::new();
    sources.insert("/main.typ".to_owned(), Source::new(main, doc.main.clone()));
    let world = ClosedWorld {
        main,
        sources,
        files: doc
            .files
            .iter()
            .map(|(k, v)| (k.clone(), Bytes::new(v.clone())))
            .collect(),
        today,
    };

    let document: PagedDocument = typst::compile(&world).output.map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| {
                let hints: Vec<&str> = e.hints.iter().map(|h| h.v.as_str()).collect();
                if hints.is_empty() {
                    e.message.to_string()
                } else {
                    format!("{} (hint: {})", e.message, hints.join("; "))
                }
            })
            .collect();
        fail(lines.join("\n"))
    })?;
    Ok(document)
}

/// Compiles a document to PDF bytes and reports its page count.
pub fn compile(doc: &TypstDocument) -> Result<Pdf> {
    let fail = |message: String| Error::Pdf {
        document: doc.name.clone(),
        message,
    };
    let document = layout(doc)?;
    let options = PdfOptions {
        ident: Smart::Custom(doc.name.clone()),
        creator: Smart::Custom(Some("specgen".to_owned())),
        timestamp: None,
        ..PdfOptions::default()
    };
    let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| {
        fail(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })?;
    Ok(Pdf {
        bytes,
        pages: document.pages().len(),
        page_texts: page_texts(&document),
        layout_findings: layout_check::check(&document),
        images: placed_images(&document),
    })
}

/// The text of every page in reading order of the layout, one page per line;
/// what a reader of the PDF sees, for tests.
pub fn page_texts(document: &PagedDocument) -> Vec<String> {
    fn walk(frame: &typst::layout::Frame, out: &mut String) {
        for (_, item) in frame.items() {
            match item {
                typst::layout::FrameItem::Group(group) => walk(&group.frame, out),
                typst::layout::FrameItem::Text(text) => {
                    out.push_str(&text.text);
                    out.push(' ');
                }
                _ => {}
            }
        }
    }
    document
        .pages()
        .iter()
        .map(|page| {
            let mut text = String::new();
            walk(&page.frame, &mut text);
            text
        })
        .collect()
}

/// Every image of the document with the width it is printed at, page by page
/// in layout order. A group's transform scales what it holds, so widths are
/// taken through every enclosing one.
pub fn placed_images(document: &PagedDocument) -> Vec<PlacedImage> {
    fn walk(frame: &typst::layout::Frame, scale: f64, out: &mut Vec<PlacedImage>) {
        for (_, item) in frame.items() {
            match item {
                typst::layout::FrameItem::Group(group) => {
                    let t = group.transform;
                    // The length the group's horizontal unit has on the page.
                    let sx = t.sx.get().hypot(t.ky.get());
                    walk(&group.frame, scale * sx, out);
                }
                typst::layout::FrameItem::Image(image, size, _) => {
                    let data = match image.kind() {
                        typst::visualize::ImageKind::Svg(svg) => svg.data().clone(),
                        typst::visualize::ImageKind::Raster(raster) => raster.data().clone(),
                        _ => continue,
                    };
                    out.push(PlacedImage {
                        data,
                        width_pt: size.x.to_pt() * scale,
                    });
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for page in document.pages() {
        walk(&page.frame, 1.0, &mut out);
    }
    out
}
