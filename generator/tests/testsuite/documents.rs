//! The deliverables as a reader gets them: the spec's page budget, its thirteen
//! numbered sections, captions and cross-references; the readout's two pages
//! and what they must carry; the benchmark report's threats to validity.

use std::sync::LazyLock;

use specgen::build::{self, Rendered};

use crate::helpers::Scratch;

/// The spec's sections, in order: the brief's twelve and the operations
/// chapter the model review added after fault tolerance.
pub const SPEC_SECTIONS: [&str; 13] = [
    "Summary and the decision asked for",
    "Current architecture",
    "Workload today",
    "Growth",
    "Capacity model",
    "Kafka, Flink and ClickHouse sizing by month",
    "Partitioning strategy and hot keys",
    "Latency budget and critical path",
    "Service-level objectives",
    "Fault tolerance and consistency",
    "Operations",
    "Prototype and benchmark validation",
    "Risks, rollout and open questions",
];

pub const SPEC_PDF: &str = "architecture-spec.pdf";
pub const READOUT_PDF: &str = "cto-readout.pdf";

/// One render of the committed project, shared by the tests of this module.
pub static COMMITTED: LazyLock<Rendered> = LazyLock::new(|| {
    let s = Scratch::new();
    build::render(&build::Layout {
        root: s.root().to_path_buf(),
    })
    .unwrap()
});

/// Whitespace collapsed to single spaces.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn pages(rendered: &Rendered, pdf: &str) -> usize {
    rendered
        .pdf_pages
        .iter()
        .find(|(name, _)| name == pdf)
        .unwrap_or_else(|| panic!("no {pdf}"))
        .1
}

pub fn page_texts(rendered: &Rendered, pdf: &str) -> Vec<String> {
    rendered.pdf_texts[pdf].iter().map(|t| flat(t)).collect()
}

/// The page budgets the brief sets: a spec of 13–17 A4 pages, a readout of exactly 2.
pub fn assert_page_budgets(rendered: &Rendered) {
    let spec = pages(rendered, SPEC_PDF);
    assert!(
        (13..=17).contains(&spec),
        "the spec has {spec} pages, expected 13 to 17"
    );
    assert_eq!(
        pages(rendered, READOUT_PDF),
        2,
        "the readout must be 2 pages"
    );
}

/// Every section appears as a numbered heading, in order, and in the contents.
pub fn assert_sections(rendered: &Rendered) {
    let texts = page_texts(rendered, SPEC_PDF);
    let contents = &texts[0];
    assert!(contents.contains("Contents"), "no table of contents");
    let body = texts[1..].join(" ");
    let mut from = 0;
    for (i, title) in SPEC_SECTIONS.iter().enumerate() {
        let heading = format!("{} {title}", i + 1);
        assert!(
            contents.contains(&heading),
            "contents lack `{heading}`: {contents}"
        );
        let at = body[from..]
            .find(&heading)
            .unwrap_or_else(|| panic!("section `{heading}` missing or out of order"));
        from += at + heading.len();
    }
    // The same chapters make the site.
    let summary = String::from_utf8(rendered.book_src["SUMMARY.md"].clone()).unwrap();
    for title in SPEC_SECTIONS {
        assert!(
            summary.contains(&format!("[{title}]")),
            "site lacks {title}"
        );
    }
}

#[test]
fn the_spec_keeps_to_13_to_17_pages_and_the_readout_to_exactly_2() {
    assert_page_budgets(&COMMITTED);
}

#[test]
fn every_section_of_the_spec_is_present_numbered_and_in_order() {
    assert_sections(&COMMITTED);
}

#[test]
fn the_spec_numbers_its_pages_figures_and_tables_and_resolves_cross_references() {
    let texts = page_texts(&COMMITTED, SPEC_PDF);
    for (i, text) in texts.iter().enumerate().skip(1) {
        let number = (i + 1).to_string();
        assert!(
            text.split(' ').any(|w| w == number),
            "page {number} shows no page number"
        );
    }
    let all = texts.join(" ");
    for caption in ["Figure 1:", "Table 1:", "Figure 2:", "Table 10:"] {
        assert!(all.contains(caption), "no caption `{caption}`");
    }
    // A chapter's link to another becomes a numbered reference in the PDF.
    assert!(all.contains("Section 5"), "no cross-reference to section 5");
    assert!(all.contains("Section 13.2"), "no cross-reference to 13.2");
    assert!(!all.contains("??"), "an unresolved reference");
    // The component diagram is a drawn figure, with its caption.
    assert!(all.contains("Components and today"), "no component diagram");
}

#[test]
fn the_readout_carries_the_decision_reasons_cost_risks_proof_and_asks() {
    let texts = page_texts(&COMMITTED, READOUT_PDF);
    let model = specgen::model::run(
        &specgen::inputs::load(&crate::helpers::repo_root().join("data")).unwrap(),
    );
    let first = &texts[0];
    for part in ["Decision.", "The ask now.", "Why", "Quarter by quarter"] {
        assert!(first.contains(part), "page 1 lacks `{part}`: {first}");
    }
    // Every quarter's cost is on the first page, as the model computed it,
    // rounded for a reader.
    for q in &model.rollout.quarters {
        let cost = specgen::render::markdown::rounded(
            q.cost.expect("the committed plan carries every quarter"),
        );
        assert!(first.contains(&q.label), "no {} on page 1", q.label);
        assert!(
            first.contains(&cost),
            "no {} cost {cost} on page 1",
            q.label
        );
    }
    // Beside the year's total, what it costs beyond today's run-rate.
    let increment = model.rollout.increment_over_today.expect("a priced year");
    assert!(increment > 0.0, "the committed plan grows the fleet");
    let increment = specgen::render::markdown::rounded(increment);
    assert!(
        first.contains(&increment),
        "no increment {increment} on page 1"
    );
    // The ask, beside today's run-rate: 2027-Q1 funds its fleet, (8 × 1,328
    // + 7 × 140 + 16 × 1,201) × 3 = 92,460 USD, plus its three months'
    // cross-zone traffic; today's footprint costs 3 × 18,556 = 55,668 plus
    // three months of today's traffic.
    let traffic: f64 = (1..=3)
        .map(|m| model.plan.get(m).base.cost.cross_zone)
        .sum();
    let q1 = 92_460.0 + traffic;
    let today = 55_668.0 + 3.0 * model.cost_today.cross_zone;
    let group = |v: f64| specgen::render::markdown::rounded(v);
    let readout =
        std::fs::read_to_string(crate::helpers::repo_root().join("spec/src/readout.md")).unwrap();
    let ask = format!(
        "fund 2027-Q1: {} USD ({} over today's run-rate)",
        group(q1),
        group(q1 - today)
    );
    assert!(readout.contains(&ask), "{ask}\n{readout}");
    let second = &texts[1];
    for part in [
        "Top risks and mitigations",
        "What the benchmark proved",
        "When something fails",
        "Cost levers",
    ] {
        assert!(second.contains(part), "page 2 lacks `{part}`: {second}");
    }
}

#[test]
fn the_benchmark_report_has_method_setup_results_and_threats_to_validity() {
    let pages = page_texts(&COMMITTED, "benchmark-report.pdf");
    // One chapter: no contents page, the method starts under the title.
    assert!(pages[0].contains("Method and setup"), "{}", pages[0]);
    assert!(!pages[0].contains("Contents"), "{}", pages[0]);
    let all = pages.join(" ");
    for part in [
        "Method and setup",
        "Setup.",
        "Predicted against measured",
        "Checkpoints and recovery",
        "Threats to validity",
    ] {
        assert!(all.contains(part), "the benchmark report lacks `{part}`");
    }
}

#[test]
fn the_second_data_set_keeps_the_page_budgets_and_the_sections() {
    let alt = crate::alt_data::alt_render();
    assert_page_budgets(alt);
    assert_sections(alt);
    // Its readout recommends what its own model decided, not the committed data's choice.
    let readout = page_texts(alt, READOUT_PDF).join(" ");
    assert!(
        readout.contains("keyed by hash by customer_id"),
        "{readout}"
    );
    assert!(
        !readout.contains("the new key and the merge stage"),
        "the alt readout plans sub-keys: {readout}"
    );
}

#[test]
fn the_flat_and_tenfold_data_sets_keep_the_page_budgets() {
    assert_page_budgets(crate::flat_keys::flat_render());
    assert_page_budgets(crate::hyper_growth::hyper_render());
}
