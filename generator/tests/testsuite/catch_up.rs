//! Catch-up after a failure is paced by the stage with the least to spare,
//! and ClickHouse is sized to drain a TaskManager failure's backlog within
//! the catch-up target: worked by hand on the committed data, and the prose
//! of the branch where the target is not met.

use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::model::clickhouse::ShardBound;
use specgen::model::fault::PaceStage;

use crate::helpers::repo_root;

#[test]
fn shards_keep_room_to_drain_a_task_manager_failure_within_the_target() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let p = &m.plan.get(12).base;
    let f = &inputs.assumptions.fault;
    assert_eq!(
        (
            f.flink_failure_detection_s.value,
            f.task_manager_replacement_s.value,
            f.state_restore_mb_per_s_per_task_manager.value,
            f.catch_up_target_s.value,
            inputs.architecture.flink.checkpoint_interval_ms
        ),
        (50.0, 60.0, 150.0, 600.0, 60_000.0)
    );
    // The backlog: 50 s to notice, 60 s for a replacement, the state back at
    // 150 MB/s per TaskManager, then the plan's checkpoint interval (10 s,
    // chosen with the deduplication window) and the checkpoint in progress
    // replayed.
    assert_eq!(m.fault.exactly_once.checkpoint_interval_s, 10.0);
    let tms = f64::from(p.flink.task_managers.expect("carried"));
    let backlog = 50.0
        + 60.0
        + p.flink.state_bytes / 1e6 / (150.0 * tms)
        + 10.0
        + p.flink.checkpoint_duration_s;
    // A shard may run at 600 / (backlog + 600) of its merge-safe rate.
    let ceiling = 600.0 / (backlog + 600.0);
    let c = &p.clickhouse;
    assert!((c.catch_up_ceiling - ceiling).abs() < 1e-12);
    // R(B) at the chosen batch (worked by hand in `clickhouse_batch`).
    let safe = c.merge_safe_rows_per_s;
    let for_catch_up = (c.peak_rows_per_s / (safe * ceiling)).ceil() as u32;
    assert_eq!(c.for_catch_up, for_catch_up);
    assert_eq!(c.shards, for_catch_up, "catch-up sets the shards");
    assert_eq!(c.binding.bound, ShardBound::CatchUp);
    assert!(c.for_catch_up > c.for_merges);
    // The catch-up is paced by the busiest stage: a shard now at
    // peak / (shards × safe), above the keyed subtasks' 70% target.
    let rho = c.peak_rows_per_s / (f64::from(c.shards) * safe);
    let fault = &m.fault;
    assert_eq!(fault.pace, PaceStage::ClickHouseShard);
    assert!((fault.bottleneck_utilization - rho).abs() < 1e-12);
    let tm = fault
        .failures
        .iter()
        .find(|x| x.mode == specgen::model::fault::FailureMode::TaskManager)
        .unwrap();
    assert!((tm.backlog_s - backlog).abs() < 1e-9);
    let catch_up = backlog * rho / (1.0 - rho);
    assert!((tm.catch_up_s - catch_up).abs() < 1e-6);
    assert!(catch_up <= 600.0 && fault.catch_up_target_met);
    let text = &draft.chapters["fault-tolerance.md"];
    assert!(
        text.contains(&format!("that catch-up takes {} s", catch_up.round())),
        "{text}"
    );
    assert!(!draft.chapters["rollout.md"].contains("Slow catch-up"));
}

/// A target the keyed subtasks' own headroom cannot meet: the documents say
/// so, name the stage, and list it among the risks.
#[test]
fn a_target_the_plan_cannot_meet_is_said_and_named_a_risk() {
    let layout = Layout { root: repo_root() };
    let mut inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    inputs.assumptions.fault.catch_up_target_s.value = 60.0;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let fault = &draft.model.fault;
    assert!(!fault.catch_up_target_met);
    // ClickHouse is sized for the target, so a Flink vertex at its 70%
    // target is now the slowest stage: the source's busiest reader, busier
    // than the hottest keyed subtask in the committed plan.
    assert_eq!(fault.pace, PaceStage::Source);
    let source = draft.model.plan.get(12).base.flink.vertices[0].hottest_utilization;
    assert!((fault.bottleneck_utilization - source).abs() < 1e-12);
    let text = &draft.chapters["fault-tolerance.md"];
    assert!(text.contains("**the target is not met**"), "{text}");
    assert!(text.contains("because the source's busiest reader runs above"));
    assert!(draft.chapters["rollout.md"].contains("| Slow catch-up after a failure |"));
    assert!(draft.chapters["readout.md"].contains("**Slow catch-up after a failure**"));
}
