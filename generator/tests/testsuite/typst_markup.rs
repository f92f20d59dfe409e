//! The Markdown → Typst converter: one test per construct, and proof through
//! the real Typst compiler that special characters come out literally.

use std::collections::{BTreeMap, BTreeSet};

use specgen::render::pdf::{self, TypstDocument};
use specgen::render::typst_markup::{document_labels, labels, to_typst, to_typst_with_labels};

use crate::helpers::{repo_root, typst_text, typst_text_with};

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
    assert!(t.starts_with("#table(columns: 3, align: (left, right, center,), table.header([Name], [Value], [Mid]), [a], [1], [x], [b], [2], [y], table.hline());"), "{t}");
    assert_eq!(rendered(md), "Name Value Mid a 1 x b 2 y");
}

#[test]
fn a_table_caption_paragraph_makes_a_numbered_table_figure() {
    let md = "| Name | Value |\n|------|------:|\n| a | 1 |\n\nTable: Broker *sizing* per month: peak vs. limit\n\nAfter.\n";
    let t = to_typst(md);
    assert!(
        t.starts_with("#figure(table(columns: 2, align: (left, right,), table.header([Name], [Value]), [a], [1], table.hline()), kind: table, caption: [Broker #emph[sizing]; per month\\: peak vs\\. limit]);\n\nAfter"),
        "{t}"
    );
    assert!(!t.contains("Table\\:"), "{t}");
    assert_eq!(
        rendered(md),
        "Name Value a 1 Table 1: Broker sizing per month: peak vs. limit After."
    );
}

#[test]
fn the_caption_prefix_is_found_however_the_text_is_split() {
    // An escape splits the text events; the prefix is still recognised.
    let md = "| a |\n|---|\n| 1 |\n\nTable\\: split\n";
    let t = to_typst(md);
    assert!(t.contains("kind: table, caption: [split]);"), "{t}");
}

#[test]
fn tables_without_a_caption_paragraph_stay_bare() {
    let table = "| a |\n|---|\n| 1 |\n";
    // An ordinary paragraph after the table, a caption that is not first in its
    // paragraph, and a table at the end of the document.
    for (md, after) in [
        (format!("{table}\nJust text.\n"), "Just text\\."),
        (format!("{table}\n*Table*: no\n"), "#emph[Table];\\: no"),
        (format!("{table}\n# Table: heading\n"), "= Table\\: heading"),
        (table.to_owned(), ""),
    ] {
        let t = to_typst(&md);
        assert!(
            t.starts_with(
                "#table(columns: 1, align: (left,), table.header([a]), [1], table.hline());"
            ),
            "{t}"
        );
        assert!(t.contains(after), "{t}");
        assert!(!t.contains("#figure"), "{t}");
        typst_text(&t);
    }
    // Only a paragraph right after a table is a caption.
    let t = to_typst("Table: not after a table\n");
    assert_eq!(t, "Table\\: not after a table\n");
}

#[test]
fn tables_in_containers_take_captions_too() {
    let md = "> | a |\n> |---|\n> | 1 |\n>\n> Table: Quoted\n";
    let t = to_typst(md);
    assert!(
        t.starts_with("#quote(block: true)[#figure(table(columns: 1, align: (left,), table.header([a]), [1], table.hline()), kind: table, caption: [Quoted]);];"),
        "{t}"
    );
    assert_eq!(rendered(md), "a 1 Table 1: Quoted");
}

#[test]
fn image_titles_label_figures() {
    let md = "![Events by month](figures/e.svg \"fig-events\")\n\n![](figures/e.svg \"fig-bare\")\n\n![Not a label](figures/e.svg \"a tooltip\")\n";
    let t = to_typst(md);
    assert!(
        t.contains(r#"#figure(image("figures/e.svg", width: 100%), caption: [Events by month]) <fig-events>"#),
        "{t}"
    );
    assert!(
        t.contains(r#"#figure(image("figures/e.svg", width: 100%)) <fig-bare>"#),
        "{t}"
    );
    assert!(
        t.contains(r#"#figure(image("figures/e.svg", width: 100%), caption: [Not a label]);"#),
        "{t}"
    );
    assert_eq!(
        labels(md),
        BTreeSet::from(["fig-bare".to_owned(), "fig-events".to_owned()])
    );
    let text = tidy(&typst_text_with(&t, svg_files()));
    assert!(text.contains("Figure 1: Events by month"), "{text}");
}

#[test]
fn labels_are_heading_ids_and_image_titles_defined_once() {
    let md = "# A {#sec-a}\n\n## B {#sec-b}\n\n## C\n\n![x](f.svg \"fig-x\")\n";
    let want = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(labels(md), want(&["fig-x", "sec-a", "sec-b"]));
    // Across chapters: a label two chapters define cannot be referenced.
    let other = "## Again {#sec-b}\n\n## D {#sec-d}\n";
    assert_eq!(
        document_labels([md, other]),
        want(&["fig-x", "sec-a", "sec-d"])
    );
    assert_eq!(labels("# Twice {#t}\n\n# Twice {#t}\n"), want(&[]));
}

#[test]
fn internal_links_to_known_labels_become_references() {
    let md = "# Sizing {#sizing}\n\n## Kafka sizing {#kafka-sizing}\n\nSee [Kafka sizing](sizing.md#kafka-sizing), [the chart](#fig-events), [](#kafka-sizing) and [Flink](flink.md#flink-sizing).\n\n![Events](figures/e.svg \"fig-events\")\n";
    let t = to_typst(md);
    assert!(
        t.contains("#link(<kafka-sizing>)[Kafka sizing];#context if query(<kafka-sizing>).first().numbering != none [ (#ref(<kafka-sizing>))];"),
        "{t}"
    );
    assert!(t.contains("#link(<fig-events>)[the chart];"), "{t}");
    assert!(
        t.contains(
            ", #context if query(<kafka-sizing>).first().numbering != none [#ref(<kafka-sizing>)];"
        ),
        "{t}"
    );
    // No label `flink-sizing` in this document: the link is its text.
    assert!(t.contains(" and Flink\\."), "{t}");
    let numbered = typst_text_with(
        &format!("#set heading(numbering: \"1.1\")\n{t}"),
        svg_files(),
    );
    let numbered = tidy(&numbered);
    assert!(
        numbered.contains(
            "See Kafka sizing (Section 1.1), the chart (Figure 1), Section 1.1 and Flink."
        ),
        "{numbered}"
    );
    // Unnumbered headings cannot be referenced: the link alone remains.
    let plain = typst_text_with(&t, svg_files());
    let plain = tidy(&plain);
    assert!(
        plain.contains("See Kafka sizing, the chart (Figure 1), and Flink."),
        "{plain}"
    );
}

#[test]
fn references_reach_labels_of_other_chapters() {
    let kafka = "# Kafka {#kafka}\n\nText.\n";
    let summary = "# Summary\n\nSee [Kafka](kafka.md#kafka) and [gone](kafka.md#gone).\n";
    let all = document_labels([kafka, summary]);
    // Alone, the summary does not know the label; with the document's labels it does.
    assert!(to_typst(summary).contains("See Kafka and gone"));
    let t = to_typst_with_labels(summary, &all);
    assert!(t.contains("#link(<kafka>)[Kafka];"), "{t}");
    assert!(t.contains(" and gone\\."), "{t}");
    let body = format!(
        "#set heading(numbering: \"1.1\")\n{}\n{t}",
        to_typst_with_labels(kafka, &all)
    );
    let text = tidy(&typst_text(&body));
    assert!(text.contains("See Kafka (Section 1) and gone."), "{text}");
}

#[test]
fn pagebreak_comments_break_pages_and_other_html_is_dropped() {
    let md = "one\n\n<!-- pagebreak -->\n\ntwo\n\n  <!--   pagebreak   -->\n\n<div>gone</div>\n\n<!-- a comment -->\n\nthree <!-- pagebreak --> four\n\n> <!-- pagebreak -->\n> quoted\n";
    let t = to_typst(md);
    assert_eq!(
        t,
        "one\n\n#pagebreak(weak: true);\n\ntwo\n\n#pagebreak(weak: true);\n\nthree  four\n\n#quote(block: true)[quoted];\n"
    );
    let doc = layout(&t, None);
    let pages = pdf::page_texts(&doc);
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(
        pages[2].contains("three") && pages[2].contains("quoted"),
        "{pages:?}"
    );
}

/// The style sheets render the conventions: contents, captions above tables,
/// "Section N.N" and "Figure N" references, page breaks.
#[test]
fn style_sheets_compile_captions_references_and_page_breaks() {
    let chapter_a = "# Kafka {#kafka}\n\n## Kafka sizing {#kafka-sizing}\n\n| Broker | Load |\n|--------|-----:|\n| b1 | 10 |\n\nTable: Load per broker\n\n![Events](figures/e.svg \"fig-events\")\n\n<!-- pagebreak -->\n";
    let chapter_b =
        "# Summary\n\nSee [sizing](kafka.md#kafka-sizing) and [the chart](kafka.md#fig-events).\n";
    let all = document_labels([chapter_a, chapter_b]);
    let body = format!(
        "{}\n{}",
        to_typst_with_labels(chapter_a, &all),
        to_typst_with_labels(chapter_b, &all)
    );

    let spec = layout(&body, Some("spec.typ"));
    let pages: Vec<String> = pdf::page_texts(&spec).iter().map(|p| tidy(p)).collect();
    assert!(pages[0].contains("Contents"), "{pages:?}");
    let text = pages.join("\n");
    assert!(text.contains("Table 1: Load per broker"), "{text}");
    assert!(
        text.find("Table 1: Load per broker") < text.find("Broker Load"),
        "caption above the table: {text}"
    );
    assert!(text.contains("Figure 1: Events"), "{text}");
    assert!(
        text.contains("See sizing (Section 1.1) and the chart (Figure 1)."),
        "{text}"
    );
    // The page break puts the summary on a page of its own.
    let summary_page = pages.iter().position(|p| p.contains("See sizing")).unwrap();
    assert!(
        !pages[summary_page].contains("Load per broker"),
        "{pages:?}"
    );

    // The readout has unnumbered headings: references to them are links alone.
    let readout = layout(&body, Some("readout.typ"));
    let text = tidy(&pdf::page_texts(&readout).join("\n"));
    assert!(text.contains("Table 1: Load per broker"), "{text}");
    assert!(
        text.contains("See sizing and the chart (Figure 1)."),
        "{text}"
    );
    assert!(text.contains("1 / 2"), "{text}");
}

/// Rendered text with whitespace collapsed and the gaps between text runs
/// around punctuation closed.
fn tidy(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.replace("( ", "(")
        .replace(" )", ")")
        .replace(" ,", ",")
        .replace(" .", ".")
}

fn svg_files() -> BTreeMap<String, Vec<u8>> {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>"#;
    BTreeMap::from([("/figures/e.svg".to_owned(), svg.to_vec())])
}

/// Lays out a body, under one of the repository's style sheets or none.
fn layout(body: &str, style: Option<&str>) -> typst_layout::PagedDocument {
    let mut files = svg_files();
    let main = match style {
        Some(style) => {
            files.extend(
                specgen::render::documents::style_files(&repo_root().join("spec/typst"), style)
                    .unwrap(),
            );
            format!("#import \"/style.typ\": conf\n#show: conf\n\n{body}")
        }
        None => format!("#set text(font: \"Libertinus Serif\")\n{body}"),
    };
    pdf::layout(&TypstDocument {
        name: "test".into(),
        main,
        files,
        date: (2026, 1, 1),
    })
    .unwrap_or_else(|e| panic!("{e}\n--- source ---\n{body}"))
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

#[test]
fn site_only_regions_stay_out_of_the_pdf() {
    let md = "Kept.\n\n<!-- site-only -->\n\n| a |\n|---|\n| 1 |\n\n## Detail {#detail}\n\n<!-- /site-only -->\n\nAlso kept.\n";
    let t = to_typst(md);
    assert!(!t.contains("table("), "{t}");
    assert!(!t.contains("Detail"), "{t}");
    assert_eq!(rendered(md), "Kept. Also kept.");
    // A label inside the region does not exist in the PDF, so a link to it is text.
    assert!(!specgen::render::typst_markup::labels(md).contains("detail"));
    // An unclosed region runs to the end of the chapter.
    assert_eq!(rendered("A.\n\n<!-- site-only -->\n\nB.\n"), "A.");
}

#[test]
fn a_table_longer_than_a_pdf_keeps_its_first_rows_and_says_the_site_has_all() {
    use specgen::render::typst_markup::PDF_MAX_ROWS;
    let rows = PDF_MAX_ROWS + 5;
    let mut md = String::from("| Customer | Sub-keys |\n|:--|--:|\n");
    for i in 0..rows {
        md.push_str(&format!("| c{i} | {i} |\n"));
    }
    let captioned = format!("{md}\nTable: Sub-keys\n");
    let text = rendered(&captioned);
    let last_shown = format!("c{} {}", PDF_MAX_ROWS - 1, PDF_MAX_ROWS - 1);
    assert!(text.contains(&last_shown), "{text}");
    assert!(!text.contains(&format!("c{PDF_MAX_ROWS} ")), "{text}");
    assert!(
        text.contains(&format!(
            "Table 1: Sub-keys (the first {PDF_MAX_ROWS} of {rows} rows; the site lists every row)"
        )),
        "{text}"
    );
    // Without a caption, a line after the table says it.
    let text = rendered(&format!("{md}\nAfter.\n"));
    assert!(
        text.ends_with(&format!(
            "the first {PDF_MAX_ROWS} of {rows} rows; the site lists every row After."
        )),
        "{text}"
    );
    // A table that fits is whole, with its caption as written.
    let text = rendered("| a |\n|---|\n| 1 |\n\nTable: Whole\n");
    assert_eq!(text, "a 1 Table 1: Whole");
}
