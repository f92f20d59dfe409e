//! Cost per month per component, from the unit costs in `data/`.

use serde::Serialize;

use crate::inputs::architecture::Architecture;
use crate::inputs::assumptions::CostAssumptions;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    /// Brokers × (instance + disk).
    pub kafka: f64,
    /// TaskManagers × instance.
    pub flink: f64,
    /// Shards × replicas × (instance + disk).
    pub clickhouse: f64,
    /// Bytes between zones: billed by use, not by the fleet.
    pub cross_zone: f64,
    pub total: f64,
}

impl Cost {
    /// The fleet's cost with the month's cross-zone traffic added.
    pub fn with_cross_zone(self, usd_per_month: f64) -> Cost {
        Cost {
            cross_zone: usd_per_month,
            total: self.kafka + self.flink + self.clickhouse + usd_per_month,
            ..self
        }
    }
}

/// What a fleet costs per month: brokers, TaskManagers and ClickHouse
/// nodes (shards × replicas), each with its disk; no traffic yet.
pub fn monthly(
    brokers: u32,
    task_managers: u32,
    clickhouse_nodes: u32,
    arch: &Architecture,
    a: &CostAssumptions,
) -> Cost {
    let gb = a.storage_gb_per_month.value;
    let kafka = brokers_per_month(brokers, arch.kafka.disk_per_broker_gb, gb, a);
    let flink = f64::from(task_managers) * a.flink_task_manager_per_month.value;
    let clickhouse = f64::from(clickhouse_nodes)
        * (a.clickhouse_replica_per_month.value + arch.clickhouse.disk_per_replica_gb * gb);
    Cost {
        kafka,
        flink,
        clickhouse,
        cross_zone: 0.0,
        total: kafka + flink + clickhouse,
    }
}

/// What today's footprint costs per month, with today's cross-zone traffic:
/// doing nothing.
pub fn today(arch: &Architecture, a: &CostAssumptions, cross_zone_usd_per_month: f64) -> Cost {
    monthly(
        arch.kafka.brokers,
        arch.flink.task_managers,
        arch.clickhouse.shards * arch.clickhouse.replicas,
        arch,
        a,
    )
    .with_cross_zone(cross_zone_usd_per_month)
}

/// `brokers` with disks of `disk_gb` at `gb_price` per GB-month: the Kafka
/// line of a month's cost, and of each storage lever's.
pub fn brokers_per_month(brokers: u32, disk_gb: f64, gb_price: f64, a: &CostAssumptions) -> f64 {
    f64::from(brokers) * (a.kafka_broker_per_month.value + disk_gb * gb_price)
}

/// Reserved instances as a lever: the month's instances (not their disks,
/// not the traffic) at the one-year reserved discount.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReservedPricing {
    pub discount: f64,
    pub instances_usd_per_month: f64,
    pub usd_per_month_saved: f64,
}

pub fn reserved(
    brokers: u32,
    task_managers: u32,
    clickhouse_nodes: u32,
    a: &CostAssumptions,
) -> ReservedPricing {
    let instances = f64::from(brokers) * a.kafka_broker_per_month.value
        + f64::from(task_managers) * a.flink_task_manager_per_month.value
        + f64::from(clickhouse_nodes) * a.clickhouse_replica_per_month.value;
    let discount = a.reserved_instance_discount.value;
    ReservedPricing {
        discount,
        instances_usd_per_month: instances,
        usd_per_month_saved: instances * discount,
    }
}
