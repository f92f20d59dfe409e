//! The layout check: small documents with one deliberate fault each, which
//! it must report (so it can fail), the page styles' table rules, which must
//! leave nothing to report, and every PDF of every data set, which must be clean.

use std::collections::BTreeMap;

use specgen::build::Rendered;
use specgen::render::documents::style_files;
use specgen::render::layout_check::{Fault, Finding, check};
use specgen::render::pdf::{self, TypstDocument};

use crate::documents::{COMMITTED, READOUT_PDF, SPEC_PDF, pages};
use crate::helpers::repo_root;

/// A small page whose content area the check knows: 20 pt margins all round.
const PAGE: &str = "#set page(width: 200pt, height: 200pt, margin: 20pt)
#set text(font: \"Libertinus Serif\", size: 10pt)
#metadata((left: 20pt, right: 20pt, top: 20pt, bottom: 20pt)) <page-margin>
";

fn findings(body: &str) -> Vec<Finding> {
    findings_in(format!("{PAGE}{body}"), BTreeMap::new())
}

fn findings_in(main: String, files: BTreeMap<String, Vec<u8>>) -> Vec<Finding> {
    let doc = pdf::layout(&TypstDocument {
        name: "test".into(),
        main,
        files,
        date: (2026, 1, 1),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    check(&doc)
}

/// Findings under one of the repository's page styles.
fn styled_findings(style: &str, body: &str) -> Vec<Finding> {
    let files = style_files(&repo_root().join("spec/typst"), style).unwrap();
    findings_in(
        format!("#import \"/style.typ\": conf\n#show: conf\n\n{body}"),
        files,
    )
}

fn list(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_clean_page_has_no_findings() {
    let f =
        findings("Some text that wraps inside the content area of a small page, and stays there.");
    assert!(f.is_empty(), "{}", list(&f));
}

#[test]
fn text_drawn_over_text_is_an_overlap() {
    let f = findings("#place(dx: 0pt, dy: 10pt)[Partitions]#place(dx: 20pt, dy: 10pt)[needed]");
    assert!(
        f.iter()
            .any(|f| matches!(&f.fault, Fault::Overlap { text, other }
            if text.contains("Partitions") && other.contains("needed"))),
        "{}",
        list(&f)
    );
    assert_eq!(f[0].page, 1);
}

#[test]
fn header_words_wider_than_their_columns_collide() {
    // What a table of narrow columns does when a header word cannot break:
    // it runs on into the next cell's word.
    let f = findings(
        "#table(columns: (22pt, 22pt, 22pt), stroke: none, inset: 0pt, [Relabellings], [Partitions], [Subtasks], [1], [2], [3])",
    );
    assert!(
        f.iter().any(|f| matches!(f.fault, Fault::Overlap { .. })),
        "{}",
        list(&f)
    );
}

#[test]
fn text_past_the_margin_is_outside_the_content_area() {
    let f = findings("#place(dx: 140pt)[#raw(\"clickhouse.merge_safe_max_parts\")]");
    assert!(
        f.iter()
            .any(|f| matches!(&f.fault, Fault::OutsideContentArea { text }
            if text.contains("clickhouse"))),
        "{}",
        list(&f)
    );
}

#[test]
fn the_running_header_and_page_number_are_not_outside() {
    let f = findings(
        "#set page(header: [Capacity spec #h(1fr) 2026-01-01], numbering: \"1\")\nBody text.",
    );
    assert!(f.is_empty(), "{}", list(&f));
}

#[test]
fn a_caption_at_a_page_foot_without_its_table_is_stranded() {
    // A breakable figure whose body cannot break: the body moves to the
    // next page, the caption stays behind.
    let f = findings(
        "#v(125pt)
#show figure: set block(breakable: true)
#show figure: set figure.caption(position: top)
#figure(block(breakable: false, table(columns: 1, ..range(6).map(str))), kind: table, caption: [Stranded])",
    );
    let stranded: Vec<_> = f
        .iter()
        .filter(|f| matches!(&f.fault, Fault::StrandedCaption { caption } if caption.contains("Stranded")))
        .collect();
    assert_eq!(stranded.len(), 1, "{}", list(&f));
    assert_eq!(stranded[0].page, 1);
}

#[test]
fn a_caption_kept_with_its_table_is_not_stranded() {
    let f = findings(
        "#show figure: set figure.caption(position: top)
#figure(table(columns: 1, ..range(3).map(str)), kind: table, caption: [Kept])",
    );
    assert!(f.is_empty(), "{}", list(&f));
}

#[test]
fn a_middle_page_left_half_blank_is_underfilled() {
    let f = findings("First page.\n#pagebreak()\nA line, then nothing.\n#pagebreak()\nLast page.");
    let under: Vec<_> = f
        .iter()
        .filter(|f| matches!(f.fault, Fault::Underfilled { empty_share } if empty_share > 0.8))
        .collect();
    assert_eq!(under.len(), 1, "{}", list(&f));
    assert_eq!(under[0].page, 2);
    // The first and the last page end where they end.
    assert!(f.iter().all(|f| f.page == 2), "{}", list(&f));
}

#[test]
fn a_middle_page_whose_image_reaches_its_foot_is_filled() {
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>"#;
    let f = findings_in(
        format!(
            "{PAGE}First page.\n#pagebreak()\nA line, then a chart.\n#image(\"/chart.svg\", height: 130pt)\n#pagebreak()\nLast page."
        ),
        BTreeMap::from([("/chart.svg".to_owned(), svg.as_bytes().to_vec())]),
    );
    assert!(f.is_empty(), "{}", list(&f));
}

#[test]
fn print_under_seven_points_is_tiny() {
    let f = findings("#text(size: 6.8pt)[tiny print]");
    assert!(
        f.iter()
            .any(|f| matches!(&f.fault, Fault::TinyText { text, size_pt }
            if text.contains("tiny") && (*size_pt - 6.8).abs() < 1e-6)),
        "{}",
        list(&f)
    );
}

#[test]
fn a_style_without_margins_is_reported() {
    let f = findings_in("Text.".to_owned(), BTreeMap::new());
    assert!(
        matches!(
            f[..],
            [Finding {
                fault: Fault::NoMargins,
                ..
            }]
        ),
        "{}",
        list(&f)
    );
}

/// Many narrow columns, with long names in raw text and long words in the
/// header: every name and word wraps in its cell under both page styles.
#[test]
fn the_styles_wrap_long_names_and_words_in_narrow_columns() {
    let name = "`clickhouse.merge_safe_max_parts`";
    let words = [
        "Relabellings",
        "TaskManagers",
        "maxParallelism",
        "Partitions",
        "Subtasks",
        "Checkpointing",
        "Deduplication",
        "Replication",
        "Backpressured",
        "Throughput",
        "Catch-up",
    ];
    let mut md = format!("| Assumption | {} |\n|:--|", words.join(" | "));
    md.push_str(&"--:|".repeat(words.len()));
    md.push('\n');
    for _ in 0..4 {
        md.push_str(&format!("| {name} |{}\n", " 1,152 |".repeat(words.len())));
    }
    md.push_str("\nTable: Narrow columns\n");
    let body = specgen::render::typst_markup::to_typst(&md);
    for style in ["spec.typ", "readout.typ"] {
        let f = styled_findings(style, &body);
        assert!(f.is_empty(), "{style}:\n{}", list(&f));
    }
}

/// A long table that starts near a page foot: its caption goes with its
/// header and first rows, under both page styles.
#[test]
fn the_styles_keep_a_caption_with_its_table() {
    let mut md = String::from("| Month | Events/s |\n|:--|--:|\n");
    for i in 0..specgen::render::typst_markup::PDF_MAX_ROWS {
        md.push_str(&format!("| 2027-{i:02} | {i},000 |\n"));
    }
    md.push_str("\nTable: A long table\n");
    let table = specgen::render::typst_markup::to_typst(&md);
    // Push the table's start down the first page by a little more each time.
    for lines in [30, 40, 44, 46, 48, 50] {
        let filler = "Filler line.\n\n".repeat(lines);
        for style in ["spec.typ", "readout.typ"] {
            let f = styled_findings(style, &format!("{filler}{table}"));
            assert!(f.is_empty(), "{style}, {lines} lines:\n{}", list(&f));
        }
    }
}

/// The findings of every PDF of one render.
fn findings_of(name: &str, rendered: &Rendered) -> Vec<String> {
    rendered
        .pdf_layout
        .iter()
        .flat_map(|(pdf, findings)| findings.iter().map(move |f| format!("{name}/{pdf}: {f}")))
        .collect()
}

#[test]
fn every_pdf_of_every_data_set_is_clean_and_within_its_page_budget() {
    let sets: [(&str, &Rendered); 4] = [
        ("committed", &COMMITTED),
        ("alt", crate::alt_data::alt_render()),
        ("flat", crate::flat_keys::flat_render()),
        ("hyper", crate::hyper_growth::hyper_render()),
    ];
    let mut all = Vec::new();
    for (name, rendered) in sets {
        for pdf in [SPEC_PDF, READOUT_PDF] {
            assert!(rendered.pdf_layout.contains_key(pdf), "{name}: no {pdf}");
        }
        all.extend(findings_of(name, rendered));
        let spec = pages(rendered, SPEC_PDF);
        if !(13..=17).contains(&spec) {
            all.push(format!("{name}: the spec has {spec} pages, not 13 to 17"));
        }
        let readout = pages(rendered, READOUT_PDF);
        if readout != 2 {
            all.push(format!("{name}: the readout has {readout} pages, not 2"));
        }
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}
