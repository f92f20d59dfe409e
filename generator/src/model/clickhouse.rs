//! ClickHouse sizing for one month: the insert batch chosen against parts,
//! Keeper and ClickHouse's own guidance; shards so that each stays under the
//! merge-safe rate at that batch, keeps room to catch up after a failure and
//! holds its share of the retained data.

use serde::Serialize;

use super::bound::{self, Binding};
use super::ceil_u32;
use super::kafka::BYTES_PER_GB;
use crate::inputs::architecture::ClickHouse;
use crate::inputs::assumptions::ClickHouseAssumptions;

pub use crate::inputs::metrics::{MIN_SAMPLES_PER_BIN, MergeSafeRate, RATE_BINS};

/// A shard's merge work for what it is sent: a fixed cost per part (writing
/// it, then merging it away level by level) and a cost per row. A shard keeps
/// its parts in check while that work fits in a second, so the rate it takes
/// at `B` rows per part is `R(B) = B / (t_part + t_row × B)`: small parts
/// spend the shard on parts, large ones approach `1 / t_row`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BatchModel {
    pub t_part_s: f64,
    pub t_row_s: f64,
    /// `t_part / t_row`: the rows whose cost equals one part's.
    pub part_cost_rows: f64,
    /// Where production pins the model: its merge-safe rate, at the rows per
    /// part today's async-insert flush gives at that rate.
    pub today_rows_per_part: f64,
    pub today_rows_per_s: f64,
}

impl BatchModel {
    /// Anchored at production's measured point `(B0, R0)`, `B0 = R0 × flush`,
    /// with the ratio `k = t_part / t_row` from the batching experiment:
    /// `R0 = B0 / (t_row (k + B0))` gives `t_row = flush / (k + B0)`.
    pub fn anchored(merge_safe_rows_per_s: f64, flush_today_ms: f64, part_cost_rows: f64) -> Self {
        let flush_s = flush_today_ms / 1000.0;
        let b0 = merge_safe_rows_per_s * flush_s;
        let t_row_s = flush_s / (part_cost_rows + b0);
        BatchModel {
            t_part_s: part_cost_rows * t_row_s,
            t_row_s,
            part_cost_rows,
            today_rows_per_part: b0,
            today_rows_per_s: merge_safe_rows_per_s,
        }
    }

    /// The merge-safe rows/s of a shard sent parts of `rows_per_part` rows.
    pub fn rows_per_s(&self, rows_per_part: f64) -> f64 {
        rows_per_part / (self.t_part_s + self.t_row_s * rows_per_part)
    }
}

/// The floors on the rows per insert, in the order a tie is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchFloor {
    /// ClickHouse's guidance on the smallest batch worth an insert.
    Guidance,
    /// A shard at its merge-safe rate inserts at most the parts per second allowed.
    Parts,
    /// Every table's inserts on every shard within what Keeper takes.
    Keeper,
}

impl BatchFloor {
    pub fn name(self) -> &'static str {
        match self {
            BatchFloor::Guidance => "ClickHouse's batch guidance",
            BatchFloor::Parts => "parts per second per shard",
            BatchFloor::Keeper => "Keeper's insert rate",
        }
    }
}

/// The rows per part the sink's flush aims at: the smallest that meets every
/// floor. Larger parts would take a little more per shard, but each row
/// waits for its part, so the plan takes no more than the floors ask.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchChoice {
    pub for_guidance: f64,
    /// `(1 / parts per s − t_part) / t_row`: at `R(B)`, no more parts than allowed.
    pub for_parts: f64,
    /// `tables × peak rows / Keeper's inserts per s`.
    pub for_keeper: f64,
    pub rows_per_part: f64,
    pub floor: BatchFloor,
}

pub fn choose_batch(
    peak_rows_per_s: f64,
    tables: usize,
    model: &BatchModel,
    keeper_inserts_per_s: f64,
    a: &ClickHouseAssumptions,
) -> BatchChoice {
    let for_guidance = a.min_insert_batch_rows.value;
    let for_parts =
        ((1.0 / a.max_inserts_per_s_per_shard.value - model.t_part_s) / model.t_row_s).max(0.0);
    let for_keeper = tables as f64 * peak_rows_per_s / keeper_inserts_per_s;
    let (floor, rows) = [
        (BatchFloor::Guidance, for_guidance),
        (BatchFloor::Parts, for_parts),
        (BatchFloor::Keeper, for_keeper),
    ]
    .into_iter()
    .fold((BatchFloor::Guidance, f64::MIN), |best, (f, r)| {
        if r > best.1 { (f, r) } else { best }
    });
    BatchChoice {
        for_guidance,
        for_parts,
        for_keeper,
        rows_per_part: rows.ceil(),
        floor,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClickHouseSizing {
    pub avg_rows_per_s: f64,
    pub peak_rows_per_s: f64,
    pub batch: BatchChoice,
    /// `R(B)` at the chosen batch: what a shard takes with its parts in check.
    pub merge_safe_rows_per_s: f64,
    /// `ceil(peak rows / R(B))`.
    pub for_merges: u32,
    /// The highest share of its merge-safe rate a shard may take at peak and
    /// still drain a TaskManager failure's backlog within the catch-up target.
    pub catch_up_ceiling: f64,
    /// `ceil(peak rows / (R(B) × catch-up ceiling))`.
    pub for_catch_up: u32,
    /// Rows kept for the retention, compressed, on one replica of every shard.
    pub retained_gb: f64,
    /// `ceil(retained / (disk × fill))`.
    pub for_disk: u32,
    pub shards: u32,
    pub replicas: u32,
    pub nodes: u32,
    pub peak_rows_per_s_per_shard: f64,
    /// The flush timeout: how long a shard's buffer takes to fill the batch at
    /// peak. Quieter hours flush on it with smaller parts, never more often.
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
            ShardBound::Merges => {
                "larger insert batches, which each row waits longer for (fewer, larger parts per row inserted)"
            }
            ShardBound::CatchUp => {
                "a longer catch-up target, a faster restart, or larger insert batches"
            }
            ShardBound::Disk => "shorter retention, larger disks or better compression",
        }
    }
}

/// Shards for a month's rows at the chosen batch; `catch_up_ceiling` is the
/// share of its merge-safe rate a shard may take at peak (1: no catch-up to
/// keep room for).
pub fn size(
    avg_rows_per_s: f64,
    peak_rows_per_s: f64,
    batch: BatchChoice,
    model: &BatchModel,
    catch_up_ceiling: f64,
    ch: &ClickHouse,
    a: &ClickHouseAssumptions,
) -> ClickHouseSizing {
    let merge_safe = model.rows_per_s(batch.rows_per_part);
    let for_merges = ceil_u32(peak_rows_per_s / merge_safe);
    let for_catch_up = ceil_u32(peak_rows_per_s / (merge_safe * catch_up_ceiling));
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
    let rows_per_part = batch.rows_per_part;
    ClickHouseSizing {
        avg_rows_per_s,
        peak_rows_per_s,
        merge_safe_rows_per_s: merge_safe,
        for_merges,
        catch_up_ceiling,
        for_catch_up,
        retained_gb,
        for_disk,
        shards,
        replicas: ch.replicas,
        nodes: shards * ch.replicas,
        peak_rows_per_s_per_shard: per_shard,
        flush_interval_ms: 1000.0 * rows_per_part / per_shard,
        rows_per_part,
        parts_per_s_per_shard: per_shard / rows_per_part,
        batch,
        binding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_model_worked_by_hand() {
        // Production: 25,000 rows/s per shard at a 200 ms flush, so 5,000
        // rows per part; a part costs as much as 2,500 rows.
        let m = BatchModel::anchored(25_000.0, 200.0, 2_500.0);
        // t_row = 0.2 / (2,500 + 5,000) = 26.67 µs; t_part = 66.67 ms.
        assert!((m.t_row_s - 0.2 / 7_500.0).abs() < 1e-12);
        assert!((m.t_part_s - 2_500.0 * 0.2 / 7_500.0).abs() < 1e-12);
        // Back at production's parts: production's rate.
        assert!((m.rows_per_s(5_000.0) - 25_000.0).abs() < 1e-6);
        // 35,000 rows per part: 35,000 / (0.06667 + 0.93333) = 35,000 rows/s.
        assert!((m.rows_per_s(35_000.0) - 35_000.0).abs() < 1e-6);
        // Larger parts approach 1 / t_row = 37,500 rows/s, never beyond.
        assert!(m.rows_per_s(1e9) < 37_500.0 && m.rows_per_s(1e9) > 37_499.0);
    }
}
