//! ClickHouse sizing for one month: shards so that each stays under the
//! merge-safe insert rate measured in production and holds its share of the
//! retained data, and the async-insert flush that keeps parts large.

use serde::Serialize;

use super::bound::{self, Binding};
use super::ceil_u32;
use super::kafka::BYTES_PER_GB;
use crate::inputs::architecture::ClickHouse;
use crate::inputs::assumptions::ClickHouseAssumptions;

pub use crate::inputs::metrics::{MIN_SAMPLES_PER_BIN, MergeSafeRate, RATE_BINS};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClickHouseSizing {
    pub avg_rows_per_s: f64,
    pub peak_rows_per_s: f64,
    /// `ceil(peak rows / merge-safe rate per shard)`.
    pub for_merges: u32,
    /// The highest share of its merge-safe rate a shard may take at peak and
    /// still drain a TaskManager failure's backlog within the catch-up target.
    pub catch_up_ceiling: f64,
    /// `ceil(peak rows / (merge-safe rate per shard × catch-up ceiling))`.
    pub for_catch_up: u32,
    /// Rows kept for the retention, compressed, on one replica of every shard.
    pub retained_gb: f64,
    /// `ceil(retained / (disk × fill))`.
    pub for_disk: u32,
    pub shards: u32,
    pub replicas: u32,
    pub nodes: u32,
    pub peak_rows_per_s_per_shard: f64,
    /// Async-insert flush: at least the busy timeout, longer if a shard's
    /// part would otherwise hold fewer than the minimum batch.
    pub flush_interval_ms: f64,
    pub rows_per_part: f64,
    pub parts_per_s_per_shard: f64,
    /// The bound that sets `shards`, and the one behind it.
    pub binding: Binding<ShardBound>,
}

/// The bounds on the shard count, in the order a tie is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShardBound {
    /// A shard's data cannot leave it without resharding.
    Today,
    Merges,
    /// Merges with the spare capacity to catch up after a failure.
    CatchUp,
    Disk,
}

impl ShardBound {
    pub fn name(self) -> &'static str {
        match self {
            ShardBound::Today => "today's count",
            ShardBound::Merges => "merges",
            ShardBound::CatchUp => "catch-up",
            ShardBound::Disk => "disk",
        }
    }

    /// What would relieve the bound.
    pub fn lever(self) -> &'static str {
        match self {
            ShardBound::Today => "resharding, which moves every row of the shards taken out",
            ShardBound::Merges => "larger insert batches (fewer, larger parts per row inserted)",
            ShardBound::CatchUp => {
                "a longer catch-up target, a faster restart, or larger insert batches"
            }
            ShardBound::Disk => "shorter retention, larger disks or better compression",
        }
    }
}

/// Shards for a month's rows; `catch_up_ceiling` is the share of its
/// merge-safe rate a shard may take at peak (1: no catch-up to keep room for).
pub fn size(
    avg_rows_per_s: f64,
    peak_rows_per_s: f64,
    merge_safe: &MergeSafeRate,
    catch_up_ceiling: f64,
    ch: &ClickHouse,
    a: &ClickHouseAssumptions,
) -> ClickHouseSizing {
    let for_merges = ceil_u32(peak_rows_per_s / merge_safe.rows_per_s_per_shard);
    let for_catch_up =
        ceil_u32(peak_rows_per_s / (merge_safe.rows_per_s_per_shard * catch_up_ceiling));
    let retained_gb =
        avg_rows_per_s * 86_400.0 * a.retention_days.value * a.bytes_per_row_compressed.value
            / BYTES_PER_GB;
    let for_disk =
        ceil_u32(retained_gb / (ch.disk_per_replica_gb * a.disk_target_utilization.value));
    // Never fewer shards than today: a shard's data cannot leave it without
    // a resharding, so the plan only adds.
    let binding = bound::binding(&[
        (ShardBound::Today, ch.shards),
        (ShardBound::Merges, for_merges),
        (ShardBound::CatchUp, for_catch_up),
        (ShardBound::Disk, for_disk),
    ]);
    let shards = binding.count;
    let per_shard = peak_rows_per_s / f64::from(shards);
    let flush_interval_ms = a
        .async_insert_busy_timeout_ms
        .value
        .max(1000.0 * a.min_insert_batch_rows.value / per_shard);
    ClickHouseSizing {
        avg_rows_per_s,
        peak_rows_per_s,
        for_merges,
        catch_up_ceiling,
        for_catch_up,
        retained_gb,
        for_disk,
        shards,
        replicas: ch.replicas,
        nodes: shards * ch.replicas,
        peak_rows_per_s_per_shard: per_shard,
        flush_interval_ms,
        rows_per_part: per_shard * flush_interval_ms / 1000.0,
        parts_per_s_per_shard: 1000.0 / flush_interval_ms,
        binding,
    }
}
