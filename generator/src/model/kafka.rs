//! Kafka partitions: `partitions >= max(T/p, T/c)` at the month's peak, with
//! `p` and `c` derated to the target utilization (DOMAIN: Jun Rao, Confluent).

use serde::Serialize;

use super::growth::MonthLoad;
use crate::inputs::architecture::Topic;
use crate::inputs::assumptions::KafkaAssumptions;
use crate::inputs::forecast::Scenario;

pub const BYTES_PER_MB: f64 = 1_000_000.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionSizing {
    pub month: u32,
    pub scenario: Scenario,
    pub topic: String,
    pub peak_events_per_s: f64,
    pub peak_mb_per_s: f64,
    /// `ceil(T / (p × u))`: partitions needed for the produce rate.
    pub partitions_for_produce: u32,
    /// `ceil(T / (c × u))`: partitions needed so each consumer keeps up.
    pub partitions_for_consume: u32,
    pub partitions: u32,
}

pub fn partitions_for(load: &MonthLoad, topic: &Topic, a: &KafkaAssumptions) -> PartitionSizing {
    let peak_mb_per_s = load.peak_events_per_s * topic.avg_event_bytes / BYTES_PER_MB;
    let u = a.target_utilization.value;
    let for_produce = ceil_u32(peak_mb_per_s / (a.partition_produce_mb_per_s.value * u));
    let for_consume = ceil_u32(load.peak_events_per_s / (a.consumer_events_per_s.value * u));
    PartitionSizing {
        month: load.month,
        scenario: load.scenario,
        topic: topic.name.clone(),
        peak_events_per_s: load.peak_events_per_s,
        peak_mb_per_s,
        partitions_for_produce: for_produce,
        partitions_for_consume: for_consume,
        partitions: for_produce.max(for_consume).max(1),
    }
}

/// The first month in `scenario` whose sizing needs more than `today` partitions.
pub fn first_month_over(sizing: &[PartitionSizing], scenario: Scenario, today: u32) -> Option<u32> {
    sizing
        .iter()
        .filter(|s| s.scenario == scenario && s.partitions > today)
        .map(|s| s.month)
        .min()
}

/// Ceiling to a whole count; the inputs are validated finite and positive.
fn ceil_u32(x: f64) -> u32 {
    x.ceil() as u32
}
