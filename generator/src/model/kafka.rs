//! Kafka sizing for one month: partitions of the keyed topic (the
//! `max(T/p, T/c)` bound, then the hottest partition under its limit with the
//! real murmur2 partitioner), brokers (AWS right-sizing eq. 1, storage,
//! partitions per broker) and storage.

use serde::Serialize;

use super::strategy::KeySet;
use super::{Infeasible, ceil_u32};
use crate::inputs::architecture::Kafka;
use crate::inputs::assumptions::KafkaAssumptions;

pub const BYTES_PER_MB: f64 = 1_000_000.0;
pub const BYTES_PER_GB: f64 = 1_000_000_000.0;
/// The partition search stops here: a topic beyond it is a redesign, not a sizing.
pub const MAX_PARTITIONS_SEARCHED: u32 = 4096;

/// What one partition must carry at the month's peak, and what it may.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PartitionLimits {
    pub peak_events_per_s: f64,
    pub peak_mb_per_s: f64,
    /// `p × u`: MB/s one partition may take at peak.
    pub partition_mb_per_s: f64,
    /// `c × u`: events/s one source subtask may read at peak (c measured).
    pub consumer_events_per_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionFit {
    /// `ceil(T / (p × u))`.
    pub for_produce: u32,
    /// `ceil(T / (c × u))`.
    pub for_consume: u32,
    /// `max` of the two: the count if load spread evenly.
    pub lower_bound: u32,
    /// The fewest partitions from the lower bound up whose hottest partition
    /// stays under both limits; `Err` when no count can.
    pub partitions: Result<u32, Infeasible>,
    /// The hottest partition's share of events at that count.
    pub hottest_share: f64,
}

pub fn limits(
    peak_events_per_s: f64,
    event_bytes: f64,
    consumer_capacity_per_s: f64,
    a: &KafkaAssumptions,
) -> PartitionLimits {
    let u = a.target_utilization.value;
    PartitionLimits {
        peak_events_per_s,
        peak_mb_per_s: peak_events_per_s * event_bytes / BYTES_PER_MB,
        partition_mb_per_s: a.partition_produce_mb_per_s.value * u,
        consumer_events_per_s: consumer_capacity_per_s * u,
    }
}

pub fn fit_partitions(keys: &KeySet, l: &PartitionLimits) -> PartitionFit {
    let for_produce = ceil_u32(l.peak_mb_per_s / l.partition_mb_per_s);
    let for_consume = ceil_u32(l.peak_events_per_s / l.consumer_events_per_s);
    let lower_bound = for_produce.max(for_consume).max(1);
    let fits = |share: f64| {
        share * l.peak_events_per_s <= l.consumer_events_per_s
            && share * l.peak_mb_per_s <= l.partition_mb_per_s
    };
    let (partitions, hottest_share) = if !fits(keys.largest_key_share) {
        // One key lands on one partition whatever the count.
        (
            Err(Infeasible::KeyTooHot {
                key_share: keys.largest_key_share,
            }),
            keys.largest_key_share,
        )
    } else {
        (lower_bound..=MAX_PARTITIONS_SEARCHED.max(lower_bound))
            .map(|n| (n, keys.hottest_partition_share(n)))
            .find(|&(_, s)| fits(s))
            .map_or(
                (Err(Infeasible::HashCollisions), keys.largest_key_share),
                |(n, s)| (Ok(n), s),
            )
    };
    PartitionFit {
        for_produce,
        for_consume,
        lower_bound,
        partitions,
        hottest_share,
    }
}

/// One topic's load in a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicLoad {
    pub topic: String,
    pub avg_events_per_s: f64,
    pub peak_events_per_s: f64,
    pub avg_mb_per_s: f64,
    pub peak_mb_per_s: f64,
    pub partitions: u32,
    pub replication_factor: u32,
    pub retention_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrokerSizing {
    /// Produced MB/s over all topics at peak (`T` of eq. 1).
    pub ingress_mb_per_s: f64,
    /// `ceil(T × r / (t_storage × u))`.
    pub for_storage_throughput: u32,
    /// `ceil(T × r / (t_net_in × u))`.
    pub for_network_in: u32,
    /// `ceil(T × (consumer_groups + r − 1) / (t_net_out × u))`.
    pub for_network_out: u32,
    /// Retained bytes (average rate × retention × RF), GB.
    pub retained_gb: f64,
    /// `ceil(retained / (disk × fill))`.
    pub for_disk: u32,
    /// Partition replicas over all topics.
    pub partition_replicas: u32,
    /// `ceil(replicas / max per broker)`.
    pub for_partitions: u32,
    /// The replication factor: fewer brokers cannot hold the replicas.
    pub for_replication: u32,
    pub brokers: u32,
    /// Peak use of the busiest per-broker throughput limit (storage, network
    /// in or out) with `brokers` brokers: what a broker loss raises.
    pub throughput_utilization: f64,
}

pub fn brokers(topics: &[TopicLoad], kafka: &Kafka, a: &KafkaAssumptions) -> BrokerSizing {
    let u = a.broker_target_utilization.value;
    let ingress: f64 = topics.iter().map(|t| t.peak_mb_per_s).sum();
    // Replication and consumer fan-out weigh each topic by its own RF.
    let replicated: f64 = topics
        .iter()
        .map(|t| t.peak_mb_per_s * f64::from(t.replication_factor))
        .sum();
    let fanned_out: f64 = topics
        .iter()
        .map(|t| {
            t.peak_mb_per_s * (a.consumer_groups.value + f64::from(t.replication_factor) - 1.0)
        })
        .sum();
    let retained_gb: f64 = topics
        .iter()
        .map(|t| {
            t.avg_mb_per_s
                * BYTES_PER_MB
                * t.retention_hours
                * 3600.0
                * f64::from(t.replication_factor)
                / BYTES_PER_GB
        })
        .sum();
    let partition_replicas: u32 = topics
        .iter()
        .map(|t| t.partitions * t.replication_factor)
        .sum();
    let for_storage_throughput = ceil_u32(replicated / (a.broker_storage_mb_per_s.value * u));
    let for_network_in = ceil_u32(replicated / (a.broker_network_in_mb_per_s.value * u));
    let for_network_out = ceil_u32(fanned_out / (a.broker_network_out_mb_per_s.value * u));
    let for_disk =
        ceil_u32(retained_gb / (kafka.disk_per_broker_gb * a.disk_target_utilization.value));
    let for_partitions =
        ceil_u32(f64::from(partition_replicas) / a.max_partitions_per_broker.value);
    let for_replication = topics
        .iter()
        .map(|t| t.replication_factor)
        .max()
        .unwrap_or(1);
    let brokers = [
        for_storage_throughput,
        for_network_in,
        for_network_out,
        for_disk,
        for_partitions,
        for_replication,
    ]
    .into_iter()
    .max()
    .unwrap_or(1)
    .max(1);
    let throughput_utilization = (replicated / a.broker_storage_mb_per_s.value)
        .max(replicated / a.broker_network_in_mb_per_s.value)
        .max(fanned_out / a.broker_network_out_mb_per_s.value)
        / f64::from(brokers);
    BrokerSizing {
        throughput_utilization,
        ingress_mb_per_s: ingress,
        for_storage_throughput,
        for_network_in,
        for_network_out,
        retained_gb,
        for_disk,
        partition_replicas,
        for_partitions,
        for_replication,
        brokers,
    }
}
