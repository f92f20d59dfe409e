//! The committed benchmark against the inputs it was derived from: a run made
//! from other metrics (or other scenarios) is named stale in the documents,
//! with each input that moved and the file it comes from.

use specgen::build::{self, Layout};

use crate::helpers::Scratch;

fn chapter(s: &Scratch, name: &str) -> String {
    let r = build::render(&Layout {
        root: s.root().to_path_buf(),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    String::from_utf8(r.book_src[name].clone()).unwrap()
}

#[test]
fn the_committed_run_matches_the_committed_inputs() {
    let s = Scratch::new();
    let text = chapter(&s, "benchmark.md");
    assert!(!text.contains("results are stale"), "{text}");
}

#[test]
fn a_run_made_from_other_metrics_is_flagged_with_what_moved() {
    let s = Scratch::new();
    // One sample of the keyed operator busier than it was when `just bench` ran:
    // the pooled service time of data/ no longer equals the one the run paid.
    s.edit(
        "data/metrics/flink_subtasks.csv",
        "1792368000,window-aggregate,0,273.9,1.9,724.2,",
        "1792368000,window-aggregate,0,573.9,1.9,424.2,",
    );
    let text = chapter(&s, "benchmark.md");
    assert!(text.contains("The committed results are stale"), "{text}");
    assert!(
        text.contains("`service_time_us` (`data/metrics/flink_subtasks.csv`)"),
        "{text}"
    );
    // The plan's service time comes from the same metrics, so the plan the
    // run replayed moved too; nothing else did, so nothing else is named.
    assert!(
        text.contains("`plan_digest` (`data/bench/plan.tsv`)"),
        "{text}"
    );
    assert!(!text.contains("`bisection_repeats`"), "{text}");
    assert!(!text.contains("`seed`"), "{text}");
    let readout = chapter(&s, "readout.md");
    assert!(
        readout.contains("no longer gives: rerun `just bench`"),
        "{readout}"
    );
}

#[test]
fn a_changed_scenario_file_is_flagged_too() {
    let s = Scratch::new();
    s.edit("data/bench/scenarios.toml", "sub_keys = 8", "sub_keys = 16");
    let text = chapter(&s, "benchmark.md");
    assert!(
        text.contains("`sub_keys` (`data/bench/scenarios.toml`)"),
        "{text}"
    );
}

#[test]
fn a_run_on_another_plan_is_flagged_with_the_plan() {
    let s = Scratch::new();
    // Another forecast for the busiest month: another peak and other
    // subtasks, the same metrics and keys.
    s.edit(
        "data/forecast.csv",
        "12,2027-12,base,9200,60",
        "12,2027-12,base,9200,61",
    );
    let text = chapter(&s, "benchmark.md");
    assert!(
        text.contains("`plan_digest` (`data/bench/plan.tsv`)"),
        "{text}"
    );
    assert!(!text.contains("`service_time_us`"), "{text}");
}
