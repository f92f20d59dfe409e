//! A check of the typeset pages, over Typst's laid-out frames: the faults a
//! reader sees on paper (text in the margin or over other text, a caption on
//! another page than its table, print too small to read) found in the layout
//! itself, so that a style or a data set that causes one fails a test instead
//! of waiting for someone to look at every page.
//!
//! The check reads positions and font sizes only; it knows nothing of the
//! Markdown or of the style beyond the content area the style declares as
//! `#metadata((left: .., right: .., top: .., bottom: ..)) <page-margin>`.
//! Charts are SVG images, so their labels are not Typst text and are not
//! checked here.

use std::collections::BTreeSet;
use std::fmt;

use typst::foundations::{Content, Value};
use typst::introspection::{Location, MetadataElem, Tag};
use typst::layout::{Abs, Frame, FrameItem, Point, Transform};
use typst::model::{FigureCaption, FigureElem};
use typst_layout::PagedDocument;

/// Below this, print is too small to read on paper.
pub const MIN_TEXT_PT: f64 = 7.0;

/// The label of the metadata that declares the page margins.
pub const MARGIN_LABEL: &str = "page-margin";

/// A page between the first and the last may end this share of its content
/// height early: more is a page left partly blank before what follows.
pub const MAX_EMPTY_SHARE: f64 = 1.0 / 3.0;

/// How far two boxes may touch without counting as overlapping: kerning and
/// rounding put neighbouring runs a hair into each other.
const TOUCH_PT: f64 = 0.3;

/// How far a line may reach into a side margin, in ems of its text: Typst
/// lets a line's final stop, comma or hyphen hang out a little (optical
/// margin alignment), which is typesetting, not overflow.
const OVERHANG_EM: f64 = 0.3;

/// One fault, on one page (counted from 1), naming the text involved.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub page: usize,
    pub fault: Fault,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Text outside the content area, not in the running header or footer.
    OutsideContentArea { text: String },
    /// Two runs of text drawn over each other.
    Overlap { text: String, other: String },
    /// A figure's caption on a page that holds none of its body.
    StrandedCaption { caption: String },
    /// Text smaller than [`MIN_TEXT_PT`].
    TinyText { text: String, size_pt: f64 },
    /// A page, neither the first nor the last, whose text and images end
    /// more than [`MAX_EMPTY_SHARE`] of the content height above its foot.
    Underfilled { empty_share: f64 },
    /// The style declared no `<page-margin>`, so the content area is unknown.
    NoMargins,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let page = self.page;
        match &self.fault {
            Fault::OutsideContentArea { text } => {
                write!(f, "page {page}: `{text}` runs outside the content area")
            }
            Fault::Overlap { text, other } => {
                write!(f, "page {page}: `{text}` overlaps `{other}`")
            }
            Fault::StrandedCaption { caption } => write!(
                f,
                "page {page}: caption `{caption}` is on a page without its figure"
            ),
            Fault::TinyText { text, size_pt } => {
                write!(f, "page {page}: `{text}` is set at {size_pt:.1} pt")
            }
            Fault::Underfilled { empty_share } => write!(
                f,
                "page {page}: the last {:.0}% of the page is left blank",
                empty_share * 100.0
            ),
            Fault::NoMargins => write!(
                f,
                "the style declares no <{MARGIN_LABEL}> metadata, so no content area to check"
            ),
        }
    }
}

/// An axis-aligned box on the page, in points, y downwards.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 + TOUCH_PT < o.x1
            && o.x0 + TOUCH_PT < self.x1
            && self.y0 + TOUCH_PT < o.y1
            && o.y0 + TOUCH_PT < self.y1
    }
}

/// A run of text as it sits on the page.
struct Run {
    text: String,
    rect: Rect,
    size_pt: f64,
}

/// The page margins in points.
#[derive(Debug, Clone, Copy)]
struct Margins {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
}

/// A figure between its start and end tags: the pages its caption and its
/// body put visible items on.
struct OpenFigure {
    location: Location,
    caption: Option<Location>,
    caption_text: String,
    caption_pages: BTreeSet<usize>,
    body_pages: BTreeSet<usize>,
}

/// What one walk over the document collects.
#[derive(Default)]
struct Walk {
    pages: Vec<Vec<Run>>,
    /// Each page's height in points.
    heights: Vec<f64>,
    /// How far down each page its body's text and images reach, in points.
    ink_bottom: Vec<f64>,
    margins: Option<Margins>,
    open: Vec<OpenFigure>,
    findings: Vec<Finding>,
}

/// Every fault of the laid-out document, page by page.
pub fn check(document: &PagedDocument) -> Vec<Finding> {
    let mut walk = Walk::default();
    for (i, page) in document.pages().iter().enumerate() {
        walk.pages.push(Vec::new());
        walk.heights.push(page.frame.height().to_pt());
        walk.ink_bottom.push(0.0);
        walk.frame(i, &page.frame, Transform::identity());
    }
    let mut findings = std::mem::take(&mut walk.findings);
    let Some(margins) = walk.margins else {
        findings.insert(
            0,
            Finding {
                page: 1,
                fault: Fault::NoMargins,
            },
        );
        return findings;
    };
    for (i, (runs, page)) in walk.pages.iter().zip(document.pages()).enumerate() {
        let size = page.frame.size();
        let (width, height) = (size.x.to_pt(), size.y.to_pt());
        let page = i + 1;
        for run in runs {
            if outside(
                &run.rect,
                run.size_pt * OVERHANG_EM,
                &margins,
                width,
                height,
            ) {
                findings.push(Finding {
                    page,
                    fault: Fault::OutsideContentArea {
                        text: run.text.clone(),
                    },
                });
            }
            if run.size_pt < MIN_TEXT_PT - 1e-6 {
                findings.push(Finding {
                    page,
                    fault: Fault::TinyText {
                        text: run.text.clone(),
                        size_pt: run.size_pt,
                    },
                });
            }
        }
        for (a, run) in runs.iter().enumerate() {
            for other in &runs[a + 1..] {
                if run.rect.overlaps(&other.rect) {
                    findings.push(Finding {
                        page,
                        fault: Fault::Overlap {
                            text: run.text.clone(),
                            other: other.text.clone(),
                        },
                    });
                }
            }
        }
    }
    // Pages between the first (a title, a contents) and the last (where a
    // document ends where it ends) run to their foot, or near it.
    let last = walk.pages.len().saturating_sub(1);
    for (i, (&bottom, &height)) in walk.ink_bottom.iter().zip(&walk.heights).enumerate() {
        let content = height - margins.top - margins.bottom;
        let empty_share = (height - margins.bottom - bottom) / content;
        if i > 0 && i < last && empty_share > MAX_EMPTY_SHARE {
            findings.push(Finding {
                page: i + 1,
                fault: Fault::Underfilled { empty_share },
            });
        }
    }
    findings.sort_by_key(|f| f.page);
    findings
}

/// Whether text leaves the content area. Text wholly in the top or bottom
/// margin is the running header or the page number and is left alone; text
/// in a side margin (beyond `overhang`), or reaching from the body into the
/// top or bottom margin, is not.
fn outside(r: &Rect, overhang: f64, m: &Margins, width: f64, height: f64) -> bool {
    let in_header = r.y1 <= m.top + TOUCH_PT;
    let in_footer = r.y0 >= height - m.bottom - TOUCH_PT;
    let sides = r.x0 < m.left - overhang || r.x1 > width - m.right + overhang;
    let ends = r.y0 < m.top - TOUCH_PT || r.y1 > height - m.bottom + TOUCH_PT;
    sides || (ends && !in_header && !in_footer)
}

impl Walk {
    /// Walks a frame in document order, with `ts` taking its coordinates to the page's.
    fn frame(&mut self, page: usize, frame: &Frame, ts: Transform) {
        for (pos, item) in frame.items() {
            match item {
                FrameItem::Group(group) => {
                    let ts = ts
                        .pre_concat(Transform::translate(pos.x, pos.y))
                        .pre_concat(group.transform);
                    self.frame(page, &group.frame, ts);
                }
                FrameItem::Text(text) => {
                    let metrics = text.font.metrics();
                    let size = text.size;
                    // Glyphs reach from the cap height above the baseline to
                    // the baseline; ascenders and descenders stay out so that
                    // lines set close together do not count as touching.
                    let top = -metrics.cap_height.at(size);
                    let corners = [
                        Point::new(Abs::zero(), top),
                        Point::new(text.width(), Abs::zero()),
                    ]
                    .map(|p| (*pos + p).transform(ts));
                    let rect = Rect {
                        x0: corners[0].x.to_pt().min(corners[1].x.to_pt()),
                        y0: corners[0].y.to_pt().min(corners[1].y.to_pt()),
                        x1: corners[0].x.to_pt().max(corners[1].x.to_pt()),
                        y1: corners[0].y.to_pt().max(corners[1].y.to_pt()),
                    };
                    // A scaled group (a chart drawn as text) scales its print too.
                    let scale = (ts.sx.get() * ts.sy.get() - ts.kx.get() * ts.ky.get())
                        .abs()
                        .sqrt();
                    // The running header and footer of a page a figure ends
                    // on are walked before its end: they are no part of it.
                    if !self.in_marginal(page, &rect) {
                        self.visible(page, Some(text.text.as_str()));
                        self.ink(page, rect.y1);
                    }
                    self.pages[page].push(Run {
                        text: text.text.to_string(),
                        rect,
                        size_pt: size.to_pt() * scale,
                    });
                }
                FrameItem::Image(_, size, _) => {
                    self.visible(page, None);
                    let foot = (*pos + Point::new(size.x, size.y)).transform(ts);
                    self.ink(page, foot.y.to_pt());
                }
                FrameItem::Tag(Tag::Start(content, _)) => self.start(page, content),
                FrameItem::Tag(Tag::End(location, ..)) => self.end(page, *location),
                FrameItem::Shape(..) | FrameItem::Link(..) => {}
            }
        }
    }

    fn ink(&mut self, page: usize, y: f64) {
        self.ink_bottom[page] = self.ink_bottom[page].max(y);
    }

    /// Whether a box lies wholly in the top or bottom margin of its page.
    fn in_marginal(&self, page: usize, r: &Rect) -> bool {
        let (Some(m), Some(&height)) = (self.margins, self.heights.get(page)) else {
            return false;
        };
        r.y1 <= m.top + TOUCH_PT || r.y0 >= height - m.bottom - TOUCH_PT
    }

    /// Text or an image: part of the innermost open figure's caption or body.
    fn visible(&mut self, page: usize, text: Option<&str>) {
        if let Some(figure) = self.open.last_mut() {
            if figure.caption.is_some() {
                figure.caption_pages.insert(page);
                if let Some(text) = text {
                    figure.caption_text.push_str(text);
                    figure.caption_text.push(' ');
                }
            } else {
                figure.body_pages.insert(page);
            }
        }
    }

    fn start(&mut self, _page: usize, content: &Content) {
        if content.is::<FigureElem>() {
            if let Some(location) = content.location() {
                self.open.push(OpenFigure {
                    location,
                    caption: None,
                    caption_text: String::new(),
                    caption_pages: BTreeSet::new(),
                    body_pages: BTreeSet::new(),
                });
            }
        } else if content.is::<FigureCaption>() {
            if let Some(figure) = self.open.last_mut() {
                figure.caption = content.location();
            }
        } else if let Some(meta) = content.to_packed::<MetadataElem>()
            && content
                .label()
                .is_some_and(|l| l.resolve().as_str() == MARGIN_LABEL)
        {
            self.margins = margins(&meta.value);
        }
    }

    fn end(&mut self, _page: usize, location: Location) {
        let Some(figure) = self.open.last_mut() else {
            return;
        };
        if figure.caption == Some(location) {
            figure.caption = None;
        } else if figure.location == location {
            let figure = self.open.pop().expect("an open figure");
            // A caption that shares no page with its body stands alone; a
            // figure without a body (an empty table) has nothing to be kept with.
            if let Some(&page) = figure.caption_pages.first()
                && !figure.body_pages.is_empty()
                && figure.body_pages.is_disjoint(&figure.caption_pages)
            {
                self.findings.push(Finding {
                    page: page + 1,
                    fault: Fault::StrandedCaption {
                        caption: shorten(figure.caption_text.trim()),
                    },
                });
            }
        }
    }
}

/// The margins from the style's `(left: .., right: .., top: .., bottom: ..)`.
fn margins(value: &Value) -> Option<Margins> {
    let Value::Dict(dict) = value else {
        return None;
    };
    let side = |key: &str| match dict.get(key).ok()? {
        Value::Length(length) => Some(length.abs.to_pt()),
        _ => None,
    };
    Some(Margins {
        left: side("left")?,
        right: side("right")?,
        top: side("top")?,
        bottom: side("bottom")?,
    })
}

/// A caption's first words, enough to find it.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}
