//! `operations.md`: the runbook figures of the plan's last month carried.

use serde::Serialize;

use super::Source;
use crate::inputs::Scenario;
use crate::model::strategy::Strategy;
use partitioners::keys;

#[derive(Debug, Serialize)]
pub struct Operations {
    pub label: String,
    pub increase: Option<Increase>,
    /// Partition increases the stepped schedule would make instead of the one.
    pub steps_increases: usize,
    pub several_steps: bool,
    /// The key the plan switches to, if it is not today's.
    pub to_sub_keys: bool,
    pub to_composite: bool,
    pub max_parallelism_changes: bool,
    pub adds_shards: bool,
    pub surviving_zones: u32,
    pub customer_key_bytes: usize,
    pub sub_key_bytes: usize,
    pub max_parallelism_today: u32,
    pub max_parallelism: u32,
    pub shards_today: u32,
    pub shards: u32,
    pub oldest_label: String,
    pub oldest_retained_gb: f64,
    pub oldest_even_gb: f64,
    pub oldest_capacity_gb: f64,
    pub oldest_fits: bool,
    pub retention_days: f64,
    pub job_manager_failover_s: f64,
    pub job_manager_interruption_s: f64,
    pub job_manager_catch_up_s: f64,
    pub backfill_outage_h: f64,
    pub backfill_catch_up_h: f64,
    pub zones: u32,
    pub zone_task_managers_lost: u32,
    pub zone_slots_lost: u32,
    pub zone_task_managers_per_surviving_zone: u32,
    pub zone_leaders_moved: u32,
    pub zone_shards_short_a_replica: u32,
    pub merge: Option<Merge>,
}

#[derive(Debug, Serialize)]
pub struct Increase {
    pub label: String,
    pub from: u32,
    pub to: u32,
    pub moved_share: f64,
}

#[derive(Debug, Serialize)]
pub struct Merge {
    pub records_per_s: f64,
    pub state_mb: f64,
    pub state_share: f64,
    pub latency_ms: f64,
}

pub fn build(src: &Source<'_>) -> Operations {
    let model = src.model;
    let ops = &model.operations;
    let month = model.last_carried_month;
    let plan = src.months.plan(month, Scenario::Base);
    let keyed = plan
        .flink
        .vertices
        .iter()
        .find(|v| v.keyed)
        .expect("a keyed vertex");
    let arch = &src.inputs.architecture;
    let oldest = &model.shard_growth.oldest_shard;
    let z = &ops.zone;
    Operations {
        label: src.months.label(month).to_owned(),
        increase: ops.first_increase.as_ref().map(|i| Increase {
            label: src.months.label(i.month).to_owned(),
            from: i.from,
            to: i.to,
            moved_share: i.moved_share,
        }),
        steps_increases: model.partition_steps.increases.len(),
        several_steps: model.partition_steps.increases.len() > 1,
        to_sub_keys: model.decision.chosen == Strategy::SubKeys,
        to_composite: model.decision.chosen == Strategy::Composite,
        max_parallelism_changes: keyed.max_parallelism != arch.keyed_operator().max_parallelism,
        adds_shards: plan.clickhouse.shards > arch.clickhouse.shards,
        surviving_zones: z.zones.saturating_sub(1),
        customer_key_bytes: keys::customer_key_bytes(0).len(),
        sub_key_bytes: keys::sub_key_bytes(0, 0).len(),
        max_parallelism_today: arch.keyed_operator().max_parallelism,
        max_parallelism: keyed.max_parallelism,
        shards_today: arch.clickhouse.shards,
        shards: plan.clickhouse.shards,
        oldest_label: src.months.label(oldest.month).to_owned(),
        oldest_retained_gb: oldest.retained_gb,
        oldest_even_gb: oldest.even_gb,
        oldest_capacity_gb: oldest.capacity_gb,
        oldest_fits: oldest.fits,
        retention_days: src.inputs.assumptions.clickhouse.retention_days.value,
        job_manager_failover_s: ops.job_manager.failover_s,
        job_manager_interruption_s: ops.job_manager.interruption_s,
        job_manager_catch_up_s: ops.job_manager.catch_up_s,
        backfill_outage_h: ops.backfill.outage_h,
        backfill_catch_up_h: ops.backfill.catch_up_h,
        zones: z.zones,
        zone_task_managers_lost: z.task_managers_lost,
        zone_slots_lost: z.slots_lost,
        zone_task_managers_per_surviving_zone: z.task_managers_per_surviving_zone,
        zone_leaders_moved: z.leaders_moved,
        zone_shards_short_a_replica: z.shards_short_a_replica,
        merge: ops.merge_stage.as_ref().map(|m| Merge {
            records_per_s: m.records_per_s,
            state_mb: m.state_bytes / 1e6,
            state_share: m.state_share,
            latency_ms: m.latency_ms,
        }),
    }
}
