//! `specgen synth`: the committed sample is what the story generates, and the
//! workload chapter is computed from the metrics, not typed.

use specgen::build;
use specgen::inputs::architecture;

use crate::helpers::{Scratch, repo_root};

/// The seed the committed sample under `data/` was written with.
const COMMITTED_SEED: u64 = 1;

#[test]
fn synth_with_the_committed_seed_reproduces_data_byte_for_byte() {
    let data = repo_root().join("data");
    let arch = architecture::load(&data.join("architecture.toml")).unwrap();
    let files = specgen::synth::generate(&arch, COMMITTED_SEED);
    assert!(files.contains_key("metrics/flink_subtasks.csv"));
    let stale: Vec<&String> = files
        .iter()
        .filter(|(rel, text)| std::fs::read(data.join(rel)).unwrap_or_default() != text.as_bytes())
        .map(|(rel, _)| rel)
        .collect();
    assert!(
        stale.is_empty(),
        "data/{stale:?} differ from `specgen synth --seed {COMMITTED_SEED}`"
    );
}

#[test]
fn another_seed_gives_other_metrics() {
    let data = repo_root().join("data");
    let arch = architecture::load(&data.join("architecture.toml")).unwrap();
    let one = specgen::synth::generate(&arch, 1);
    let two = specgen::synth::generate(&arch, 2);
    assert_ne!(one["metrics/topics.csv"], two["metrics/topics.csv"]);
    // The key distribution and the forecast are the story's, not the noise's.
    assert_eq!(one["keys/hot_customers.csv"], two["keys/hot_customers.csv"]);
}

#[test]
fn the_workload_chapter_and_its_charts_follow_the_metrics() {
    let s = Scratch::new();
    let layout = build::Layout {
        root: s.root().to_path_buf(),
    };
    let before = build::render(&layout).unwrap();
    specgen::synth::write(&s.path("data"), 2).unwrap();
    let after = build::render(&layout).unwrap();
    assert_ne!(
        before.book_src["workload.md"],
        after.book_src["workload.md"]
    );
    for chart in [
        "throughput-four-weeks",
        "diurnal-profile",
        "partition-skew",
        "subtask-heat-map",
        "clickhouse-parts",
    ] {
        let rel = format!("figures/{chart}.svg");
        assert_ne!(
            before.book_src[&rel], after.book_src[&rel],
            "{rel} did not change"
        );
    }
}
