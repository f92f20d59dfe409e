//! ClickHouse sizing for one month: shards so that each stays under the
//! merge-safe insert rate measured in production and holds its share of the
//! retained data, and the async-insert flush that keeps parts large.

use serde::Serialize;

use super::ceil_u32;
use super::kafka::BYTES_PER_GB;
use crate::inputs::architecture::ClickHouse;
use crate::inputs::assumptions::ClickHouseAssumptions;
use crate::inputs::metrics::ShardSample;
use crate::model::workload::quantile;

/// Samples per bin below which a bin says too little to judge.
pub const MIN_SAMPLES_PER_BIN: usize = 10;
/// Bins of the rows/s-per-shard axis when reading the merge-safe rate off the metrics.
pub const RATE_BINS: usize = 24;

/// The highest rows/s per shard at which production kept its parts in check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeSafeRate {
    pub rows_per_s_per_shard: f64,
    /// Whether the metrics crossed the parts limit: if not, the rate is only the
    /// highest one seen, a lower bound on what a shard can take.
    pub limit_observed: bool,
    pub max_parts: f64,
}

/// Bins the per-shard samples by insert rate and walks up the bins while the
/// p99 of `max_parts_in_partition` stays at or below `max_parts`.
pub fn merge_safe_rate(samples: &[ShardSample], max_parts: f64) -> MergeSafeRate {
    let top = samples.iter().map(|s| s.rows_per_s).fold(0.0, f64::max);
    let width = (top / RATE_BINS as f64).max(f64::MIN_POSITIVE);
    let mut bins: Vec<Vec<f64>> = vec![Vec::new(); RATE_BINS + 1];
    for s in samples {
        bins[((s.rows_per_s / width) as usize).min(RATE_BINS)].push(s.max_parts_in_partition);
    }
    let mut safe = 0.0;
    for (i, parts) in bins.iter().enumerate() {
        if parts.len() < MIN_SAMPLES_PER_BIN {
            continue;
        }
        if quantile(parts, 0.99) > max_parts {
            return MergeSafeRate {
                rows_per_s_per_shard: safe,
                limit_observed: true,
                max_parts,
            };
        }
        safe = width * (i + 1) as f64;
    }
    MergeSafeRate {
        rows_per_s_per_shard: safe.min(top),
        limit_observed: false,
        max_parts,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClickHouseSizing {
    pub avg_rows_per_s: f64,
    pub peak_rows_per_s: f64,
    /// `ceil(peak rows / merge-safe rate per shard)`.
    pub for_merges: u32,
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
}

pub fn size(
    avg_rows_per_s: f64,
    peak_rows_per_s: f64,
    merge_safe: &MergeSafeRate,
    ch: &ClickHouse,
    a: &ClickHouseAssumptions,
) -> ClickHouseSizing {
    let for_merges = ceil_u32(peak_rows_per_s / merge_safe.rows_per_s_per_shard);
    let retained_gb =
        avg_rows_per_s * 86_400.0 * a.retention_days.value * a.bytes_per_row_compressed.value
            / BYTES_PER_GB;
    let for_disk =
        ceil_u32(retained_gb / (ch.disk_per_replica_gb * a.disk_target_utilization.value));
    let shards = for_merges.max(for_disk).max(1);
    let per_shard = peak_rows_per_s / f64::from(shards);
    let flush_interval_ms = a
        .async_insert_busy_timeout_ms
        .value
        .max(1000.0 * a.min_insert_batch_rows.value / per_shard);
    ClickHouseSizing {
        avg_rows_per_s,
        peak_rows_per_s,
        for_merges,
        retained_gb,
        for_disk,
        shards,
        replicas: ch.replicas,
        nodes: shards * ch.replicas,
        peak_rows_per_s_per_shard: per_shard,
        flush_interval_ms,
        rows_per_part: per_shard * flush_interval_ms / 1000.0,
        parts_per_s_per_shard: 1000.0 / flush_interval_ms,
    }
}
