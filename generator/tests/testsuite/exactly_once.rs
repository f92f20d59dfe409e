//! The checkpoint interval and the deduplication window, chosen together,
//! worked by hand on the committed data; and the prose of each branch: keep
//! today's interval, shorten it, or shorten it and raise the window.

use specgen::build::{self, Layout};
use specgen::inputs;

use crate::helpers::repo_root;

#[test]
fn the_plan_shortens_the_interval_and_raises_the_window_worked_by_hand() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let e = &m.fault.exactly_once;
    assert_eq!(
        inputs
            .assumptions
            .fault
            .replicated_deduplication_window
            .value,
        1000.0
    );
    assert_eq!(
        inputs.assumptions.flink.min_checkpoint_interval_s.value,
        10.0
    );
    assert_eq!(inputs.architecture.flink.checkpoint_interval_ms, 60_000.0);
    // The raw table is written by every source subtask, one block per shard
    // each 1,000 ms: the window holds 1,000 / writers seconds of blocks, less
    // the checkpoint's own duration.
    let p = &m.plan.get(12).base;
    let writers = p.flink.vertices[0].parallelism.unwrap();
    assert_eq!(e.tables[0].writers, writers);
    let d = p.flink.checkpoint_duration_s;
    let longest = 1000.0 / f64::from(writers) - d;
    assert!((e.checkpoint.longest_fitting_s - longest).abs() < 1e-9);
    // Under the 10 s floor: checkpoint every 10 s and raise the window to
    // writers × (10 + d) blocks.
    assert!(longest < 10.0, "{longest}");
    assert_eq!(e.checkpoint_interval_s, 10.0);
    let window = (f64::from(writers) * (10.0 + d)).ceil();
    assert_eq!(e.checkpoint.window_planned, window);
    assert!(!e.window_sufficient);
    // The plan's interval is the one every backlog replays: a TaskManager
    // failure's backlog is its stop plus 10 s and the checkpoint.
    let tm = m
        .fault
        .failures
        .iter()
        .find(|f| f.mode == specgen::model::fault::FailureMode::TaskManager)
        .unwrap();
    assert!((tm.backlog_s - tm.interruption_s - 10.0 - d).abs() < 1e-9);
    let group = |v: f64| specgen::render::markdown::group(v, 0);
    let text = &draft.chapters["fault-tolerance.md"];
    assert!(
        text.contains(&format!(
            "checkpoints every **10 s** and raises the window to **{}**",
            group(window)
        )),
        "{text}"
    );
    let rollout = &draft.chapters["rollout.md"];
    assert!(rollout.contains(&format!(
        "checkpoint every 10 s, after raising `replicated_deduplication_window` to {}",
        group(window)
    )));
    // Every document tells one story: the replica loss is the one failure
    // that loses rows, until the reconciliation re-inserts them.
    assert!(!text.contains("whatever fails"));
    assert!(text.contains("One failure is outside it"));
    assert!(draft.chapters["readout.md"].contains("until the reconciliation re-inserts them"));
    assert!(!draft.chapters["readout.md"].contains("at risk"));
}

#[test]
fn a_wider_window_keeps_or_shortens_the_interval_and_says_which() {
    let layout = Layout { root: repo_root() };
    let mut inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    // Wide enough for today's minute: nothing changes.
    inputs
        .assumptions
        .fault
        .replicated_deduplication_window
        .value = 100_000.0;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let e = &draft.model.fault.exactly_once;
    assert_eq!(e.checkpoint_interval_s, 60.0);
    assert!(e.window_sufficient && !e.checkpoint.window_raised());
    assert!(draft.chapters["fault-tolerance.md"].contains("interval: the plan keeps both."));
    // Wide enough for 13 s of blocks but not 60: the longest whole second it holds.
    inputs
        .assumptions
        .fault
        .replicated_deduplication_window
        .value = 2_000.0;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let e = &draft.model.fault.exactly_once;
    let p = &draft.model.plan.get(12).base;
    let writers = f64::from(p.flink.vertices[0].parallelism.unwrap());
    let longest = 2000.0 / writers - p.flink.checkpoint_duration_s;
    assert_eq!(e.checkpoint_interval_s, longest.floor());
    assert!(e.checkpoint_interval_s >= 10.0 && e.window_sufficient);
    let text = &draft.chapters["fault-tolerance.md"];
    assert!(
        text.contains(&format!(
            "the plan checkpoints every **{} s**\n   and keeps the window.",
            longest.floor()
        )),
        "{text}"
    );
}
