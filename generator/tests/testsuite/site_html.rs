//! The site as a browser gets it: every table the chapters caption carries
//! its caption as an HTML figure caption above it, as the PDFs print it,
//! rather than a literal `Table: …` line under it.

use crate::helpers::Scratch;

/// Lines of a chapter that caption the table above them.
fn caption_lines(markdown: &str) -> usize {
    markdown
        .lines()
        .filter(|l| l.starts_with(specgen::render::typst_markup::CAPTION_PREFIX))
        .count()
}

#[test]
fn table_captions_are_figure_captions_above_their_tables_on_the_site() {
    let s = Scratch::new();
    specgen::build::build(s.root()).unwrap_or_else(|e| panic!("{e}"));
    let book = s.path("book");

    // A known table: its caption opens the figure that holds it.
    let workload = std::fs::read_to_string(book.join("workload.html")).unwrap();
    let caption = "Throughput per topic over the four weeks";
    let at = workload
        .find(caption)
        .unwrap_or_else(|| panic!("no caption {caption:?} on the workload page"));
    let figure = workload[..at]
        .rfind("<figure class=\"table-figure\">")
        .expect("the caption is inside a table figure");
    let between = &workload[figure..at];
    assert!(
        between.contains("<figcaption>") && !between.contains("</figcaption>"),
        "the caption is not the figure's caption: {between}"
    );
    let after = &workload[at..];
    let table = after.find("<table>").expect("a table after the caption");
    let end = after.find("</figure>").expect("the figure closes");
    assert!(table < end, "the table is not inside the captioned figure");

    // Every page: as many captioned figures as its chapter has captions, and
    // no caption left as a paragraph.
    let mut captions = 0;
    for entry in std::fs::read_dir(s.path("spec/src")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let expected = caption_lines(&std::fs::read_to_string(&path).unwrap());
        let page = path.with_extension("html");
        let page = book.join(page.file_name().unwrap());
        let Ok(html) = std::fs::read_to_string(&page) else {
            continue;
        };
        assert!(
            !html.contains("<p>Table:"),
            "{} shows a caption as text",
            page.display()
        );
        let figures = html.matches("<figure class=\"table-figure\">").count();
        assert_eq!(figures, expected, "{}", page.display());
        assert_eq!(
            html.matches("<figcaption>").count(),
            figures,
            "{}",
            page.display()
        );
        captions += expected;
    }
    assert!(captions > 10, "only {captions} captions found");
}
