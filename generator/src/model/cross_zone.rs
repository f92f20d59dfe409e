//! Cross-zone traffic. The pipeline spreads brokers, TaskManagers and
//! ClickHouse replicas over the region's zones, and a byte that leaves its
//! zone is billed on both sides. Each flow's average rate is multiplied by the
//! share of it that leaves its zone; the month's bytes are priced per GB.
//!
//! The flows, with `Z` zones and replicas spread one zone each while there
//! are zones to spare (rack-aware replica placement):
//! - **produce**: a producer reaches a partition's leader in another zone
//!   `(Z − 1)/Z` of the time, unless producers write to leaders in their own zone;
//! - **replication**: a leader sends every byte to its `RF − 1` followers, all
//!   in other zones while `RF ≤ Z` (past that, `RF/Z` replicas share the
//!   leader's zone);
//! - **consume**: each consumer group fetches from the leader, in another zone
//!   `(Z − 1)/Z` of the time, unless follower fetching (KIP-392) lets it read
//!   a replica in its own zone (then only zones without a replica cross);
//! - **shuffle**: the keyed exchange sends each record to the subtask that owns
//!   its key group, on a TaskManager in another zone `(Z − 1)/Z` of the time;
//! - **sink**: the raw events go to a replica of their shard, in another zone
//!   `(Z − 1)/Z` of the time;
//! - **ClickHouse replication**: every inserted part is fetched, compressed, by
//!   the shard's other replicas.
//!
//! Left out: the aggregate sink and the sub-key merge stage (a few rows per
//! key per window, not per event), Keeper's Raft traffic and the
//! checkpoint uploads to object storage (not billed as cross-zone).

use serde::Serialize;

use super::kafka::{BYTES_PER_GB, BYTES_PER_MB, TopicLoad};
use super::workload::Workload;
use crate::inputs::architecture::{Architecture, Topic};
use crate::inputs::assumptions::Assumptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    Produce,
    Replication,
    Consume,
    Shuffle,
    Sink,
    ClickHouseReplication,
}

/// The Kafka client settings that keep traffic in its zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    /// Consumers read a replica in their own zone (KIP-392).
    FollowerFetching,
    /// Producers write to partitions led in their own zone.
    ZoneAwareProducers,
}

impl Lever {
    pub const ALL: [Lever; 2] = [Lever::FollowerFetching, Lever::ZoneAwareProducers];
}

/// How the clients run: today's settings, or today's with a lever on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clients {
    pub follower_fetching: bool,
    pub zone_aware_producers: bool,
}

impl Clients {
    pub fn of(arch: &Architecture) -> Clients {
        Clients {
            follower_fetching: arch.kafka.follower_fetching,
            zone_aware_producers: arch.kafka.zone_aware_producers,
        }
    }

    pub fn with(self, lever: Lever) -> Clients {
        match lever {
            Lever::FollowerFetching => Clients {
                follower_fetching: true,
                ..self
            },
            Lever::ZoneAwareProducers => Clients {
                zone_aware_producers: true,
                ..self
            },
        }
    }

    pub fn has(self, lever: Lever) -> bool {
        match lever {
            Lever::FollowerFetching => self.follower_fetching,
            Lever::ZoneAwareProducers => self.zone_aware_producers,
        }
    }
}

/// What moves through the pipeline on average in a month.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// Per topic: average MB/s produced, and its replication factor.
    pub topics: Vec<(f64, u32)>,
    /// The keyed topic's average MB/s: what the shuffle and the raw sink carry.
    pub keyed_mb_per_s: f64,
    /// ClickHouse rows/s inserted, on average, over every table.
    pub clickhouse_rows_per_s: f64,
}

impl Traffic {
    /// Today's, at the means production measured.
    pub fn today(workload: &Workload, arch: &Architecture) -> Traffic {
        let mb = |t: &Topic| {
            workload.topic(&t.name).mean_events_per_s * t.avg_event_bytes / BYTES_PER_MB
        };
        Traffic {
            topics: arch
                .kafka
                .topics
                .iter()
                .map(|t| (mb(t), t.replication_factor))
                .collect(),
            keyed_mb_per_s: mb(arch.keyed_topic()),
            clickhouse_rows_per_s: workload.clickhouse.mean_rows_per_s,
        }
    }

    pub fn of(topics: &[TopicLoad], keyed_topic: &str, clickhouse_rows_per_s: f64) -> Traffic {
        Traffic {
            topics: topics
                .iter()
                .map(|t| (t.avg_mb_per_s, t.replication_factor))
                .collect(),
            keyed_mb_per_s: topics
                .iter()
                .find(|t| t.topic == keyed_topic)
                .map_or(0.0, |t| t.avg_mb_per_s),
            clickhouse_rows_per_s,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowCost {
    pub flow: Flow,
    /// The bytes the flow starts from, MB/s on average.
    pub source_mb_per_s: f64,
    /// How many times those bytes cross a zone: copies × the share in another zone.
    pub crossings: f64,
    /// `source_mb_per_s × crossings`.
    pub cross_zone_mb_per_s: f64,
    pub gb_per_month: f64,
    pub usd_per_month: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossZone {
    pub flows: Vec<FlowCost>,
    pub cross_zone_mb_per_s: f64,
    pub gb_per_month: f64,
    pub usd_per_month: f64,
}

/// The share of a zone's clients whose nearest copy is in another zone, when
/// `copies` replicas sit in distinct zones out of `zones`.
fn outside(copies: f64, zones: f64) -> f64 {
    ((zones - copies) / zones).max(0.0)
}

/// Followers outside the leader's zone: all `rf − 1` while `rf ≤ zones`;
/// past that the replicas share zones evenly, `rf / zones` in the leader's.
fn followers_outside(rf: f64, zones: f64) -> f64 {
    rf - (rf / zones).max(1.0)
}

pub fn month(
    traffic: &Traffic,
    clients: Clients,
    arch: &Architecture,
    a: &Assumptions,
) -> CrossZone {
    let zones = f64::from(arch.deployment.availability_zones);
    let elsewhere = outside(1.0, zones);
    let groups = a.kafka.consumer_groups.value;
    let produced: f64 = traffic.topics.iter().map(|(mb, _)| mb).sum();
    let replicated: f64 = traffic
        .topics
        .iter()
        .map(|&(mb, rf)| mb * followers_outside(f64::from(rf), zones))
        .sum();
    // With follower fetching a consumer reads the nearest replica: only
    // zones that hold none cross.
    let fetched: f64 = traffic
        .topics
        .iter()
        .map(|&(mb, rf)| {
            let share = if clients.follower_fetching {
                outside(f64::from(rf).min(zones), zones)
            } else {
                elsewhere
            };
            mb * groups * share
        })
        .sum();
    let replicas = f64::from(arch.clickhouse.replicas);
    let clickhouse_mb =
        traffic.clickhouse_rows_per_s * a.clickhouse.bytes_per_row_compressed.value / BYTES_PER_MB;
    let flows = [
        (
            Flow::Produce,
            produced,
            if clients.zone_aware_producers {
                0.0
            } else {
                elsewhere
            },
        ),
        (Flow::Replication, produced, ratio(replicated, produced)),
        (Flow::Consume, produced, ratio(fetched, produced)),
        (Flow::Shuffle, traffic.keyed_mb_per_s, elsewhere),
        (Flow::Sink, traffic.keyed_mb_per_s, elsewhere),
        (
            Flow::ClickHouseReplication,
            clickhouse_mb,
            followers_outside(replicas, zones),
        ),
    ];
    let seconds = a.cost.hours_per_month.value * 3600.0;
    // Billed as it leaves one zone and as it enters the other.
    let usd_per_gb = 2.0 * a.cost.cross_zone_gb_each_way.value;
    let flows: Vec<FlowCost> = flows
        .into_iter()
        .map(|(flow, source_mb_per_s, crossings)| {
            let cross_zone_mb_per_s = source_mb_per_s * crossings;
            let gb_per_month = cross_zone_mb_per_s * BYTES_PER_MB * seconds / BYTES_PER_GB;
            FlowCost {
                flow,
                source_mb_per_s,
                crossings,
                cross_zone_mb_per_s,
                gb_per_month,
                usd_per_month: gb_per_month * usd_per_gb,
            }
        })
        .collect();
    CrossZone {
        cross_zone_mb_per_s: flows.iter().map(|f| f.cross_zone_mb_per_s).sum(),
        gb_per_month: flows.iter().map(|f| f.gb_per_month).sum(),
        usd_per_month: flows.iter().map(|f| f.usd_per_month).sum(),
        flows,
    }
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// A lever's effect on the plan: the month's cross-zone bill with the lever
/// on, and what it saves there and over the plan's months.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeverEffect {
    pub lever: Lever,
    /// Production already runs with it: nothing left to save.
    pub in_place: bool,
    pub usd_per_month: f64,
    pub saving_usd_per_month: f64,
    /// Summed over the base plan's months up to the last it carries.
    pub saving_usd_over_plan: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossZonePlan {
    /// The month the flows are shown for (the last the plan carries, base scenario).
    pub month: u32,
    pub flows: CrossZone,
    pub levers: Vec<LeverEffect>,
    /// Both levers on.
    pub both_usd_per_month: f64,
    pub zones: u32,
}

/// The flows of one month under today's clients, and each lever weighed on
/// it and over the plan's months (`traffic_by_month`, base scenario, those
/// the plan carries).
pub fn weigh(
    month: u32,
    traffic: &Traffic,
    traffic_by_month: &[Traffic],
    arch: &Architecture,
    a: &Assumptions,
) -> CrossZonePlan {
    let clients = Clients::of(arch);
    let flows = self::month(traffic, clients, arch, a);
    let bill = |t: &Traffic, c: Clients| self::month(t, c, arch, a).usd_per_month;
    let levers = Lever::ALL
        .into_iter()
        .map(|lever| {
            let on = clients.with(lever);
            let usd_per_month = bill(traffic, on);
            LeverEffect {
                lever,
                in_place: clients.has(lever),
                usd_per_month,
                saving_usd_per_month: flows.usd_per_month - usd_per_month,
                saving_usd_over_plan: traffic_by_month
                    .iter()
                    .map(|t| bill(t, clients) - bill(t, on))
                    .sum(),
            }
        })
        .collect();
    let both = Lever::ALL.into_iter().fold(clients, Clients::with);
    CrossZonePlan {
        month,
        both_usd_per_month: bill(traffic, both),
        flows,
        levers,
        zones: arch.deployment.availability_zones,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::inputs::{self, Inputs};

    fn inputs() -> Inputs {
        inputs::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")).unwrap()
    }

    /// 100 MB/s on an RF 3 topic over 3 zones, one consumer group, 100k rows/s.
    fn traffic() -> Traffic {
        Traffic {
            topics: vec![(100.0, 3)],
            keyed_mb_per_s: 100.0,
            clickhouse_rows_per_s: 100_000.0,
        }
    }

    #[test]
    fn each_flow_is_its_bytes_times_the_share_that_leaves_its_zone() {
        let i = inputs();
        let (arch, a) = (&i.architecture, &i.assumptions);
        assert_eq!(arch.deployment.availability_zones, 3);
        assert_eq!(a.kafka.consumer_groups.value, 1.0);
        let z = month(&traffic(), Clients::of(arch), arch, a);
        let mb = |f: Flow| {
            z.flows
                .iter()
                .find(|x| x.flow == f)
                .unwrap()
                .cross_zone_mb_per_s
        };
        // By hand: 2/3 of produce, consume, shuffle and sink cross; both
        // followers are in other zones; ClickHouse's second replica fetches
        // 100k rows × bytes_per_row_compressed.
        let near = |x: f64, y: f64| (x - y).abs() < 1e-9;
        assert!(near(mb(Flow::Produce), 100.0 * 2.0 / 3.0));
        assert!(near(mb(Flow::Replication), 200.0));
        assert!(near(mb(Flow::Consume), 100.0 * 2.0 / 3.0));
        assert!(near(mb(Flow::Shuffle), 100.0 * 2.0 / 3.0));
        assert!(near(mb(Flow::Sink), 100.0 * 2.0 / 3.0));
        let row_bytes = a.clickhouse.bytes_per_row_compressed.value;
        assert!(near(mb(Flow::ClickHouseReplication), 0.1 * row_bytes));
        // 730 h of 466.67 + 0.1 × row bytes MB/s at 0.02 USD per GB crossed.
        let total_mb = 4.0 * 200.0 / 3.0 + 200.0 + 0.1 * row_bytes;
        let usd = total_mb * 730.0 * 3600.0 / 1000.0 * 0.02;
        assert!((z.usd_per_month - usd).abs() < 1e-6, "{}", z.usd_per_month);
    }

    #[test]
    fn the_levers_take_out_the_fetches_and_the_produces() {
        let i = inputs();
        let (arch, a) = (&i.architecture, &i.assumptions);
        let today = Clients::of(arch);
        let mb = |c: Clients, f: Flow| {
            month(&traffic(), c, arch, a)
                .flows
                .iter()
                .find(|x| x.flow == f)
                .unwrap()
                .cross_zone_mb_per_s
        };
        // Every zone holds a replica of an RF 3 topic: nothing left to fetch across.
        assert_eq!(mb(today.with(Lever::FollowerFetching), Flow::Consume), 0.0);
        assert_eq!(
            mb(today.with(Lever::ZoneAwareProducers), Flow::Produce),
            0.0
        );
        // The other flows stay as they were.
        let both = today
            .with(Lever::FollowerFetching)
            .with(Lever::ZoneAwareProducers);
        for f in [Flow::Replication, Flow::Shuffle, Flow::Sink] {
            assert_eq!(mb(both, f), mb(today, f));
        }
    }

    #[test]
    fn fewer_replicas_than_zones_leave_some_fetches_across() {
        let i = inputs();
        let (arch, a) = (&i.architecture, &i.assumptions);
        let t = Traffic {
            topics: vec![(90.0, 2)],
            keyed_mb_per_s: 90.0,
            clickhouse_rows_per_s: 0.0,
        };
        let z = month(&t, Clients::of(arch).with(Lever::FollowerFetching), arch, a);
        let f = |x: Flow| {
            z.flows
                .iter()
                .find(|y| y.flow == x)
                .unwrap()
                .cross_zone_mb_per_s
        };
        // RF 2 over 3 zones: one zone in three has no replica; one follower crosses.
        assert!((f(Flow::Consume) - 30.0).abs() < 1e-9);
        assert!((f(Flow::Replication) - 90.0).abs() < 1e-9);
    }

    #[test]
    fn more_replicas_than_zones_share_the_leaders_zone() {
        assert_eq!(followers_outside(3.0, 3.0), 2.0);
        assert_eq!(followers_outside(6.0, 3.0), 4.0);
        assert_eq!(followers_outside(3.0, 1.0), 0.0);
        assert_eq!(outside(1.0, 1.0), 0.0);
    }

    #[test]
    fn the_plans_last_month_replicates_petabytes_across_zones() {
        let i = inputs();
        let m = crate::model::run(&i);
        let z = &m.cross_zone;
        assert_eq!(z.month, 12);
        let p = &m.plan.get(12).base;
        // December, base scenario: the keyed topic's average is its events/s
        // times 620 bytes; RF 3 sends two copies of every byte to other
        // zones, 730 h a month, at 0.01 USD each way.
        let keyed = m.growth.get(12).base.avg_events_per_s * 620.0 / 1e6;
        assert!((p.topics[0].avg_mb_per_s - keyed).abs() < 1e-9);
        assert!((600.0..650.0).contains(&keyed), "{keyed}");
        let replication = z
            .flows
            .flows
            .iter()
            .find(|f| f.flow == Flow::Replication)
            .unwrap();
        let produced: f64 = p.topics.iter().map(|t| t.avg_mb_per_s).sum();
        let pb = produced * 2.0 * 730.0 * 3600.0 / 1e9;
        assert!((replication.gb_per_month / 1e6 - pb).abs() < 1e-9);
        assert!((3.2..3.5).contains(&pb), "{pb} PB");
        assert!((replication.usd_per_month - pb * 1e6 * 0.02).abs() < 1e-6);
        // The month's cost carries the whole bill, and the levers save what
        // their flows cost: follower fetching the consumers' 2/3, zone-aware
        // producers the producers' 2/3.
        assert!((p.cost.cross_zone - z.flows.usd_per_month).abs() < 1e-9);
        let usd = |mb: f64| mb * 730.0 * 3600.0 / 1000.0 * 0.02;
        for l in &z.levers {
            assert!(!l.in_place);
            assert!((l.saving_usd_per_month - usd(produced * 2.0 / 3.0)).abs() < 1e-6);
        }
        assert!(
            (z.both_usd_per_month - (z.flows.usd_per_month - 2.0 * usd(produced * 2.0 / 3.0)))
                .abs()
                < 1e-6
        );
        // Over the plan, each lever saves the sum of its months' savings.
        let over: f64 = m
            .plan
            .iter()
            .map(|(_, p)| {
                usd(p.base.topics.iter().map(|t| t.avg_mb_per_s).sum::<f64>() * 2.0 / 3.0)
            })
            .sum();
        assert!((z.levers[0].saving_usd_over_plan - over).abs() < 1e-6 * over);
    }
}
