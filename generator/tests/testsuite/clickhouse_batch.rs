//! The ClickHouse insert batch as a decision: the merge-safe rate as a
//! function of the batch, the floors that choose it, and the shards, parts,
//! Keeper load and flush that follow, worked by hand on the committed data.

use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::model::clickhouse::BatchFloor;
use specgen::render::markdown::group;

use crate::helpers::repo_root;

#[test]
fn the_insert_batch_is_chosen_against_parts_keeper_and_guidance_worked_by_hand() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let a = &inputs.assumptions;
    assert_eq!(
        (
            a.clickhouse.async_insert_busy_timeout_ms.value,
            a.clickhouse.min_insert_batch_rows.value,
            a.clickhouse.max_inserts_per_s_per_shard.value,
            a.clickhouse.part_cost_rows.value,
            a.fault.keeper_inserts_per_s.value,
            inputs.architecture.clickhouse.tables.len(),
        ),
        (200.0, 10_000.0, 1.0, 2_300.0, 300.0, 2)
    );
    // Production's point: the merge-safe rate read off the metrics, at the
    // parts a 200 ms flush makes at that rate.
    let r0 = m.merge_safe.rows_per_s_per_shard;
    let b0 = r0 * 0.2;
    // R(B0) = B0 / (t_row (k + B0)) = R0 gives t_row = 0.2 / (k + B0).
    let t_row = 0.2 / (2_300.0 + b0);
    let t_part = 2_300.0 * t_row;
    let rate = |b: f64| b / (t_part + t_row * b);
    assert!((rate(b0) - r0).abs() < 1e-6);

    let p = &m.plan.get(12).base;
    let c = &p.clickhouse;
    // The floors: the guidance, one insert per second at R(B), Keeper.
    let for_parts = (1.0 - t_part) / t_row;
    let for_keeper = 2.0 * c.peak_rows_per_s / 300.0;
    assert!((c.batch.for_parts - for_parts).abs() < 1e-6);
    assert!((c.batch.for_keeper - for_keeper).abs() < 1e-6);
    let batch = 10_000f64.max(for_parts).max(for_keeper).ceil();
    assert_eq!(c.rows_per_part, batch);
    assert_eq!(c.batch.floor, BatchFloor::Parts, "{:?}", c.batch);
    // At that batch a shard takes as many rows/s as rows per part: one
    // insert per second at its merge-safe rate.
    let r = rate(batch);
    assert!((c.merge_safe_rows_per_s - r).abs() < 1e-6);
    assert!((r - batch).abs() < 1.0, "{r} vs {batch}");
    assert!(r > r0, "larger parts take more rows/s than today's");
    // The shards: merges, catch-up, disk, never below today's.
    let for_merges = (c.peak_rows_per_s / r).ceil() as u32;
    let for_catch_up = (c.peak_rows_per_s / (r * c.catch_up_ceiling)).ceil() as u32;
    assert_eq!((c.for_merges, c.for_catch_up), (for_merges, for_catch_up));
    assert_eq!(c.shards, for_catch_up.max(c.for_disk).max(4));
    // At peak a shard fills the batch every batch / rate seconds, at most
    // once a second; every table on every shard is within Keeper's 300/s.
    let per_shard = c.peak_rows_per_s / f64::from(c.shards);
    assert!((c.flush_interval_ms - 1000.0 * batch / per_shard).abs() < 1e-6);
    assert!(c.parts_per_s_per_shard <= 1.0);
    let inserts = 2.0 * f64::from(c.shards) * per_shard / batch;
    assert!((m.fault.keeper.inserts_per_s - inserts).abs() < 1e-6);
    assert!(
        inserts <= 300.0,
        "Keeper is no longer overloaded: {inserts}"
    );

    // The chapter states the model, the batch and what sets it.
    let text = &draft.chapters["sizing.md"];
    for needle in [
        "R(B) = B / (t_part + t_row × B)".to_owned(),
        format!("**{} rows**", group(batch, 0)),
        "is set by parts per second per shard".to_owned(),
    ] {
        assert!(text.contains(&needle), "missing {needle:?}");
    }

    // Twice the batch: the lever, recomputed.
    let lever = &m.shard_growth.larger_batch;
    let r2 = rate((batch * 2.0).ceil());
    assert!((lever.merge_safe_rows_per_s - r2).abs() < 1e-6);
    let shards2 = ((c.peak_rows_per_s / (r2 * c.catch_up_ceiling)).ceil() as u32)
        .max(c.for_disk)
        .max(4);
    assert_eq!(lever.shards, shards2);
    assert_eq!(lever.nodes_saved, (c.shards - shards2) * 2);
    let flush2 = 1000.0 * (batch * 2.0).ceil() / (c.peak_rows_per_s / f64::from(shards2));
    assert!((lever.flush_ms_added - (flush2 - c.flush_interval_ms)).abs() < 1e-6);
}

#[test]
fn a_customer_sharding_key_is_weighed_against_one_shard() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let p = &m.plan.get(12).base;
    let hottest = &p.heaviest_customers[0];
    let key = m
        .shard_growth
        .sharding_key
        .as_ref()
        .expect("a hot customer");
    let rows = hottest.share * p.clickhouse.peak_rows_per_s;
    let one_shard = p.clickhouse.merge_safe_rows_per_s * p.clickhouse.catch_up_ceiling;
    assert!((key.peak_rows_per_s - rows).abs() < 1e-6);
    assert_eq!(key.fits, rows <= one_shard);
    let text = &draft.chapters["sizing.md"];
    assert!(text.contains("sharded by a hash of the event id"), "{text}");
}
