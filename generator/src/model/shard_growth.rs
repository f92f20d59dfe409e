//! What the ClickHouse plan means beyond one month's count: whether a
//! customer sharding key could carry the hottest customer, where the data
//! already written sits as shards are added, and what a larger insert batch
//! would save against the wait it adds.

use serde::Serialize;

use super::MonthPlan;
use super::clickhouse::{self, BatchChoice, BatchModel, ClickHouseSizing};
use super::cost;
use super::kafka::BYTES_PER_GB;
use super::strategy::CustomerRef;
use crate::inputs::architecture::Architecture;
use crate::inputs::assumptions::Assumptions;

/// Days in a month of the plan: a year's days over twelve.
const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// A sharding key on the customer puts all of a customer's rows on one shard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerShardingKey {
    pub customer: CustomerRef,
    pub share: f64,
    /// The customer's rows/s at the month's peak: its share of the rows.
    pub peak_rows_per_s: f64,
    /// What one shard takes at peak: its merge-safe rate within the catch-up ceiling.
    pub shard_rows_per_s: f64,
    pub fits: bool,
}

pub fn customer_sharding_key(plan: &MonthPlan) -> Option<CustomerShardingKey> {
    let hottest = plan.heaviest_customers.first()?;
    let ch = &plan.clickhouse;
    let peak_rows_per_s = hottest.share * ch.peak_rows_per_s;
    let shard_rows_per_s = ch.merge_safe_rows_per_s * ch.catch_up_ceiling;
    Some(CustomerShardingKey {
        customer: hottest.customer,
        share: hottest.share,
        peak_rows_per_s,
        shard_rows_per_s,
        fits: peak_rows_per_s <= shard_rows_per_s,
    })
}

/// Shards are added, never refilled: rows already written stay where they
/// landed until the retention drops them, so a shard that has been there
/// all year holds its larger shares of the earlier months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OldestShard {
    /// The month the oldest shards hold the most in.
    pub month: u32,
    pub retained_gb: f64,
    /// The same month's retained data spread evenly over its shards.
    pub even_gb: f64,
    /// A replica's disk at the fill target.
    pub capacity_gb: f64,
    pub fits: bool,
}

/// `months`: (average rows/s, shards) for today (first) and every month of
/// the plan after it. A shard there from the start is sent `1 / shards` of
/// each month's rows and keeps the last `retention_days` of them.
pub fn oldest_shard(months: &[(f64, u32)], arch: &Architecture, a: &Assumptions) -> OldestShard {
    let ch = &a.clickhouse;
    let gb_per_day =
        |rows_per_s: f64| rows_per_s * 86_400.0 * ch.bytes_per_row_compressed.value / BYTES_PER_GB;
    let capacity_gb = arch.clickhouse.disk_per_replica_gb * ch.disk_target_utilization.value;
    let retention = ch.retention_days.value;
    let held = |m: usize| {
        // Walk back from month `m`, a whole month at a time, until the
        // retention is used up; today's rate covers whatever is before the plan.
        let mut left = retention;
        let mut gb = 0.0;
        let mut j = m;
        while left > 0.0 {
            let (rows, shards) = months[j];
            let days = left.min(DAYS_PER_MONTH);
            gb += gb_per_day(rows) * days / f64::from(shards);
            left -= days;
            j = j.saturating_sub(1);
        }
        gb
    };
    let (month, retained_gb) =
        (1..months.len())
            .map(|m| (m, held(m)))
            .fold(
                (1, f64::MIN),
                |best, (m, gb)| if gb > best.1 { (m, gb) } else { best },
            );
    let (rows, shards) = months[month];
    OldestShard {
        month: month as u32,
        retained_gb,
        even_gb: gb_per_day(rows) * retention / f64::from(shards),
        capacity_gb,
        fits: retained_gb <= capacity_gb,
    }
}

/// The month's shards had the sink sent parts of another size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchLever {
    pub rows_per_part: f64,
    pub merge_safe_rows_per_s: f64,
    pub shards: u32,
    pub nodes_saved: u32,
    pub usd_per_month_saved: f64,
    /// How much longer each row waits for its part at peak.
    pub flush_ms_added: f64,
}

pub fn batch_lever(
    plan: &ClickHouseSizing,
    model: &BatchModel,
    factor: f64,
    arch: &Architecture,
    a: &Assumptions,
) -> BatchLever {
    let batch = BatchChoice {
        rows_per_part: (plan.batch.rows_per_part * factor).ceil(),
        ..plan.batch.clone()
    };
    let other = clickhouse::size(
        plan.avg_rows_per_s,
        plan.peak_rows_per_s,
        batch,
        model,
        plan.catch_up_ceiling,
        &arch.clickhouse,
        &a.clickhouse,
    );
    let node_cost = |nodes| cost::monthly(0, 0, nodes, arch, &a.cost).clickhouse;
    BatchLever {
        rows_per_part: other.rows_per_part,
        merge_safe_rows_per_s: other.merge_safe_rows_per_s,
        shards: other.shards,
        nodes_saved: plan.nodes.saturating_sub(other.nodes),
        usd_per_month_saved: node_cost(plan.nodes) - node_cost(other.nodes),
        flush_ms_added: other.flush_interval_ms - plan.flush_interval_ms,
    }
}

/// The plan's ClickHouse beyond the month's count, on the last month carried.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShardGrowth {
    pub batch_model: BatchModel,
    pub sharding_key: Option<CustomerShardingKey>,
    pub oldest_shard: OldestShard,
    /// Twice the chosen batch.
    pub larger_batch: BatchLever,
}
