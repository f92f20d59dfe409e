//! Markdown → Typst markup, over `pulldown-cmark` events.
//!
//! The spec is written once, as Markdown (for the site); the PDFs are the same
//! Markdown converted here. Structural elements become Typst function calls
//! (`#list`, `#table`, `#figure`, ...) rather than Typst's own markup shorthands,
//! because a call has no line-start or adjacency rules to trip over; every
//! embedded call ends in `;` so text that follows can never extend it. All
//! ASCII punctuation in text is escaped, so text always comes out literally.
//!
//! Conventions beyond plain Markdown (all harmless on the site):
//!
//! - a paragraph right after a table that starts with `Table: ` is the
//!   table's caption: the table becomes a numbered table figure;
//! - an image's title is its label: `![Caption](figures/x.svg "fig-x")`
//!   becomes a numbered figure labelled `<fig-x>`;
//! - a heading's id (`## Kafka sizing {#kafka-sizing}`) is its label;
//! - an internal link with a fragment (`kafka.md#kafka-sizing`,
//!   `#fig-x`) whose label the document defines becomes a link plus a
//!   reference, "Kafka sizing (Section 6.1)"; other internal links are text;
//! - an HTML block `<!-- pagebreak -->` is a page break; other HTML is dropped;
//! - lines from `<!-- site-only -->` to `<!-- /site-only -->` are left out:
//!   detail tables the site carries and the page budget of a PDF does not;
//! - a table of more than [`PDF_MAX_ROWS`] body rows keeps its first rows,
//!   and its caption says the site lists every row;
//! - every table ends in a `table.hline()`, the foot rule of the booktabs
//!   rules the page styles draw.

use std::collections::{BTreeMap, BTreeSet};

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Characters with a meaning somewhere in Typst markup (markup, shorthands,
/// comments, labels, references, smart quotes, math, auto-links).
const SPECIAL: &[char] = &[
    '\\', '#', '$', '@', '<', '>', '*', '_', '[', ']', '~', '"', '\'', '`', '/', '-', '=', '+',
    '.', ':',
];

/// Starts a paragraph that is a table's caption.
pub const CAPTION_PREFIX: &str = "Table: ";

/// The one HTML block that means something in a PDF: `<!-- pagebreak -->`.
fn is_pagebreak(html: &str) -> bool {
    html.trim()
        .strip_prefix("<!--")
        .and_then(|c| c.strip_suffix("-->"))
        .is_some_and(|c| c.trim() == "pagebreak")
}

const SITE_ONLY_OPEN: &str = "<!-- site-only -->";
const SITE_ONLY_CLOSE: &str = "<!-- /site-only -->";

/// The Markdown a PDF shows: without its site-only regions (marker lines
/// included). An unclosed region runs to the end of the chapter.
pub fn pdf_view(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut site_only = false;
    for line in markdown.split_inclusive('\n') {
        match line.trim() {
            SITE_ONLY_OPEN => site_only = true,
            SITE_ONLY_CLOSE => site_only = false,
            _ if !site_only => out.push_str(line),
            _ => {}
        }
    }
    out
}

/// Marks where a footnote reference goes until all definitions are known.
const FOOTNOTE_OPEN: char = '\u{E000}';
const FOOTNOTE_CLOSE: char = '\u{E001}';

pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Escapes text for Typst markup so that it renders literally.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Quotes text as a Typst string literal.
pub fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Whether `id` can be written as a Typst label literal (`<id>`).
fn is_label(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// The label of an image: its title, when that is a valid label.
fn image_label(title: &str) -> Option<String> {
    let title = title.trim();
    is_label(title).then(|| title.to_owned())
}

/// The label an internal link points at: the fragment of a non-external URL.
fn link_target(url: &str) -> Option<&str> {
    if is_external(url) {
        return None;
    }
    let (_, fragment) = url.split_once('#')?;
    is_label(fragment).then_some(fragment)
}

/// Labels a Markdown document defines (heading ids, image titles), in order,
/// with repeats.
fn defined_labels(markdown: &str, out: &mut Vec<String>) {
    for event in Parser::new_ext(markdown, markdown_options()) {
        match event {
            Event::Start(Tag::Heading { id: Some(id), .. }) if is_label(&id) => {
                out.push(id.to_string());
            }
            Event::Start(Tag::Image { title, .. }) => out.extend(image_label(&title)),
            _ => {}
        }
    }
}

/// The labels one Markdown document defines exactly once: heading ids
/// (`{#id}`) and image titles. Only these can be referenced.
pub fn labels(markdown: &str) -> BTreeSet<String> {
    document_labels([markdown])
}

/// The labels defined exactly once across the chapters of one document
/// (a label defined twice cannot be referenced in Typst).
pub fn document_labels<'a>(chapters: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut all = Vec::new();
    for md in chapters {
        defined_labels(&pdf_view(md), &mut all);
    }
    let mut once = BTreeSet::new();
    let mut twice = BTreeSet::new();
    for label in all {
        if !once.insert(label.clone()) {
            twice.insert(label);
        }
    }
    &once - &twice
}

enum Frame {
    Root,
    Paragraph {
        /// The raw text the paragraph starts with, while it is only text.
        lead: Option<String>,
        /// The table this paragraph may caption.
        after_table: Option<PdfTable>,
    },
    Heading {
        level: usize,
        id: Option<String>,
    },
    BlockQuote,
    CodeBlock {
        lang: Option<String>,
    },
    List {
        start: Option<u64>,
        loose: bool,
    },
    Item,
    Table {
        align: Vec<Alignment>,
        header: Vec<String>,
        cells: Vec<String>,
    },
    TableHead,
    TableRow,
    TableCell,
    Emphasis,
    Strong,
    Strikethrough,
    Link {
        url: String,
    },
    Image {
        url: String,
        label: Option<String>,
    },
    Footnote {
        label: String,
    },
    HtmlBlock {
        html: String,
    },
    Skip,
}

struct Converter<'l> {
    stack: Vec<(Frame, String)>,
    footnotes: BTreeMap<String, String>,
    /// Labels the whole document defines; links to others stay text.
    labels: &'l BTreeSet<String>,
    /// A table just closed, waiting to see whether a caption follows.
    pending_table: Option<PdfTable>,
}

/// Converts a Markdown document to Typst markup; links can reference the
/// labels this document defines.
pub fn to_typst(markdown: &str) -> String {
    to_typst_with_labels(markdown, &labels(markdown))
}

/// Converts one chapter of a larger document to Typst markup; links can
/// reference `labels`, the labels the whole document defines (see
/// [`document_labels`]).
pub fn to_typst_with_labels(markdown: &str, labels: &BTreeSet<String>) -> String {
    let mut c = Converter {
        stack: vec![(Frame::Root, String::new())],
        footnotes: BTreeMap::new(),
        labels,
        pending_table: None,
    };
    let markdown = pdf_view(markdown);
    for event in Parser::new_ext(&markdown, markdown_options()) {
        c.event(event);
    }
    c.flush_table();
    let (_, body) = c.stack.pop().expect("root frame");
    c.resolve_footnotes(&body)
}

impl Converter<'_> {
    fn out(&mut self) -> &mut String {
        &mut self.stack.last_mut().expect("root frame").1
    }

    /// Writes out a table no caption followed.
    fn flush_table(&mut self) {
        if let Some(t) = self.pending_table.take() {
            let s = match t.cut_note() {
                Some(note) => format!("#{};\n\n{}\n\n", t.call, escape_markup(&note)),
                None => format!("#{};\n\n", t.call),
            };
            self.out().push_str(&s);
        }
    }

    /// Tracks the raw text a paragraph starts with: text extends it, anything
    /// else ends it.
    fn track_lead(&mut self, event: &Event<'_>) {
        if let Some((
            Frame::Paragraph {
                lead: Some(lead), ..
            },
            _,
        )) = self.stack.last_mut()
        {
            match event {
                Event::Text(text) => lead.push_str(text),
                Event::End(TagEnd::Paragraph) => {}
                _ => lead.push('\u{0}'),
            }
        }
    }

    fn event(&mut self, event: Event<'_>) {
        // A table waits for its caption: only a paragraph may follow it directly.
        if !matches!(event, Event::Start(Tag::Paragraph)) {
            self.flush_table();
        }
        self.track_lead(&event);
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Html(html) => {
                if let Some((Frame::HtmlBlock { html: block }, _)) = self.stack.last_mut() {
                    block.push_str(&html);
                }
            }
            Event::Text(text) => {
                let in_code = matches!(self.stack.last(), Some((Frame::CodeBlock { .. }, _)));
                let s = if in_code {
                    text.to_string()
                } else {
                    escape_markup(&text)
                };
                self.out().push_str(&s);
            }
            Event::Code(code) => {
                let s = format!("#raw({});", string_literal(&code));
                self.out().push_str(&s);
            }
            Event::SoftBreak => self.out().push(' '),
            Event::HardBreak => self.out().push_str(" \\\n"),
            Event::Rule => self.out().push_str("#line(length: 100%)\n\n"),
            Event::FootnoteReference(label) => {
                let s = format!("{FOOTNOTE_OPEN}{label}{FOOTNOTE_CLOSE}");
                self.out().push_str(&s);
            }
            Event::TaskListMarker(done) => self.out().push_str(if done { "☑ " } else { "☐ " }),
            // Raw HTML has no meaning in a PDF; the site keeps it.
            Event::InlineHtml(_) => {}
            Event::InlineMath(m) | Event::DisplayMath(m) => {
                let s = escape_markup(&m);
                self.out().push_str(&s);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let frame = match tag {
            Tag::Paragraph => {
                self.mark_loose();
                Frame::Paragraph {
                    lead: Some(String::new()),
                    after_table: self.pending_table.take(),
                }
            }
            Tag::Heading { level, id, .. } => Frame::Heading {
                level: heading_level(level),
                id: id.map(|s| s.to_string()),
            },
            Tag::BlockQuote(_) => Frame::BlockQuote,
            Tag::CodeBlock(kind) => Frame::CodeBlock {
                lang: match kind {
                    CodeBlockKind::Fenced(lang) if !lang.is_empty() => Some(lang.to_string()),
                    _ => None,
                },
            },
            Tag::List(start) => Frame::List {
                start,
                loose: false,
            },
            Tag::Item => Frame::Item,
            Tag::Table(align) => Frame::Table {
                align,
                header: Vec::new(),
                cells: Vec::new(),
            },
            Tag::TableHead => Frame::TableHead,
            Tag::TableRow => Frame::TableRow,
            Tag::TableCell => Frame::TableCell,
            Tag::Emphasis => Frame::Emphasis,
            Tag::Strong => Frame::Strong,
            Tag::Strikethrough => Frame::Strikethrough,
            Tag::Link { dest_url, .. } => Frame::Link {
                url: dest_url.to_string(),
            },
            Tag::Image {
                dest_url, title, ..
            } => Frame::Image {
                url: dest_url.to_string(),
                label: image_label(&title),
            },
            Tag::FootnoteDefinition(label) => Frame::Footnote {
                label: label.to_string(),
            },
            Tag::HtmlBlock => Frame::HtmlBlock {
                html: String::new(),
            },
            _ => Frame::Skip,
        };
        self.stack.push((frame, String::new()));
    }

    /// A paragraph inside a list item makes the list loose (spaced items).
    fn mark_loose(&mut self) {
        let n = self.stack.len();
        if n >= 2
            && matches!(self.stack[n - 1].0, Frame::Item)
            && let Frame::List { loose, .. } = &mut self.stack[n - 2].0
        {
            *loose = true;
        }
    }

    fn end(&mut self, _tag: TagEnd) {
        let (frame, body) = self.stack.pop().expect("balanced events");
        let text = match frame {
            Frame::Root => unreachable!("root is never closed by an event"),
            Frame::Paragraph { lead, after_table } => {
                let caption = lead
                    .as_deref()
                    .is_some_and(|l| l.starts_with(CAPTION_PREFIX));
                match after_table {
                    // The lead was all text, so the buffer starts with it escaped.
                    Some(t) if caption => {
                        let caption = body
                            .strip_prefix(&escape_markup(CAPTION_PREFIX))
                            .expect("caption prefix escaped in the buffer")
                            .trim();
                        let note = t
                            .cut_note()
                            .map(|n| format!(" ({})", escape_markup(&n)))
                            .unwrap_or_default();
                        format!(
                            "#figure({}, kind: table, caption: [{caption}{note}]);\n\n",
                            t.call
                        )
                    }
                    Some(t) => {
                        self.pending_table = Some(t);
                        self.flush_table();
                        format!("{}\n\n", body.trim_end())
                    }
                    None => format!("{}\n\n", body.trim_end()),
                }
            }
            Frame::Heading { level, id } => {
                let label = id
                    .filter(|id| is_label(id))
                    .map(|id| format!(" <{id}>"))
                    .unwrap_or_default();
                format!("\n{} {}{label}\n\n", "=".repeat(level), body.trim())
            }
            Frame::BlockQuote => format!("#quote(block: true)[{}];\n\n", body.trim()),
            Frame::CodeBlock { lang } => {
                let lang = lang
                    .map(|l| format!("lang: {}, ", string_literal(&l)))
                    .unwrap_or_default();
                format!(
                    "#raw(block: true, {lang}{});\n\n",
                    string_literal(body.trim_end_matches('\n'))
                )
            }
            Frame::List { start, loose } => {
                let tight = if loose { "tight: false, " } else { "" };
                match start {
                    None => format!("#list({tight}{});\n\n", body.trim_end_matches(", ")),
                    Some(n) => format!(
                        "#enum({tight}start: {n}, {});\n\n",
                        body.trim_end_matches(", ")
                    ),
                }
            }
            Frame::Item => format!("[{}], ", body.trim()),
            Frame::Table {
                align,
                header,
                cells,
            } => {
                // Held back until the next event shows whether a caption follows.
                self.pending_table = Some(table(&align, &header, &cells));
                String::new()
            }
            Frame::TableHead => {
                if let Some((Frame::Table { header, .. }, _)) = self.stack.last_mut() {
                    header.extend(split_cells(&body));
                }
                String::new()
            }
            Frame::TableRow => {
                if let Some((Frame::Table { cells, .. }, _)) = self.stack.last_mut() {
                    cells.extend(split_cells(&body));
                }
                String::new()
            }
            Frame::TableCell => format!("{}{CELL_END}", body.trim()),
            Frame::Emphasis => format!("#emph[{body}];"),
            Frame::Strong => format!("#strong[{body}];"),
            Frame::Strikethrough => format!("#strike[{body}];"),
            Frame::Link { url } => {
                if is_external(&url) {
                    format!("#link({})[{body}];", string_literal(&url))
                } else if let Some(label) = link_target(&url).filter(|l| self.labels.contains(*l)) {
                    cross_reference(label, &body)
                } else {
                    // Links to what the document does not hold stay text.
                    body
                }
            }
            Frame::Image { url, label } => {
                // The alt text (already escaped markup) becomes the caption.
                let caption = body.trim();
                let image = format!("image({}, width: 100%)", string_literal(&url));
                match (label, caption.is_empty()) {
                    (None, true) => format!("#{image};"),
                    (None, false) => format!("#figure({image}, caption: [{caption}]);"),
                    (Some(label), true) => format!("#figure({image}) <{label}>"),
                    (Some(label), false) => {
                        format!("#figure({image}, caption: [{caption}]) <{label}>")
                    }
                }
            }
            Frame::HtmlBlock { html } => {
                // A page break only exists between top-level blocks.
                let top = matches!(self.stack.last(), Some((Frame::Root, _)));
                if top && is_pagebreak(&html) {
                    "#pagebreak(weak: true);\n\n".to_owned()
                } else {
                    String::new()
                }
            }
            Frame::Footnote { label } => {
                self.footnotes.insert(label, body.trim().to_owned());
                String::new()
            }
            Frame::Skip => body,
        };
        self.out().push_str(&text);
    }

    fn resolve_footnotes(&self, body: &str) -> String {
        let mut out = String::with_capacity(body.len());
        let mut rest = body;
        while let Some(open) = rest.find(FOOTNOTE_OPEN) {
            out.push_str(&rest[..open]);
            let after = &rest[open + FOOTNOTE_OPEN.len_utf8()..];
            let close = after.find(FOOTNOTE_CLOSE).expect("marker closed");
            let label = &after[..close];
            match self.footnotes.get(label) {
                Some(note) => out.push_str(&format!("#footnote[{note}];")),
                None => out.push_str(&escape_markup(&format!("[^{label}]"))),
            }
            rest = &after[close + FOOTNOTE_CLOSE.len_utf8()..];
        }
        out.push_str(rest);
        out.trim().to_owned() + "\n"
    }
}

/// Separates table cells inside a row's buffer; a private-use character no text contains.
const CELL_END: char = '\u{E002}';

fn split_cells(body: &str) -> Vec<String> {
    body.split_terminator(CELL_END).map(str::to_owned).collect()
}

/// A link to a label plus its reference: "Kafka sizing (Section 6.1)",
/// "the chart (Figure 3)". Unnumbered targets (a heading in a document
/// without heading numbers) get the link alone, since Typst cannot reference them.
fn cross_reference(label: &str, body: &str) -> String {
    let numbered = format!("query(<{label}>).first().numbering != none");
    if body.trim().is_empty() {
        format!("#context if {numbered} [#ref(<{label}>)];")
    } else {
        format!("#link(<{label}>)[{body}];#context if {numbered} [ (#ref(<{label}>))];")
    }
}

/// Body rows a table keeps in a PDF. A longer table (one row per hot
/// customer, say, from an export of fifty) keeps its first rows, the ones
/// the view puts first, and says the site has the rest: the PDFs keep
/// their page budget, the site every row.
pub const PDF_MAX_ROWS: usize = 16;

/// A table as a PDF sets it.
struct PdfTable {
    /// The Typst call, without `#` and `;`.
    call: String,
    /// Body rows shown, and in all, when the table was cut.
    cut: Option<(usize, usize)>,
}

impl PdfTable {
    /// What the caption (or a line after an uncaptioned table) says of a cut.
    fn cut_note(&self) -> Option<String> {
        self.cut.map(|(shown, all)| {
            format!("the first {shown} of {all} rows; the site lists every row")
        })
    }
}

/// The Typst call for a table, cut to [`PDF_MAX_ROWS`] body rows.
fn table(align: &[Alignment], header: &[String], cells: &[String]) -> PdfTable {
    let columns = align.len().max(1);
    let rows = cells.len().div_ceil(columns);
    let cut = (rows > PDF_MAX_ROWS).then_some((PDF_MAX_ROWS, rows));
    let cells = &cells[..cells.len().min(PDF_MAX_ROWS * columns)];
    let aligns: Vec<&str> = align
        .iter()
        .map(|a| match a {
            Alignment::None | Alignment::Left => "left",
            Alignment::Center => "center",
            Alignment::Right => "right",
        })
        .collect();
    let mut out = format!(
        "table(columns: {columns}, align: ({},), ",
        aligns.join(", ")
    );
    if !header.is_empty() {
        let head: Vec<String> = header.iter().map(|h| format!("[{h}]")).collect();
        out.push_str(&format!("table.header({}), ", head.join(", ")));
    }
    for cell in cells {
        out.push_str(&format!("[{cell}], "));
    }
    // The rule at the table's foot; the style sets its weight, and draws the
    // rules above and under the header itself (they repeat with the header).
    out.push_str("table.hline())");
    PdfTable { call: out, cut }
}

fn heading_level(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn is_external(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://") || url.starts_with("mailto:")
}
