//! The ClickHouse insert batch and what the shard plan means over the year,
//! in words: the batch model and the floor that sets the batch, the batch
//! lever, the customer sharding key, and the data already written.

use serde::Serialize;

use super::Source;
use super::partitioning::customer_name;
use super::text::Text;
use crate::inputs::Scenario;

#[derive(Debug, Serialize)]
pub struct Batch {
    /// The month the figures are of: the last one the plan carries.
    pub label: String,
    pub t_part_ms: f64,
    pub t_row_us: f64,
    pub part_cost_rows: f64,
    pub today_rows_per_part: f64,
    pub today_flush_ms: f64,
    pub for_guidance: f64,
    pub for_parts: f64,
    pub for_keeper: f64,
    pub max_inserts_per_s: f64,
    pub keeper_inserts_per_s: f64,
    pub rows_per_part: f64,
    pub set_by: &'static str,
    pub merge_safe_rows_per_s: f64,
    pub flush_ms: f64,
    pub parts_per_s: f64,
    pub larger_rows_per_part: f64,
    pub larger_merge_safe_rows_per_s: f64,
    pub larger_shards: u32,
    pub larger_nodes_saved: u32,
    pub larger_saves: bool,
    pub larger_saving_usd_per_month: f64,
    pub larger_flush_ms_added: f64,
    pub sharding_key: Option<ShardingKey>,
    pub oldest: Oldest,
}

#[derive(Debug, Serialize)]
pub struct ShardingKey {
    pub customer: Text,
    pub share: f64,
    pub peak_rows_per_s: f64,
    pub shard_rows_per_s: f64,
    /// The customer's rows over what one shard takes.
    pub shards_worth: f64,
    pub fits: bool,
}

#[derive(Debug, Serialize)]
pub struct Oldest {
    pub label: String,
    pub retained_gb: f64,
    pub even_gb: f64,
    pub capacity_gb: f64,
    pub fits: bool,
}

pub fn batch(src: &Source<'_>) -> Batch {
    let model = src.model;
    let growth = &model.shard_growth;
    let bm = &growth.batch_model;
    let month = model.last_carried_month;
    let c = &src.months.plan(month, Scenario::Base).clickhouse;
    let a = &src.inputs.assumptions;
    let larger = &growth.larger_batch;
    let oldest = &growth.oldest_shard;
    Batch {
        label: src.months.label(month).to_owned(),
        t_part_ms: bm.t_part_s * 1000.0,
        t_row_us: bm.t_row_s * 1e6,
        part_cost_rows: bm.part_cost_rows,
        today_rows_per_part: bm.today_rows_per_part,
        today_flush_ms: a.clickhouse.async_insert_busy_timeout_ms.value,
        for_guidance: c.batch.for_guidance,
        for_parts: c.batch.for_parts,
        for_keeper: c.batch.for_keeper,
        max_inserts_per_s: a.clickhouse.max_inserts_per_s_per_shard.value,
        keeper_inserts_per_s: a.fault.keeper_inserts_per_s.value,
        rows_per_part: c.rows_per_part,
        set_by: c.batch.floor.name(),
        merge_safe_rows_per_s: c.merge_safe_rows_per_s,
        flush_ms: c.flush_interval_ms,
        parts_per_s: c.parts_per_s_per_shard,
        larger_rows_per_part: larger.rows_per_part,
        larger_merge_safe_rows_per_s: larger.merge_safe_rows_per_s,
        larger_shards: larger.shards,
        larger_nodes_saved: larger.nodes_saved,
        larger_saves: larger.nodes_saved > 0,
        larger_saving_usd_per_month: larger.usd_per_month_saved,
        larger_flush_ms_added: larger.flush_ms_added,
        sharding_key: growth.sharding_key.as_ref().map(|k| ShardingKey {
            customer: customer_name(src, k.customer),
            share: k.share,
            peak_rows_per_s: k.peak_rows_per_s,
            shard_rows_per_s: k.shard_rows_per_s,
            shards_worth: k.peak_rows_per_s / k.shard_rows_per_s,
            fits: k.fits,
        }),
        oldest: Oldest {
            label: src.months.label(oldest.month).to_owned(),
            retained_gb: oldest.retained_gb,
            even_gb: oldest.even_gb,
            capacity_gb: oldest.capacity_gb,
            fits: oldest.fits,
        },
    }
}
