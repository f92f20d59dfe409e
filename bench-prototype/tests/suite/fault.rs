//! Fault injection: exactly-once equals a fault-free run, at-least-once
//! duplicates are counted, no checkpoints loses data.

use bench_prototype::config::{BackendKind, FaultPlan, Strategy};
use bench_prototype::fault::{compare, fault_job, kill_offset};
use bench_prototype::runtime::{Fault, Guarantee, KillAt, run_job};

use crate::common::{generator, partitioner, small_windows};

fn plan() -> FaultPlan {
    FaultPlan {
        parallelism: 3,
        events: 150_000,
        rate: 150_000.0,
        kill_subtask: 1,
        kill_at_fraction: 0.7,
        checkpoint_interval_ms: 60,
        backend: BackendKind::Heap,
    }
}

#[test]
fn exactly_once_after_a_kill_equals_the_fault_free_run() {
    let _machine = crate::common::beside_others();
    let common = small_windows();
    let g = generator(&common);
    let plan = plan();
    let fault = Fault {
        subtask: 1,
        at: KillAt::Offset(kill_offset(&plan)),
    };
    for (strategy, backend) in [
        (Strategy::Customer, BackendKind::Heap),
        (Strategy::Composite, BackendKind::Heap),
        (Strategy::Sticky, BackendKind::Heap),
        (Strategy::Customer, BackendKind::Rocksdb),
    ] {
        let p = partitioner(strategy, plan.parallelism, &common);
        let reference = run_job(
            &fault_job(
                &common,
                &p,
                backend,
                &plan,
                Guarantee::ExactlyOnce,
                Vec::new(),
            ),
            &g,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reference.attempts, 1);
        let faulty = run_job(
            &fault_job(
                &common,
                &p,
                backend,
                &plan,
                Guarantee::ExactlyOnce,
                vec![fault],
            ),
            &g,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let r = compare(Guarantee::ExactlyOnce, &reference, &faulty);
        assert_eq!(
            r.attempts, 2,
            "{strategy:?}: the kill happened and was recovered"
        );
        assert!(r.restored_from_checkpoint, "{strategy:?}: {r:?}");
        assert!(r.table_equal, "{strategy:?}: {r:?}");
        // The rows themselves, one for one: with a merge stage too, whose
        // rows do not depend on how its inputs interleave.
        assert!(r.rows_equal, "{strategy:?}: {r:?}");
        assert_eq!(
            (r.duplicate_rows, r.lost_rows),
            (0, 0),
            "{strategy:?}: {r:?}"
        );
        assert_eq!(r.lost_events, 0, "{r:?}");
        assert!(
            r.records_processed > reference.records_processed,
            "the source replayed"
        );
    }
}

#[test]
fn at_least_once_counts_duplicates_and_no_checkpoints_counts_losses() {
    let _machine = crate::common::beside_others();
    let common = small_windows();
    let g = generator(&common);
    let plan = plan();
    let fault = Fault {
        subtask: 1,
        at: KillAt::Offset(kill_offset(&plan)),
    };
    let p = partitioner(Strategy::Customer, plan.parallelism, &common);
    let reference = run_job(
        &fault_job(
            &common,
            &p,
            BackendKind::Heap,
            &plan,
            Guarantee::ExactlyOnce,
            Vec::new(),
        ),
        &g,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let alo = run_job(
        &fault_job(
            &common,
            &p,
            BackendKind::Heap,
            &plan,
            Guarantee::AtLeastOnce,
            vec![fault],
        ),
        &g,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = compare(Guarantee::AtLeastOnce, &reference, &alo);
    assert!(r.table_equal, "state is restored consistently: {r:?}");
    assert!(
        r.duplicate_rows > 0,
        "rows written since the checkpoint are written again: {r:?}"
    );
    assert_eq!(r.rows_written, r.rows_reference + r.duplicate_rows, "{r:?}");
    assert_eq!(r.lost_events, 0);

    let none = run_job(
        &fault_job(
            &common,
            &p,
            BackendKind::Heap,
            &plan,
            Guarantee::NoCheckpoints,
            vec![fault],
        ),
        &g,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = compare(Guarantee::NoCheckpoints, &reference, &none);
    assert!(r.lost_events > 0, "{r:?}");
    assert!(
        r.lossy_on_failure_rate > 0.0 && r.lossy_on_failure_rate < 1.0,
        "{r:?}"
    );
}
