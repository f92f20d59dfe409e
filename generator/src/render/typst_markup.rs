//! Markdown → Typst markup, over `pulldown-cmark` events.
//!
//! The spec is written once, as Markdown (for the site); the PDFs are the same
//! Markdown converted here. Structural elements become Typst function calls
//! (`#list`, `#table`, `#figure`, ...) rather than Typst's own markup shorthands,
//! because a call has no line-start or adjacency rules to trip over; every
//! embedded call ends in `;` so text that follows can never extend it. All
//! ASCII punctuation in text is escaped, so text always comes out literally.

use std::collections::BTreeMap;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Characters with a meaning somewhere in Typst markup (markup, shorthands,
/// comments, labels, references, smart quotes, math, auto-links).
const SPECIAL: &[char] = &[
    '\\', '#', '$', '@', '<', '>', '*', '_', '[', ']', '~', '"', '\'', '`', '/', '-', '=', '+',
    '.', ':',
];

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

enum Frame {
    Root,
    Paragraph,
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
    },
    Footnote {
        label: String,
    },
    Skip,
}

struct Converter {
    stack: Vec<(Frame, String)>,
    footnotes: BTreeMap<String, String>,
}

/// Converts a Markdown document to Typst markup.
pub fn to_typst(markdown: &str) -> String {
    let mut c = Converter {
        stack: vec![(Frame::Root, String::new())],
        footnotes: BTreeMap::new(),
    };
    for event in Parser::new_ext(markdown, markdown_options()) {
        c.event(event);
    }
    let (_, body) = c.stack.pop().expect("root frame");
    c.resolve_footnotes(&body)
}

impl Converter {
    fn out(&mut self) -> &mut String {
        &mut self.stack.last_mut().expect("root frame").1
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
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
            Event::Html(_) | Event::InlineHtml(_) => {}
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
                Frame::Paragraph
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
            Tag::Image { dest_url, .. } => Frame::Image {
                url: dest_url.to_string(),
            },
            Tag::FootnoteDefinition(label) => Frame::Footnote {
                label: label.to_string(),
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
            Frame::Paragraph => format!("{}\n\n", body.trim_end()),
            Frame::Heading { level, id } => {
                let label = id.map(|id| format!(" <{id}>")).unwrap_or_default();
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
            } => table(&align, &header, &cells),
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
                } else {
                    // Links between chapters of the site have no target in a single PDF.
                    body
                }
            }
            Frame::Image { url } => {
                // The alt text (already escaped markup) becomes the caption.
                let caption = body.trim();
                if caption.is_empty() {
                    format!("#image({}, width: 100%);", string_literal(&url))
                } else {
                    format!(
                        "#figure(image({}, width: 100%), caption: [{caption}]);",
                        string_literal(&url)
                    )
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

fn table(align: &[Alignment], header: &[String], cells: &[String]) -> String {
    let columns = align.len().max(1);
    let aligns: Vec<&str> = align
        .iter()
        .map(|a| match a {
            Alignment::None | Alignment::Left => "left",
            Alignment::Center => "center",
            Alignment::Right => "right",
        })
        .collect();
    let mut out = format!(
        "#table(columns: {columns}, align: ({},), ",
        aligns.join(", ")
    );
    if !header.is_empty() {
        let head: Vec<String> = header.iter().map(|h| format!("[{h}]")).collect();
        out.push_str(&format!("table.header({}), ", head.join(", ")));
    }
    for cell in cells {
        out.push_str(&format!("[{cell}], "));
    }
    out.truncate(out.trim_end_matches(", ").len());
    out.push_str(");\n\n");
    out
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
