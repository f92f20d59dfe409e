//! The runtime end to end: strategies and backends agree, the time metrics
//! add up, routing follows Flink.

use std::time::Duration;

use bench_prototype::config::{BackendKind, Strategy};
use bench_prototype::runtime::{Guarantee, JobSpec, Mode, Pacing, Stop, run_job};
use bench_prototype::sweep::{PointSetup, run_point, subtask_shares};
use partitioners::{flink_subtask, long_hash_code};

use crate::common::{generator, keys, partitioner, small_windows};

fn bounded(strategy: Strategy, parallelism: u32, backend: BackendKind, events: u64) -> JobSpec {
    let common = small_windows();
    JobSpec {
        partitioner: partitioner(strategy, parallelism, &common),
        common,
        backend,
        mode: Mode::Native,
        // Event time follows 20k events/s: 150k events span 7.5 s of event
        // time, dozens of 200 ms windows.
        pacing: Pacing::Closed {
            nominal_rate: 20_000.0,
        },
        stop: Stop::AfterEvents(events),
        guarantee: Guarantee::ExactlyOnce,
        checkpoint_interval: Some(Duration::from_millis(30)),
        measure: None,
        faults: Vec::new(),
    }
}

#[test]
fn window_results_are_identical_across_strategies_and_backends() {
    let _machine = crate::common::beside_others();
    let events = 150_000;
    let generator = generator(&small_windows());
    let reference = run_job(
        &bounded(Strategy::Customer, 1, BackendKind::Heap, events),
        &generator,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let table = reference.external.table();
    let windows: std::collections::BTreeSet<i64> = table.keys().map(|k| k.0).collect();
    assert!(windows.len() > 20, "only {} windows fired", windows.len());
    assert!(reference.late_records > 0, "no record was dropped as late");
    let counted: u64 = table.values().map(|r| r.acc.count).sum();
    assert_eq!(
        counted + reference.late_records,
        events,
        "every event is counted or late"
    );

    for (strategy, p, backend) in [
        (Strategy::Customer, 4, BackendKind::Heap),
        (Strategy::Composite, 4, BackendKind::Heap),
        (Strategy::Sticky, 4, BackendKind::Heap),
        (Strategy::Customer, 3, BackendKind::Rocksdb),
        (Strategy::Sticky, 3, BackendKind::Rocksdb),
    ] {
        let r = run_job(&bounded(strategy, p, backend, events), &generator)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.external.table(), table, "{strategy:?} {p} {backend:?}");
        assert_eq!(
            r.late_records, reference.late_records,
            "{strategy:?} {backend:?}"
        );
    }
}

#[test]
fn busy_backpressured_and_idle_add_up_to_a_second_per_second() {
    let _machine = crate::common::beside_others();
    let common = small_windows();
    let setup = PointSetup {
        partitioner: partitioner(Strategy::Customer, 3, &common),
        common: common.clone(),
        backend: BackendKind::Heap,
        // 100 µs per record at ~10k records/s per subtask: busy, not saturated.
        service_ns: 100_000.0,
        warmup_s: 0.3,
        measure_s: 1.0,
        checkpoint_interval_ms: 200,
    };
    let (point, _) =
        run_point(&setup, &generator(&common), 15_000.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(point.busy_ratio.len(), 3);
    for i in 0..3 {
        let sum = point.busy_ratio[i] + point.backpressured_ratio[i] + point.idle_ratio[i];
        assert!(
            (0.9..=1.05).contains(&sum),
            "subtask {i}: busy+bp+idle = {sum}"
        );
    }
    assert!(point.hottest_busy_ratio > 0.1, "{point:?}");
}

#[test]
fn an_overloaded_operator_is_not_sustained_and_a_light_one_is() {
    let _machine = crate::common::beside_others();
    let common = small_windows();
    let setup = PointSetup {
        partitioner: partitioner(Strategy::Customer, 2, &common),
        common: common.clone(),
        backend: BackendKind::Heap,
        service_ns: 200_000.0,
        warmup_s: 0.3,
        measure_s: 1.2,
        checkpoint_interval_ms: 200,
    };
    let g = generator(&common);
    // Two subtasks of 5k records/s each: 20k/s is twice what they can take.
    let (heavy, _) = run_point(&setup, &g, 20_000.0).unwrap_or_else(|e| panic!("{e}"));
    assert!(!heavy.sustained, "{heavy:?}");
    assert!(heavy.hottest_busy_ratio > 0.9, "{heavy:?}");
    let (light, _) = run_point(&setup, &g, 1_000.0).unwrap_or_else(|e| panic!("{e}"));
    assert!(light.sustained, "{light:?}");
}

#[test]
fn subtask_shares_follow_flinks_key_groups() {
    let _machine = crate::common::beside_others();
    let common = small_windows();
    let keys = keys();
    let spec = partitioner(Strategy::Customer, 12, &common);
    let shares = subtask_shares(&keys, &spec);
    assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-4);
    // The hottest customer's subtask holds at least its share.
    let hot = keys.customer_ids[0];
    let s = flink_subtask(long_hash_code(hot), 128, 12) as usize;
    assert!(shares[s] >= keys.customer_shares[0] - 1e-6);
    // Sticky sub-partitioning spreads the hot customers: its hottest subtask
    // carries less than the customer strategy's.
    let sticky = subtask_shares(&keys, &partitioner(Strategy::Sticky, 12, &common));
    let max = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    assert!(max(&sticky) < max(&shares), "{sticky:?} vs {shares:?}");
}

/// A checkpoint interval shorter than the metrics tick is kept: the
/// coordinator wakes for the next checkpoint, not only for the next sample.
/// Half a second paced at 20k events/s, a checkpoint every 20 ms and a tick
/// of a whole second: about 25 checkpoints are due. A coordinator that slept
/// through the tick would take none before the input ends.
#[test]
fn checkpoints_follow_their_interval_when_it_is_shorter_than_the_metrics_tick() {
    let _machine = crate::common::beside_others();
    let mut common = small_windows();
    common.lag_sample_interval_ms = 1_000;
    let spec = JobSpec {
        partitioner: partitioner(Strategy::Customer, 2, &common),
        common: common.clone(),
        backend: BackendKind::Heap,
        mode: Mode::Native,
        pacing: Pacing::Open { rate: 20_000.0 },
        stop: Stop::AfterEvents(10_000),
        guarantee: Guarantee::ExactlyOnce,
        checkpoint_interval: Some(Duration::from_millis(20)),
        measure: None,
        faults: Vec::new(),
    };
    let r = run_job(&spec, &generator(&common)).unwrap_or_else(|e| panic!("{e}"));
    // Wide margin for a loaded machine (the suite's other runs share the
    // cores): a sixth of the due checkpoints, where the old coordinator took none.
    assert!(
        r.checkpoints.len() >= 4,
        "{} checkpoints in a 0.5 s run at a 20 ms interval",
        r.checkpoints.len()
    );
}
