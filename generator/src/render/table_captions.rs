//! Table captions on the site.
//!
//! A chapter captions a table with a paragraph right after it that starts with
//! `Table: ` (the PDFs make it a numbered caption, see [`super::typst_markup`]).
//! Markdown has no caption, so on the site that paragraph would read as a
//! literal line under the table. Before mdBook renders a chapter, each such
//! pair is rewritten as
//!
//! ```text
//! <figure class="table-figure">
//! <figcaption>
//!
//! caption, still Markdown
//!
//! </figcaption>
//!
//! | the table, unchanged |
//!
//! </figure>
//! ```
//!
//! The caption stays Markdown between blank lines, so mdBook renders it as it
//! would have rendered the paragraph: data text already escaped in the chapter
//! stays escaped, and nothing is unescaped or re-escaped here. Only the site
//! sees this; the chapters under `spec/src/` keep their plain Markdown.

use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::typst_markup::{CAPTION_PREFIX, markdown_options};

/// The class the site's stylesheet gives a captioned table.
pub const FIGURE_CLASS: &str = "table-figure";

/// A top-level table and the caption paragraph right after it, as byte ranges.
struct Captioned {
    table: Range<usize>,
    caption: Range<usize>,
}

/// Every table of `markdown` that a `Table: ` paragraph directly follows.
fn captioned_tables(markdown: &str) -> Vec<Captioned> {
    let mut found = Vec::new();
    let mut depth = 0usize;
    // The last top-level block closed, if it was a table.
    let mut table_before: Option<Range<usize>> = None;
    for (event, range) in Parser::new_ext(markdown, markdown_options()).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if depth == 0 {
                    if let (Tag::Paragraph, Some(table)) = (&tag, table_before.take())
                        && markdown[range.clone()].starts_with(CAPTION_PREFIX)
                    {
                        found.push(Captioned {
                            table,
                            caption: range.clone(),
                        });
                    }
                    table_before = None;
                }
                depth += 1;
            }
            Event::End(end) => {
                depth -= 1;
                if depth == 0 {
                    table_before = matches!(end, TagEnd::Table).then_some(range);
                }
            }
            // Anything else between a table and a paragraph separates them.
            _ if depth == 0 => table_before = None,
            _ => {}
        }
    }
    found
}

/// `markdown` with every captioned table wrapped in a figure whose caption
/// sits above it; everything else byte for byte as it was.
pub fn with_table_figures(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() + 256);
    let mut from = 0;
    for Captioned { table, caption } in captioned_tables(markdown) {
        out.push_str(&markdown[from..table.start]);
        let text = markdown[caption.clone()][CAPTION_PREFIX.len()..].trim();
        let table_md = markdown[table].trim_end();
        out.push_str(&format!(
            "<figure class=\"{FIGURE_CLASS}\">\n<figcaption>\n\n{text}\n\n</figcaption>\n\n{table_md}\n\n</figure>\n"
        ));
        from = caption.end;
    }
    out.push_str(&markdown[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captioned_table_becomes_a_figure_with_its_caption_above() {
        let md = "Intro.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nTable: Two *columns*\n\nAfter.\n";
        assert_eq!(
            with_table_figures(md),
            "Intro.\n\n<figure class=\"table-figure\">\n<figcaption>\n\nTwo *columns*\n\n\
             </figcaption>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n</figure>\n\nAfter.\n"
        );
    }

    #[test]
    fn a_table_without_caption_and_a_caption_without_table_are_left_alone() {
        for md in [
            "| a |\n|---|\n| 1 |\n\nText.\n",
            "Table: not after a table\n",
            "| a |\n|---|\n| 1 |\n\n## Heading\n\nTable: after a heading\n",
            "- | a |\n  |---|\n  | 1 |\n\nTable: a list's table is not top-level\n",
        ] {
            assert_eq!(with_table_figures(md), md, "{md}");
        }
    }

    #[test]
    fn the_caption_keeps_its_escapes() {
        let md = "| a |\n|---|\n| 1 |\n\nTable: \\<script\\> &amp; \\*x\\*\n";
        let out = with_table_figures(md);
        assert!(
            out.contains("<figcaption>\n\n\\<script\\> &amp; \\*x\\*\n\n</figcaption>"),
            "{out}"
        );
    }
}
