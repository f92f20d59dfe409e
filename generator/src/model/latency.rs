//! The p99 latency budget per stage, from an event's produce to its window
//! aggregate answered by a query. Queueing stages use the M/M/1 sojourn time
//! (`p99 = ln(100) / (μ − λ)`) at the month's peak utilization; the rest are
//! deterministic delays. The sum of stage p99s is a conservative end-to-end p99.

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
    WindowAndWatermark,
    MergeStage,
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

pub fn budget(
    flink: &FlinkSizing,
    needs_merge_stage: bool,
    clickhouse: &ClickHouseSizing,
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
        (
            Stage::KeyedQueueing,
            mm1_p99_ms(keyed.capacity_per_s, keyed.hottest_utilization),
        ),
        // An event at a window's start waits the whole window, then the watermark delay.
        (
            Stage::WindowAndWatermark,
            job.window_s * 1000.0 + job.watermark_out_of_orderness_ms,
        ),
    ];
    if needs_merge_stage {
        stages.push((Stage::MergeStage, a.buffer_timeout_ms.value));
    }
    stages.push((
        Stage::SinkFlush,
        a.buffer_timeout_ms.value + clickhouse.flush_interval_ms,
    ));
    stages.push((
        Stage::ClickHouseVisibility,
        a.insert_visibility_p99_ms.value,
    ));
    stages.push((Stage::Query, a.query_p99_ms.value));
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
