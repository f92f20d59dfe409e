//! The operations chapter's figures worked by hand on the committed data:
//! a zone lost at peak, a JobManager failover, a backfill, data already
//! written as shards are added; and its answer on the sub-key encoding.

use partitioners::keys;
use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::model::strategy::Strategy;

use crate::helpers::repo_root;

#[test]
fn operations_worked_by_hand() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let ops = &m.operations;
    let p = &m.plan.get(12).base;
    let f = &inputs.assumptions.fault;
    assert_eq!(
        (
            inputs.architecture.deployment.availability_zones,
            inputs.architecture.clickhouse.replicas,
            f.job_manager_failover_s.value,
            f.state_restore_mb_per_s_per_task_manager.value,
        ),
        (3, 2, 15.0, 150.0)
    );
    let tms = p.flink.task_managers.expect("carried");
    // A zone: a third of the TaskManagers, started again half in each of
    // the two other zones; a third of the leaders; the shards with a
    // replica there (two replicas over three zones: two shards in three).
    let lost = tms.div_ceil(3);
    assert_eq!(ops.zone.task_managers_lost, lost);
    assert_eq!(ops.zone.task_managers_per_surviving_zone, lost.div_ceil(2));
    assert_eq!(ops.zone.leaders_moved, p.partitions_planned.div_ceil(3));
    assert_eq!(
        ops.zone.shards_short_a_replica,
        (p.clickhouse.shards * 2).div_ceil(3)
    );
    // A JobManager: 15 s to take over, the whole state back at 150 MB/s per
    // TaskManager, then the checkpoint interval replayed, drained at the pace.
    let restore = p.flink.state_bytes / 1e6 / (150.0 * f64::from(tms));
    let stop = 15.0 + restore;
    let backlog = stop + m.fault.exactly_once.checkpoint_interval_s + p.flink.checkpoint_duration_s;
    let rho = m.fault.bottleneck_utilization;
    assert!((ops.job_manager.interruption_s - stop).abs() < 1e-9);
    assert!((ops.job_manager.catch_up_s - backlog * rho / (1.0 - rho)).abs() < 1e-6);
    // A backfill of Kafka's whole retention at the same pace.
    let hours = m.fault.max_outage_without_loss_h;
    assert!((ops.backfill.catch_up_h - hours * rho / (1.0 - rho)).abs() < 1e-9);

    // The shards there from the start: each month's rows over that month's
    // shards, walked back a twelfth of a year at a time for 90 days.
    let c = &inputs.assumptions.clickhouse;
    assert_eq!(
        (c.retention_days.value, c.bytes_per_row_compressed.value),
        (90.0, 40.0)
    );
    let month_days = 365.25 / 12.0;
    let gb_per_day = |rows: f64| rows * 86_400.0 * 40.0 / 1e9;
    let mut months = vec![(m.workload.clickhouse.mean_rows_per_s, 4u32)];
    months.extend(
        (1..=m.last_carried_month)
            .map(|i| &m.plan.get(i).base.clickhouse)
            .map(|c| (c.avg_rows_per_s, c.shards)),
    );
    // Two whole months and the rest of 90 days from the one before; before
    // the plan, today's rate and shards.
    let held = |i: usize| {
        let part = 90.0 - 2.0 * month_days;
        let gb = |j: usize, days: f64| gb_per_day(months[j].0) * days / f64::from(months[j].1);
        gb(i, month_days) + gb(i.saturating_sub(1), month_days) + gb(i.saturating_sub(2), part)
    };
    let worst = (1..months.len()).map(held).fold(f64::MIN, f64::max);
    let oldest = &m.shard_growth.oldest_shard;
    assert!(
        (oldest.retained_gb - worst).abs() < 1e-6,
        "{} vs {worst}",
        oldest.retained_gb
    );
    assert_eq!(oldest.fits, oldest.retained_gb <= 8000.0 * 0.7);
}

#[test]
fn the_chapter_answers_whether_sub_key_zero_keeps_todays_key() {
    // Sub-key 0 of a customer is twelve bytes, the customer key eight: it
    // hashes elsewhere, so no customer keeps its partition at the switch.
    assert_ne!(
        keys::sub_key_bytes(42, 0).as_slice(),
        keys::customer_key_bytes(42).as_slice()
    );
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(draft.model.decision.chosen, Strategy::SubKeys);
    let text = &draft.chapters["operations.md"];
    assert!(
        text.contains("Sub-key `j = 0` does **not** keep today's key bytes"),
        "{text}"
    );
    assert!(
        text.contains("12 bytes") && text.contains("8-byte"),
        "{text}"
    );
}
