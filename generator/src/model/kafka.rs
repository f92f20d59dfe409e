//! Kafka sizing for one month: partitions of the keyed topic (the
//! `max(T/p, T/c)` bound, then the hottest partition under its limit with the
//! real murmur2 partitioner), brokers (AWS right-sizing eq. 1, storage,
//! partitions per broker) and storage.

use serde::Serialize;

use super::bound::{self, Binding};
use super::relabel::{FirstFits, Spread, Walk};
use super::strategy::{KeySet, Wanted};
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
    /// The hottest partition's share of events at that count, in the draw
    /// at the quantile.
    pub hottest_share: f64,
    /// That draw: the partition shares the rest of the month is sized on.
    pub draw: usize,
    /// What each relabelling of the unknown customer ids needed; `None`
    /// when no count fits.
    pub spread: Option<Spread>,
    /// What the count was fitted against.
    pub limits: PartitionLimits,
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

pub fn fit_partitions(keys: &KeySet, l: &PartitionLimits, walk: Walk) -> PartitionFit {
    let for_produce = ceil_u32(l.peak_mb_per_s / l.partition_mb_per_s);
    let for_consume = ceil_u32(l.peak_events_per_s / l.consumer_events_per_s);
    let lower_bound = for_produce.max(for_consume).max(1);
    let fits = |share: f64| {
        share * l.peak_events_per_s <= l.consumer_events_per_s
            && share * l.peak_mb_per_s <= l.partition_mb_per_s
    };
    let infeasible = |why| (Err(why), keys.largest_key_share, 0, None);
    let (partitions, hottest_share, draw, spread) = if lower_bound > MAX_PARTITIONS_SEARCHED {
        // Checked before any count is hashed: the shares of a count are a
        // vector of that length.
        infeasible(Infeasible::BeyondSearch {
            needed: lower_bound,
            limit: MAX_PARTITIONS_SEARCHED,
        })
    } else if !fits(keys.largest_key_share) {
        // One key lands on one partition whatever the count.
        infeasible(Infeasible::KeyTooHot {
            key_share: keys.largest_key_share,
        })
    } else {
        // The share a partition may take, to refuse most counts on their
        // heaviest keys; `fits` decides on the exact share.
        let limit_share = (l.consumer_events_per_s / l.peak_events_per_s)
            .min(l.partition_mb_per_s / l.peak_mb_per_s);
        search(keys, lower_bound, limit_share, fits, walk)
            .map_or(infeasible(Infeasible::HashCollisions), |found| {
                (Ok(found.0), found.1, found.2, Some(found.3))
            })
    };
    PartitionFit {
        for_produce,
        for_consume,
        lower_bound,
        partitions,
        hottest_share,
        draw,
        spread,
        limits: *l,
    }
}

/// The fewest partitions from `lower_bound` up that fit in the quantile of
/// the draws, with the hottest share and the draw at the quantile there.
/// `walk` says whether the walk goes on past it.
fn search(
    keys: &KeySet,
    lower_bound: u32,
    limit_share: f64,
    fits: impl Fn(f64) -> bool,
    walk: Walk,
) -> Option<(u32, f64, usize, Spread)> {
    let relabelling = keys.relabelling();
    let mut first = FirstFits::new(relabelling.draws as usize);
    let mut chosen: Option<(u32, f64, usize, u32)> = None;
    let mut searched_to = lower_bound;
    for n in lower_bound..=MAX_PARTITIONS_SEARCHED {
        if walk.stops_before(n, chosen.map(|c| c.0), &first) {
            break;
        }
        searched_to = n;
        // Sizing needs only the first count enough draws fit together: the
        // quick test refuses the others. The walk for the spread also needs
        // the first count each draw fits alone, so it keeps a count where a
        // draw not yet fitted may fit.
        let unfound = first.unfound();
        let together = chosen.is_none().then_some(relabelling.must_fit as usize);
        let wanted = Wanted {
            together,
            any_of: (walk == Walk::EveryDraw).then_some(&unfound[..]),
        };
        let Some(hottest) = keys.hottest_partition_shares_unless_over(n, limit_share, wanted)
        else {
            continue;
        };
        first.record(n, |draw| fits(hottest[draw]));
        let fitting = hottest.iter().filter(|&&h| fits(h)).count() as u32;
        if chosen.is_none() && fitting >= relabelling.must_fit {
            let (draw, share) = relabelling.at_quantile(&hottest);
            chosen = Some((n, share, draw, fitting));
        }
    }
    let (n, share, draw, fitting) = chosen?;
    Some((
        n,
        share,
        draw,
        first.spread(relabelling, fitting, searched_to),
    ))
}

/// How the keyed topic's partition count grows over the plan. Kafka can add
/// partitions but never remove them, and each increase moves keys to other
/// partitions (a customer's events before and after the change may then be
/// read out of order), so the count never falls and changes as seldom as the
/// policy allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionPolicy {
    /// Create the year's largest count at the first month today's is short:
    /// one increase, one move of keys. Partitions cost little (a replica is a
    /// log directory and some memory on a broker), so the plan's policy.
    Once,
    /// Raise the count to each month's need as it comes: as few partitions as
    /// possible, one move of keys per increase.
    Steps,
}

/// One increase of the keyed topic's partitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionIncrease {
    pub month: u32,
    pub from: u32,
    pub to: u32,
    /// The share of events whose partition changes (see [`KeySet::moved_share`]).
    pub moved_share: f64,
}

/// The partition count of each month under a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionSchedule {
    pub policy: PartitionPolicy,
    /// Months `1..=n`, in order.
    pub counts: Vec<u32>,
    pub increases: Vec<PartitionIncrease>,
}

/// The counts of a schedule: never below today's or an earlier month's, and
/// at least each month's need (`None`: no count fits that month, which keeps
/// the count it had).
pub fn schedule_counts(today: u32, needed: &[Option<u32>], policy: PartitionPolicy) -> Vec<u32> {
    let largest = needed
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(today)
        .max(today);
    let mut current = today;
    needed
        .iter()
        .map(|need| {
            let need = need.unwrap_or(current);
            if need > current {
                current = match policy {
                    PartitionPolicy::Once => largest,
                    PartitionPolicy::Steps => need,
                };
            }
            current
        })
        .collect()
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
    /// The bound that sets `brokers`, and the one behind it.
    pub binding: Binding<BrokerBound>,
}

/// The bounds on the broker count, in the order a tie is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BrokerBound {
    /// The plan keeps what runs today: taking brokers out reassigns their partitions.
    Today,
    StorageThroughput,
    NetworkIn,
    NetworkOut,
    Disk,
    Partitions,
    Replication,
}

impl BrokerBound {
    pub fn name(self) -> &'static str {
        match self {
            BrokerBound::Today => "today's count",
            BrokerBound::StorageThroughput => "storage throughput",
            BrokerBound::NetworkIn => "network in",
            BrokerBound::NetworkOut => "network out",
            BrokerBound::Disk => "disk",
            BrokerBound::Partitions => "partitions per broker",
            BrokerBound::Replication => "the replication factor",
        }
    }

    /// What would relieve the bound.
    pub fn lever(self) -> &'static str {
        match self {
            BrokerBound::Today => "removing brokers, a reassignment of every partition on them",
            BrokerBound::StorageThroughput => "disks with more throughput per broker",
            BrokerBound::NetworkIn | BrokerBound::NetworkOut => {
                "an instance type with more network per broker"
            }
            BrokerBound::Disk => "shorter retention, larger disks or tiered storage",
            BrokerBound::Partitions => "fewer partitions",
            BrokerBound::Replication => "a lower replication factor",
        }
    }
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
    // Never fewer than run today: taking brokers out is a reassignment of
    // every partition on them, a decision of its own, not part of a sizing.
    let binding = bound::binding(&[
        (BrokerBound::Today, kafka.brokers),
        (BrokerBound::StorageThroughput, for_storage_throughput),
        (BrokerBound::NetworkIn, for_network_in),
        (BrokerBound::NetworkOut, for_network_out),
        (BrokerBound::Disk, for_disk),
        (BrokerBound::Partitions, for_partitions),
        (BrokerBound::Replication, for_replication),
    ]);
    let brokers = binding.count;
    let throughput_utilization = (replicated / a.broker_storage_mb_per_s.value)
        .max(replicated / a.broker_network_in_mb_per_s.value)
        .max(fanned_out / a.broker_network_out_mb_per_s.value)
        / f64::from(brokers);
    BrokerSizing {
        binding,
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

#[cfg(test)]
mod schedule_tests {
    use super::*;

    #[test]
    fn partitions_never_fall_and_grow_once_or_in_steps() {
        // Today 24; the months need 10, 30, 20, none fits, 40.
        let needed = [Some(10), Some(30), Some(20), None, Some(40)];
        assert_eq!(
            schedule_counts(24, &needed, PartitionPolicy::Steps),
            vec![24, 30, 30, 30, 40]
        );
        assert_eq!(
            schedule_counts(24, &needed, PartitionPolicy::Once),
            vec![24, 40, 40, 40, 40]
        );
        // Nothing above today: today's count all year.
        assert_eq!(
            schedule_counts(24, &[Some(8), Some(14)], PartitionPolicy::Once),
            vec![24, 24]
        );
    }
}
