//! Kafka storage levers. Retained bytes set the broker count (72 h × RF 3 is
//! the largest bound by far), so the plan weighs what would move it, each
//! computed on the last month the plan carries, base scenario: a shorter
//! retention, larger disks, cheaper disks, and tiered storage where the
//! Kafka version has it, with its maturity.

use serde::Serialize;

use super::MonthPlan;
use super::cost;
use super::kafka::{self, BYTES_PER_GB, BYTES_PER_MB, BrokerBound, TopicLoad};
use crate::inputs::architecture::Kafka;
use crate::inputs::assumptions::Assumptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lever {
    /// The plan as sized.
    AsPlanned,
    /// Every topic kept at most the lever's retention.
    ShorterRetention,
    /// Larger volumes per broker.
    LargerDisks,
    /// Throughput-optimized volumes at a lower price per GB.
    CheaperDisks,
    /// Brokers keep a local window; the full retention goes to object storage once.
    TieredStorage,
}

/// How ready tiered storage (KIP-405) is in the Kafka version that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Maturity {
    /// Before 3.6: not in Kafka.
    Unavailable,
    /// 3.6 to 3.8: early access, not for production.
    EarlyAccess,
    /// 3.9 on: production-ready.
    Production,
}

impl Maturity {
    /// From a `major.minor` version string; an unreadable one counts as unavailable.
    pub fn of(version: &str) -> Maturity {
        let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), Some(minor)) if (major, minor) >= (3, 9) => Maturity::Production,
            (Some(major), Some(minor)) if (major, minor) >= (3, 6) => Maturity::EarlyAccess,
            _ => Maturity::Unavailable,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeverCost {
    pub lever: Lever,
    /// The lever's setting: hours of retention, GB per broker, USD per GB-month.
    pub setting: f64,
    pub brokers: u32,
    pub binding: BrokerBound,
    /// Brokers and their disks, plus object storage for tiered storage.
    pub kafka_usd_per_month: f64,
    /// What the lever saves on the plan's Kafka line (negative: it costs more).
    pub saving_usd_per_month: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageLevers {
    pub month: u32,
    pub planned: LeverCost,
    pub levers: Vec<LeverCost>,
    pub tiered_maturity: Maturity,
    pub kafka_version: String,
}

pub fn weigh(plan: &MonthPlan, kafka_arch: &Kafka, a: &Assumptions) -> StorageLevers {
    let disk_price = a.cost.storage_gb_per_month.value;
    // The plan's own Kafka line, as the month's cost has it.
    let planned = LeverCost {
        lever: Lever::AsPlanned,
        setting: kafka_arch.disk_per_broker_gb,
        brokers: plan.brokers.brokers,
        binding: plan.brokers.binding.bound,
        kafka_usd_per_month: plan.cost.kafka,
        saving_usd_per_month: 0.0,
    };
    // Each lever: the broker bounds rerun on what it changes, the brokers
    // with their disks, plus `remote_gb` in object storage.
    let row = |lever, setting, topics: &[TopicLoad], arch: &Kafka, price: f64, remote_gb: f64| {
        let b = kafka::brokers(topics, arch, &a.kafka);
        let cost = cost::brokers_per_month(b.brokers, arch.disk_per_broker_gb, price, &a.cost)
            + remote_gb * a.cost.object_storage_gb_per_month.value;
        LeverCost {
            lever,
            setting,
            brokers: b.brokers,
            binding: b.binding.bound,
            kafka_usd_per_month: cost,
            saving_usd_per_month: planned.kafka_usd_per_month - cost,
        }
    };
    let with_retention = |hours: f64| -> Vec<TopicLoad> {
        plan.topics
            .iter()
            .map(|t| TopicLoad {
                retention_hours: t.retention_hours.min(hours),
                ..t.clone()
            })
            .collect()
    };
    let retention = a.kafka.lever_retention_hours.value;
    let larger = Kafka {
        disk_per_broker_gb: a.kafka.lever_disk_per_broker_gb.value,
        ..kafka_arch.clone()
    };
    let cheaper = a.cost.lever_cold_disk_gb_per_month.value;
    let local = a.kafka.lever_tiered_local_retention_hours.value;
    // The object store keeps each topic's whole retention once: it
    // replicates within itself, so the replication factor does not apply.
    let remote_gb: f64 = plan
        .topics
        .iter()
        .map(|t| t.avg_mb_per_s * BYTES_PER_MB * t.retention_hours * 3600.0 / BYTES_PER_GB)
        .sum();
    let maturity = Maturity::of(&kafka_arch.version);
    let mut levers = vec![
        row(
            Lever::ShorterRetention,
            retention,
            &with_retention(retention),
            kafka_arch,
            disk_price,
            0.0,
        ),
        row(
            Lever::LargerDisks,
            larger.disk_per_broker_gb,
            &plan.topics,
            &larger,
            disk_price,
            0.0,
        ),
        row(
            Lever::CheaperDisks,
            cheaper,
            &plan.topics,
            kafka_arch,
            cheaper,
            0.0,
        ),
    ];
    if maturity != Maturity::Unavailable {
        levers.push(row(
            Lever::TieredStorage,
            local,
            &with_retention(local),
            kafka_arch,
            disk_price,
            remote_gb,
        ));
    }
    StorageLevers {
        month: plan.month,
        planned,
        levers,
        tiered_maturity: maturity,
        kafka_version: kafka_arch.version.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::inputs;
    use crate::model;

    #[test]
    fn tiered_storage_is_early_access_from_3_6_and_production_from_3_9() {
        assert_eq!(Maturity::of("3.5"), Maturity::Unavailable);
        assert_eq!(Maturity::of("3.6"), Maturity::EarlyAccess);
        assert_eq!(Maturity::of("3.8.1"), Maturity::EarlyAccess);
        assert_eq!(Maturity::of("3.9"), Maturity::Production);
        assert_eq!(Maturity::of("4.0"), Maturity::Production);
        assert_eq!(Maturity::of("2.8"), Maturity::Unavailable);
        assert_eq!(Maturity::of("latest"), Maturity::Unavailable);
    }

    #[test]
    fn the_levers_on_the_committed_plan_worked_by_hand() {
        let inputs = inputs::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")).unwrap();
        let m = model::run(&inputs);
        let s = &m.storage_levers;
        let p = &m.plan.get(s.month).base;
        assert_eq!(s.month, 12);
        let by = |lever| s.levers.iter().find(|l| l.lever == lever).unwrap();
        let usd = |x: f64, y: f64| (x - y).abs() < 1e-6;
        // As planned: 58 brokers (disk: 485,531 GB / (12,000 GB × 0.7) =
        // 57.8) at 368 + 12,000 × 0.08 = 1,328 USD: 77,024 USD a month.
        assert!((p.brokers.retained_gb - 485_531.0).abs() < 1.0);
        assert_eq!(
            (s.planned.brokers, s.planned.binding),
            (58, BrokerBound::Disk)
        );
        assert!(usd(s.planned.kafka_usd_per_month, 77_024.0));
        // 24 h instead of 72 h (and 168 h for the small topic): a third of
        // the keyed topic's bytes, under 20 brokers for disk, so storage
        // throughput binds at 21 (1,009 MB/s × 3 / (250 × 0.6) = 20.2):
        // 21 × 1,328 = 27,888, saving 49,136.
        let r = by(Lever::ShorterRetention);
        assert_eq!((r.brokers, r.binding), (21, BrokerBound::StorageThroughput));
        assert!(usd(r.kafka_usd_per_month, 27_888.0));
        assert!(usd(r.saving_usd_per_month, 49_136.0));
        // 16,000 GB disks: 485,531 / (16,000 × 0.7) = 43.4 → 44 brokers at
        // 368 + 16,000 × 0.08 = 1,648: 72,512, saving 4,512.
        let r = by(Lever::LargerDisks);
        assert_eq!((r.brokers, r.binding), (44, BrokerBound::Disk));
        assert!(usd(r.kafka_usd_per_month, 72_512.0));
        // st1 at 0.045: 58 × (368 + 12,000 × 0.045) = 58 × 908 = 52,664.
        let r = by(Lever::CheaperDisks);
        assert_eq!(r.brokers, 58);
        assert!(usd(r.kafka_usd_per_month, 52_664.0));
        assert!(usd(r.saving_usd_per_month, 24_360.0));
        // Tiered, 12 h local: storage throughput binds at 21 again; the
        // object store keeps one copy of the retention, 485,531 / 3 =
        // 161,844 GB at 0.023 = 3,722 USD: 27,888 + 3,722 = 31,610.
        let r = by(Lever::TieredStorage);
        assert_eq!((r.brokers, r.binding), (21, BrokerBound::StorageThroughput));
        let remote = p.brokers.retained_gb / 3.0 * 0.023;
        assert!((remote - 3_722.4).abs() < 0.1, "{remote}");
        assert!(usd(r.kafka_usd_per_month, 27_888.0 + remote));
        assert_eq!(s.tiered_maturity, Maturity::EarlyAccess);
    }
}
