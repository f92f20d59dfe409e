//! The Markdown → Typst converter: one test per construct, and proof through
//! the real Typst compiler that special characters come out literally.

use std::collections::BTreeMap;

use specgen::render::typst_markup::to_typst;

use crate::helpers::{typst_text, typst_text_with};

/// Converts, compiles, and returns the rendered text with whitespace collapsed.
fn rendered(md: &str) -> String {
    let text = typst_text(&to_typst(md));
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn headings_keep_level_and_label() {
    let t = to_typst("# Top\n\n## Second {#sec-two}\n\n### Third\n");
    assert!(t.contains("= Top\n"), "{t}");
    assert!(t.contains("== Second <sec-two>\n"), "{t}");
    assert!(t.contains("=== Third\n"), "{t}");
    assert_eq!(rendered("# Top\n\n## Second\n"), "Top Second");
}

#[test]
fn paragraphs_are_separated_and_soft_breaks_join() {
    let t = to_typst("one\ntwo\n\nthree\n");
    assert_eq!(t, "one two\n\nthree\n");
}

#[test]
fn emphasis_strong_and_strikethrough() {
    let t = to_typst("a *b* __c__ ~~d~~ e\n");
    assert!(t.contains("#emph[b];"), "{t}");
    assert!(t.contains("#strong[c];"), "{t}");
    assert!(t.contains("#strike[d];"), "{t}");
    assert_eq!(rendered("a *b* __c__ ~~d~~ e\n"), "a b c d e");
}

#[test]
fn inline_code_is_raw_and_literal() {
    let md = "run `a \"q\" \\ #x [y] $z` now\n";
    let t = to_typst(md);
    assert!(t.contains(r#"#raw("a \"q\" \\ #x [y] $z");"#), "{t}");
    assert_eq!(rendered(md), "run a \"q\" \\ #x [y] $z now");
}

#[test]
fn code_blocks_keep_language_and_lines() {
    let md = "```toml\n[kafka]\nbrokers = 6 # six\n```\n";
    let t = to_typst(md);
    assert!(
        t.contains(r#"#raw(block: true, lang: "toml", "[kafka]\nbrokers = 6 # six");"#),
        "{t}"
    );
    // Highlighting splits the code into runs; the characters are all there, in order.
    let text: String = typst_text(&t).split_whitespace().collect();
    assert!(text.contains("[kafka]brokers=6#six"), "{text}");
}

#[test]
fn bullet_lists_nest() {
    let md = "- a\n- b\n  - b1\n  - b2\n- c\n";
    let t = to_typst(md);
    assert_eq!(t, "#list([a], [b#list([b1], [b2]);], [c]);\n");
    assert_eq!(rendered(md), "• a • b ‣ b1 ‣ b2 • c");
}

#[test]
fn ordered_lists_keep_their_start_and_nest() {
    let md = "3. three\n4. four\n   1. inner\n";
    let t = to_typst(md);
    assert!(
        t.starts_with("#enum(start: 3, [three], [four#enum(start: 1, [inner]);]);"),
        "{t}"
    );
    assert_eq!(rendered(md), "3. three 4. four 1. inner");
}

#[test]
fn loose_lists_are_spaced() {
    let t = to_typst("- a\n\n- b\n");
    assert!(t.starts_with("#list(tight: false, "), "{t}");
}

#[test]
fn tables_keep_alignment_header_and_cells() {
    let md = "| Name | Value | Mid |\n|:-----|------:|:---:|\n| a | 1 | x |\n| b | 2 | y |\n";
    let t = to_typst(md);
    assert!(t.starts_with("#table(columns: 3, align: (left, right, center,), table.header([Name], [Value], [Mid]), [a], [1], [x], [b], [2], [y]);"), "{t}");
    assert_eq!(rendered(md), "Name Value Mid a 1 x b 2 y");
}

#[test]
fn external_links_become_links_and_chapter_links_text() {
    let t = to_typst("see [the blog](https://example.com/a_b?x=1) and [Kafka](kafka.md)\n");
    assert!(
        t.contains(r#"#link("https://example.com/a_b?x=1")[the blog];"#),
        "{t}"
    );
    assert!(t.contains("and Kafka"), "{t}");
}

#[test]
fn svg_images_become_captioned_figures() {
    let md = "![Events by month](figures/e.svg)\n";
    let t = to_typst(md);
    assert!(
        t.contains(r#"#figure(image("figures/e.svg", width: 100%), caption: [Events by month]);"#),
        "{t}"
    );
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#;
    let files = BTreeMap::from([("/figures/e.svg".to_owned(), svg.to_vec())]);
    let text = typst_text_with(&t, files);
    assert!(
        text.contains("Figure") && text.contains("Events by month"),
        "{text}"
    );
}

#[test]
fn footnotes_are_placed_at_their_reference() {
    let md = "A claim.[^src]\n\n[^src]: The source, *emphasised*.\n";
    let t = to_typst(md);
    assert!(
        t.contains("A claim\\.#footnote[The source, #emph[emphasised];\\.];"),
        "{t}"
    );
    let text = rendered(md);
    assert!(text.starts_with("A claim. 1 "), "{text}");
    assert!(text.ends_with("1 The source, emphasised ."), "{text}");
}

#[test]
fn block_quotes_are_block_quotes() {
    let t = to_typst("> quoted\n> text\n");
    assert!(t.starts_with("#quote(block: true)[quoted text];"), "{t}");
    assert_eq!(rendered("> quoted\n> text\n"), "quoted text");
}

#[test]
fn special_characters_come_out_literally() {
    let specials = r#"# $ @ < > * _ \ [ ] ~ " ` / // -- --- ... = + 1. 'q' http://x.y <lbl> @ref"#;
    // In Markdown, escape the characters Markdown itself would interpret.
    let md =
        r#"\# $ @ < > \* \_ \\ \[ \] \~ " \` / // -- --- ... = + 1. 'q' http://x.y \<lbl> @ref"#;
    assert_eq!(rendered(md), specials);
}

#[test]
fn special_characters_at_line_start_do_not_become_markup() {
    // Markdown escapes keep these from being Markdown syntax; they must not become Typst syntax either.
    for (md_start, start) in [
        ("\\= not a heading", "= not a heading"),
        ("\\+ not an item", "+ not an item"),
        ("\\- not an item", "- not an item"),
        ("1\\. not an item", "1. not an item"),
        ("/ term: no", "/ term: no"),
    ] {
        let text = rendered(&format!("x\n{md_start}\n"));
        assert_eq!(text, format!("x {start}"), "{start}");
    }
}
