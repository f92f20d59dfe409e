//! Every chart as a reader gets it on paper: its text measures 7 pt or more
//! at the width each PDF prints it, on every data set.
//!
//! The print widths are not restated here: they are measured from the typeset
//! documents, so the page styles in `spec/typst/` stay their one home. A
//! label of `s` px in an SVG `W` px wide, printed `P` pt wide, measures
//! `s · P / W` pt.

use std::collections::BTreeSet;

use specgen::build::Rendered;

/// The smallest text a reader is asked to read on paper.
const MIN_PRINTED_PT: f64 = 7.0;

/// One text element of an SVG: its font size in user units (px) and what it says.
#[derive(Debug)]
struct SvgText {
    size_px: f64,
    text: String,
}

/// The width of the SVG's coordinate system: its viewBox's, else its `width`.
/// The diagram's `width` is `100%`, so the viewBox decides.
fn canvas_width(svg: &roxmltree::Document<'_>) -> f64 {
    let root = svg.root_element();
    let from_view_box = root
        .attribute("viewBox")
        .and_then(|v| v.split_whitespace().nth(2))
        .and_then(|w| w.parse().ok());
    from_view_box
        .or_else(|| root.attribute("width").and_then(|w| w.parse().ok()))
        .expect("an SVG with a viewBox or a width in px")
}

/// A font size as an SVG attribute writes it (`12.5`, `12.5px`).
fn font_size(value: &str) -> f64 {
    value
        .trim()
        .trim_end_matches("px")
        .parse()
        .unwrap_or_else(|_| panic!("a font size in px, not `{value}`"))
}

/// Every non-empty text element with its font size, set on it or inherited.
fn texts(svg: &roxmltree::Document<'_>) -> Vec<SvgText> {
    svg.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| {
            let text: String = n
                .descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect();
            if text.trim().is_empty() {
                return None;
            }
            // A size the renderer would have to guess is a failure, not a pass.
            let size = n
                .ancestors()
                .find_map(|a| a.attribute("font-size"))
                .unwrap_or_else(|| panic!("`{text}` has no font size"));
            Some(SvgText {
                size_px: font_size(size),
                text,
            })
        })
        .collect()
}

/// The texts of `svg` that print under [`MIN_PRINTED_PT`] at `width_pt`, as
/// `"text" at N pt`.
fn too_small(svg: &str, width_pt: f64) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed XML");
    let scale = width_pt / canvas_width(&doc);
    let texts = texts(&doc);
    assert!(!texts.is_empty(), "a chart without text");
    texts
        .iter()
        .filter(|t| t.size_px * scale < MIN_PRINTED_PT)
        .map(|t| format!("{:?} at {:.1} pt", t.text, t.size_px * scale))
        .collect()
}

/// What falls short in one render: `pdf: chart (width): texts`, one per chart.
fn findings(rendered: &Rendered) -> Vec<String> {
    let mut out = Vec::new();
    let mut placed = BTreeSet::new();
    for (pdf, widths) in &rendered.pdf_chart_widths {
        for (chart, &width_pt) in widths {
            placed.insert(format!("figures/{chart}"));
            let svg = std::str::from_utf8(&rendered.book_src[&format!("figures/{chart}")])
                .expect("an SVG is text");
            let small = too_small(svg, width_pt);
            if !small.is_empty() {
                let n = small.len();
                let shown = small.into_iter().take(4).collect::<Vec<_>>().join(", ");
                out.push(format!(
                    "{pdf}: {chart} at {width_pt:.0} pt: {n} texts under {MIN_PRINTED_PT} pt, e.g. {shown}"
                ));
            }
        }
    }
    // The check ran: charts were found in the PDFs, each one the build
    // publishes. (A chart in a site-only region prints nowhere.)
    assert!(!placed.is_empty(), "no chart placed in any PDF");
    for chart in &placed {
        assert!(
            rendered.book_src.contains_key(chart),
            "{chart} is not published"
        );
    }
    out
}

#[test]
fn every_chart_prints_its_text_at_7_pt_or_more_in_every_document_of_every_data_set() {
    let sets: [(&str, &Rendered); 4] = [
        ("committed", &crate::documents::COMMITTED),
        ("data-alt", crate::alt_data::alt_render()),
        ("data-flat", crate::flat_keys::flat_render()),
        ("data-hyper", crate::hyper_growth::hyper_render()),
    ];
    let mut all = Vec::new();
    for (set, rendered) in sets {
        all.extend(
            findings(rendered)
                .into_iter()
                .map(|f| format!("{set}: {f}")),
        );
    }
    assert!(
        all.is_empty(),
        "text too small on paper:\n{}",
        all.join("\n")
    );
}

/// The check measures what it claims: a label of 10 px on an 800 px canvas
/// printed 320 pt wide measures 4 pt, and one of 20 px measures 8 pt.
#[test]
fn the_print_size_check_scales_by_the_printed_width() {
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"><g font-size="20"><text x="0" y="10" font-size="10">small</text><text x="0" y="40">inherited</text></g></svg>"#;
    assert_eq!(too_small(svg, 320.0), vec![r#""small" at 4.0 pt"#]);
    assert!(too_small(svg, 560.0).is_empty());
    let diagram = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 900 300"><text font-size="12.6">fits</text></svg>"#;
    assert!(too_small(diagram, 500.0).is_empty());
    assert_eq!(too_small(diagram, 400.0).len(), 1);
}
