//! End to end: `specgen build` on a scratch copy of the project.

use specgen::build;

use crate::helpers::{Scratch, repo_root};

#[test]
fn build_writes_every_output_and_a_second_build_changes_no_byte() {
    let s = Scratch::new();
    let first = build::build(s.root()).unwrap();
    assert!(!first.written.is_empty());
    for rel in [
        "spec/src/SUMMARY.md",
        "spec/src/figures/events-by-month.svg",
        "out/architecture-spec.pdf",
        "out/cto-readout.pdf",
        "out/capacity-model.xlsx",
        "out/csv/kafka.csv",
        "book/index.html",
        "book/downloads.html",
        "book/downloads/architecture-spec.pdf",
        "book/downloads/capacity-model.xlsx",
        "book/downloads/csv/kafka.csv",
    ] {
        assert!(s.path(rel).is_file(), "{rel} missing");
    }
    // mdBook writes its search index as a JS file beside the pages.
    let search = std::fs::read_dir(s.path("book")).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("searchindex")
    });
    assert!(search, "no search index in book/");
    for (name, pages) in &first.pdf_pages {
        assert!(*pages >= 1, "{name} has no pages");
        let bytes = std::fs::read(s.path("out").join(name)).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{name} is not a PDF");
    }

    // The site carries the same bytes as out/ (less the build's manifest).
    let mut out = s.snapshot("out");
    assert!(
        out.remove(std::path::Path::new(".specgen-manifest"))
            .is_some()
    );
    assert_eq!(s.snapshot("book/downloads"), out);
    assert!(s.path("spec/figures.tsv").is_file());

    let src = s.snapshot("spec/src");
    let out = s.snapshot("out");
    let figures = std::fs::read(s.path("spec/figures.tsv")).unwrap();
    let second = build::build(s.root()).unwrap();
    assert!(
        second.written.is_empty(),
        "second build rewrote {:?}",
        second.written
    );
    assert_eq!(s.snapshot("spec/src"), src);
    assert_eq!(s.snapshot("out"), out);
    assert_eq!(std::fs::read(s.path("spec/figures.tsv")).unwrap(), figures);

    // From scratch again (no previous files at all): still the same bytes.
    std::fs::remove_dir_all(s.path("out")).unwrap();
    std::fs::remove_dir_all(s.path("spec/src")).unwrap();
    build::build(s.root()).unwrap();
    assert_eq!(s.snapshot("spec/src"), src);
    assert_eq!(s.snapshot("out"), out);
}

#[test]
fn committed_markdown_is_current() {
    let s = Scratch::new();
    let rendered = build::render(&build::Layout {
        root: s.root().to_path_buf(),
    })
    .unwrap();
    let committed = repo_root().join("spec/src");
    for (rel, bytes) in &rendered.book_src {
        let on_disk = std::fs::read(committed.join(rel)).unwrap_or_default();
        assert!(
            &on_disk == bytes,
            "spec/src/{rel} is stale: run `just spec` and commit it"
        );
    }
    for (rel, bytes) in &rendered.files {
        let on_disk = std::fs::read(repo_root().join(rel)).unwrap_or_default();
        assert!(
            &on_disk == bytes,
            "{rel} is stale: run `just spec` and commit it"
        );
    }
    assert!(
        rendered.files.contains_key("data/bench/plan.tsv"),
        "the build writes the plan the prototype replays"
    );
}

#[test]
fn a_changed_figure_in_data_moves_markdown_pdf_and_workbook() {
    let s = Scratch::new();
    let layout = build::Layout {
        root: s.root().to_path_buf(),
    };
    let before = build::render(&layout).unwrap();
    // Umbrella's onboarding grows from 240k to 340k events/s.
    s.edit(
        "data/onboardings.csv",
        "Umbrella,10,240000",
        "Umbrella,10,340000",
    );
    let after = build::render(&layout).unwrap();
    for file in [
        "summary.md",
        "growth.md",
        "sizing.md",
        "rollout.md",
        "readout.md",
    ] {
        assert_ne!(
            before.book_src[file], after.book_src[file],
            "{file} did not change"
        );
    }
    // Today's architecture is a fact, not a forecast: it does not move.
    assert_eq!(
        before.book_src["architecture.md"],
        after.book_src["architecture.md"]
    );
    for file in [
        "architecture-spec.pdf",
        "cto-readout.pdf",
        "capacity-model.xlsx",
        "csv/forecast.csv",
    ] {
        assert_ne!(before.out[file], after.out[file], "{file} did not change");
    }
    let growth = String::from_utf8(after.book_src["growth.md"].clone()).unwrap();
    assert!(growth.contains("| 2027-12 |"), "{growth}");
}

#[test]
fn summary_parts_follow_part_headings() {
    let parts = specgen::render::documents::summary_parts(
        "# Summary\n\n[Intro](index.md)\n\n# A\n\n- [One](one.md)\n- [Two](two.md)\n\n# B\n- [Three](three.md)\n",
    );
    assert_eq!(parts["A"], vec!["one.md", "two.md"]);
    assert_eq!(parts["B"], vec!["three.md"]);
    assert!(!parts.contains_key("Summary"));
}

#[test]
fn a_changed_assumption_moves_the_sizing_in_the_spec_and_the_workbook() {
    let s = Scratch::new();
    let layout = build::Layout {
        root: s.root().to_path_buf(),
    };
    let before = build::render(&layout).unwrap();
    // A lower target utilization needs more of every stage.
    s.edit(
        "data/assumptions.toml",
        "[flink.target_utilization]\nvalue = 0.7",
        "[flink.target_utilization]\nvalue = 0.5",
    );
    let after = build::render(&layout).unwrap();
    for file in ["sizing.md", "model.md", "summary.md", "fault-tolerance.md"] {
        assert_ne!(
            before.book_src[file], after.book_src[file],
            "{file} did not change"
        );
    }
    for file in ["capacity-model.xlsx", "csv/flink.csv", "csv/cost.csv"] {
        assert_ne!(before.out[file], after.out[file], "{file} did not change");
    }
    // The workload is measured, not assumed: it does not move.
    assert_eq!(
        before.book_src["workload.md"],
        after.book_src["workload.md"]
    );
}
