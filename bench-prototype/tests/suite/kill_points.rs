//! Seeded kill points: wherever a subtask dies (any subtask, any offset,
//! during a checkpoint, during recovery, twice in a row), exactly-once
//! writes the fault-free run's rows, none lost and none twice.

use std::time::Instant;

use bench_prototype::config::{BackendKind, Common, KillPointsPlan, Strategy};
use bench_prototype::fault::{KillKind, compare, kill_point_job, kill_points, tally};
use bench_prototype::runtime::{Guarantee, run_job};

use crate::common::{generator, partitioner, small_windows};

/// Kill points per strategy.
const POINTS: u32 = 104;

/// A short closed-loop run: 0.6 s of event time in 100 ms windows, so
/// windows fire, re-fire for late data and expire before and after a kill,
/// and checkpoints every 2 ms, so kills land before the first checkpoint,
/// between two and inside one.
fn plan() -> KillPointsPlan {
    KillPointsPlan {
        points: POINTS,
        parallelism: 3,
        events: 12_000,
        nominal_rate: 20_000.0,
        checkpoint_interval_ms: 2,
        backend: BackendKind::Heap,
    }
}

fn tiny_windows() -> Common {
    let mut c = small_windows();
    c.window_size_ms = 100;
    c.allowed_lateness_ms = 50;
    c.out_of_orderness_ms = 15;
    c.watermark_interval_ms = 10;
    c.late_extra_ms = 150;
    c
}

#[test]
fn exactly_once_loses_and_duplicates_no_row_at_any_kill_point() {
    let _machine = crate::common::beside_others();
    let common = tiny_windows();
    let g = generator(&common);
    let plan = plan();
    let points = kill_points(common.seed, plan.points, plan.parallelism, plan.events);
    for kind in [
        KillKind::AtOffset,
        KillKind::DuringCheckpoint,
        KillKind::DuringRecovery,
        KillKind::Twice,
    ] {
        assert!(points.iter().any(|p| p.kind == kind), "{kind:?}");
    }
    for strategy in Strategy::ALL {
        let started = Instant::now();
        let p = partitioner(strategy, plan.parallelism, &common);
        let reference = run_job(
            &kill_point_job(&common, &p, &plan, Guarantee::ExactlyOnce, Vec::new()),
            &g,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reference.attempts, 1);
        assert!(reference.late_records > 0, "the run sees data too late");
        let mut runs = Vec::with_capacity(points.len());
        for point in &points {
            let spec = kill_point_job(
                &common,
                &p,
                &plan,
                Guarantee::ExactlyOnce,
                point.faults.clone(),
            );
            let got = run_job(&spec, &g).unwrap_or_else(|e| panic!("{point:?}: {e}"));
            let r = compare(Guarantee::ExactlyOnce, &reference, &got);
            assert_eq!(
                r.attempts as usize,
                point.faults.len() + 1,
                "{strategy:?} {point:?}: every planned kill happened"
            );
            assert_eq!(
                (r.lost_rows, r.duplicate_rows, r.lost_events),
                (0, 0, 0),
                "{strategy:?} {point:?}: {r:?}"
            );
            assert!(
                r.rows_equal && r.table_equal,
                "{strategy:?} {point:?}: {r:?}"
            );
            runs.push(r);
        }
        let t = tally(&points, &runs);
        eprintln!(
            "{strategy:?}: {} points, {} kills, {} restored from a checkpoint, \
             {} lost and {} duplicated rows, {:.1} s",
            t.points,
            t.kills,
            t.restored_from_checkpoint,
            t.lost_rows,
            t.duplicate_rows,
            started.elapsed().as_secs_f64()
        );
        assert_eq!(t.points, POINTS);
        assert!(t.kills > POINTS, "some points kill twice: {t:?}");
        // Most kills land after a checkpoint completed, so recovery is
        // exercised from a restored snapshot, not only from the start.
        assert!(
            t.restored_from_checkpoint >= POINTS / 3,
            "too few runs restored a checkpoint: {t:?}"
        );
    }
}
