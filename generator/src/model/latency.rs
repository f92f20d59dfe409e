//! The p99 latency budget per stage, from an event's produce to its window
//! aggregate answered by a query. The source queue uses the M/M/1 sojourn time
//! (`p99 = ln(100) / (μ − λ)`) at the month's peak utilization; the keyed
//! queue, fed by the shuffle in network buffers of many records at once, uses
//! Kingman's G/G/1 approximation with the arrivals' variability of those
//! batches. The rest are deterministic delays: linger, buffer timeouts, the
//! window and watermark, barrier alignment, the sink's block interval and the
//! async-insert flush. The sum of stage p99s is a conservative end-to-end p99.

use serde::Serialize;

use super::clickhouse::ClickHouseSizing;
use super::flink::FlinkSizing;
use crate::inputs::architecture::Flink;
use crate::inputs::assumptions::LatencyAssumptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Producer,
    Broker,
    SourceFetch,
    SourceQueueing,
    KeyByShuffle,
    KeyedQueueing,
    /// An event behind a checkpoint barrier waits while the barrier aligns.
    BarrierAlignment,
    WindowAndWatermark,
    MergeStage,
    /// The sink's block of the window results closes after its insert interval.
    SinkBlock,
    SinkFlush,
    #[serde(rename = "clickhouse_visibility")]
    ClickHouseVisibility,
    Query,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageBudget {
    pub stage: Stage,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencyBudget {
    pub stages: Vec<StageBudget>,
    pub total_p99_ms: f64,
    pub target_ms: f64,
    pub headroom_ms: f64,
    /// Up to and including the sink flush: what the processing-lag SLI sees.
    pub processing_p99_ms: f64,
    /// Producer, broker and fetch: what the ingest-lag SLI sees.
    pub ingest_p99_ms: f64,
}

/// M/M/1 p99 sojourn time in ms for a server of `capacity_per_s` at `utilization`.
pub fn mm1_p99_ms(capacity_per_s: f64, utilization: f64) -> f64 {
    let spare = capacity_per_s * (1.0 - utilization);
    if spare <= 0.0 {
        f64::INFINITY
    } else {
        100f64.ln() / spare * 1000.0
    }
}

/// Kingman's G/G/1 p99 sojourn time in ms: the mean wait
/// `E[Wq] = ρ/(1 − ρ) × (ca² + cs²)/2 × τ`, a wait that is nonzero with
/// probability `ρ` and then roughly exponential with mean `E[Wq]/ρ`, so its p99
/// is `E[Wq]/ρ × ln(100 ρ)`, plus one service time `τ`. With `ca² = cs² = 1`
/// it is close to the M/M/1 figure.
pub fn kingman_p99_ms(capacity_per_s: f64, utilization: f64, ca2: f64, cs2: f64) -> f64 {
    if utilization >= 1.0 {
        return f64::INFINITY;
    }
    let service_ms = 1000.0 / capacity_per_s;
    let conditional_mean_ms = (ca2 + cs2) / 2.0 * service_ms / (1.0 - utilization);
    let wait_ms = conditional_mean_ms * (100.0 * utilization).ln().max(0.0);
    service_ms + wait_ms
}

/// The records a network buffer carries at once: the shuffle's batch.
pub fn records_per_buffer(buffer_kib: f64, record_bytes: f64) -> f64 {
    (buffer_kib * 1024.0 / record_bytes).max(1.0)
}

/// What the budget reads beside the sizing: the shuffle's batch, the
/// sink's block interval for the window results, and the shards today's
/// query p99 was measured over.
pub struct Path {
    pub records_per_buffer: f64,
    pub sink_insert_interval_ms: f64,
    pub shards_today: u32,
}

/// A query fans out to every shard and answers when the slowest does. With
/// each shard's time exponential, the slowest of `n` is under `t` with
/// probability `(1 − e^(−t/m))^n`, so its p99 is `m × g(n)`,
/// `g(n) = −ln(1 − 0.99^(1/n))`. Today's p99 over today's shards gives `m`;
/// the plan's shards scale it by `g(shards) / g(shards today)`.
pub fn fan_out_p99_ms(p99_today_ms: f64, shards_today: u32, shards: u32) -> f64 {
    let g = |n: u32| -(1.0 - 0.99f64.powf(1.0 / f64::from(n.max(1)))).ln();
    p99_today_ms * g(shards) / g(shards_today)
}

pub fn budget(
    flink: &FlinkSizing,
    needs_merge_stage: bool,
    clickhouse: &ClickHouseSizing,
    path: &Path,
    job: &Flink,
    a: &LatencyAssumptions,
) -> LatencyBudget {
    let source = &flink.vertices[0];
    let keyed = flink
        .vertices
        .iter()
        .find(|v| v.keyed)
        .expect("a keyed vertex");
    let mut stages = vec![
        (Stage::Producer, a.producer_linger_ms.value),
        (Stage::Broker, a.produce_p99_ms.value),
        (Stage::SourceFetch, a.source_fetch_p99_ms.value),
        (
            Stage::SourceQueueing,
            mm1_p99_ms(source.capacity_per_s, source.hottest_utilization),
        ),
        (Stage::KeyByShuffle, a.buffer_timeout_ms.value),
        // Records arrive a network buffer at a time: arrivals as variable as
        // batches of that size (ca² = batch), service taken as exponential.
        (
            Stage::KeyedQueueing,
            kingman_p99_ms(
                keyed.capacity_per_s,
                keyed.hottest_utilization,
                path.records_per_buffer,
                1.0,
            ),
        ),
        (Stage::BarrierAlignment, flink.barrier_alignment_s * 1000.0),
        // An event at a window's start waits the whole window, then the watermark delay.
        (
            Stage::WindowAndWatermark,
            job.window_s * 1000.0 + job.watermark_out_of_orderness_ms,
        ),
    ];
    if needs_merge_stage {
        stages.push((Stage::MergeStage, a.buffer_timeout_ms.value));
    }
    stages.push((Stage::SinkBlock, path.sink_insert_interval_ms));
    stages.push((
        Stage::SinkFlush,
        a.buffer_timeout_ms.value + clickhouse.flush_interval_ms,
    ));
    stages.push((
        Stage::ClickHouseVisibility,
        a.insert_visibility_p99_ms.value,
    ));
    stages.push((
        Stage::Query,
        fan_out_p99_ms(a.query_p99_ms.value, path.shards_today, clickhouse.shards),
    ));
    let sum_until = |last: Stage| {
        let end = stages.iter().position(|(s, _)| *s == last).expect("stage");
        stages[..=end].iter().map(|(_, v)| v).sum::<f64>()
    };
    let ingest_p99_ms = sum_until(Stage::SourceFetch);
    let processing_p99_ms = sum_until(Stage::SinkFlush);
    let total_p99_ms: f64 = stages.iter().map(|(_, v)| v).sum();
    LatencyBudget {
        stages: stages
            .into_iter()
            .map(|(stage, p99_ms)| StageBudget { stage, p99_ms })
            .collect(),
        total_p99_ms,
        target_ms: a.end_to_end_p99_target_ms.value,
        headroom_ms: a.end_to_end_p99_target_ms.value - total_p99_ms,
        processing_p99_ms,
        ingest_p99_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kingman_worked_by_hand_and_close_to_mm1_for_single_arrivals() {
        // 1,000 records/s (τ = 1 ms) at 80%, batches of 51 records (ca² = 51,
        // cs² = 1): a wait of mean (51 + 1)/2 × 1 ms / 0.2 = 130 ms once it
        // waits, so p99 = 1 + 130 × ln(80) ms.
        let p99 = kingman_p99_ms(1000.0, 0.8, 51.0, 1.0);
        assert!((p99 - (1.0 + 130.0 * 80f64.ln())).abs() < 1e-9, "{p99}");
        // Single arrivals: within a millisecond of M/M/1's ln(100) / (μ − λ).
        let single = kingman_p99_ms(1000.0, 0.8, 1.0, 1.0);
        assert!((single - mm1_p99_ms(1000.0, 0.8)).abs() < 1.2, "{single}");
        // Batches wait longer; a saturated queue never drains; an idle one
        // costs one service time.
        assert!(p99 > 20.0 * single);
        assert!(kingman_p99_ms(1000.0, 1.0, 51.0, 1.0).is_infinite());
        assert_eq!(kingman_p99_ms(1000.0, 0.005, 51.0, 1.0), 1.0);
        // 32 KiB buffers of 620-byte records carry 52.9 records.
        assert!((records_per_buffer(32.0, 620.0) - 32768.0 / 620.0).abs() < 1e-12);
    }

    #[test]
    fn a_query_over_more_shards_waits_for_the_slowest() {
        // 400 ms over 4 shards: g(4) = −ln(1 − 0.99^0.25) = 5.9877, so each
        // shard's mean is 66.8 ms; over 16 shards g(16) = 7.3731: 492.5 ms.
        let g4 = -(1.0 - 0.99f64.powf(0.25)).ln();
        let g16 = -(1.0 - 0.99f64.powf(1.0 / 16.0)).ln();
        assert!((g4 - 5.9877).abs() < 1e-4 && (g16 - 7.3731).abs() < 1e-4);
        let p = fan_out_p99_ms(400.0, 4, 16);
        assert!(
            (p - 400.0 * g16 / g4).abs() < 1e-9 && (p - 492.5).abs() < 0.1,
            "{p}"
        );
        assert_eq!(fan_out_p99_ms(400.0, 4, 4), 400.0);
        // One shard answers sooner than the slowest of four.
        assert!(fan_out_p99_ms(400.0, 4, 1) < 400.0);
    }
}
