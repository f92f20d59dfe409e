//! Each count names the bound that sets it and the one behind it, worked by
//! hand on the committed data.

use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::model::kafka::BrokerBound;

use crate::helpers::repo_root;

#[test]
fn the_last_month_names_the_bound_that_sets_each_count_and_the_next() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    assert_eq!(
        m.last_carried_month, 12,
        "the committed plan carries the year"
    );
    let p = &m.plan.get(12).base;
    let a = &inputs.assumptions.kafka;

    // Disk: retained GB over 12,000 GB disks filled to 70%:
    // 485,531 / 8,400 = 57.8 → 58 brokers.
    assert_eq!(
        (
            inputs.architecture.kafka.disk_per_broker_gb,
            a.disk_target_utilization.value
        ),
        (12_000.0, 0.7)
    );
    let for_disk = (p.brokers.retained_gb / (12_000.0 * 0.7)).ceil();
    assert_eq!(for_disk, 58.0);
    // Storage throughput, the next bound: peak MB/s × RF over all topics,
    // over 250 MB/s per broker at 60%: 1,009 MB/s × 3 = 3,027 / 150 = 20.2 → 21.
    assert_eq!(
        (
            a.broker_storage_mb_per_s.value,
            a.broker_target_utilization.value
        ),
        (250.0, 0.6)
    );
    let replicated: f64 = p
        .topics
        .iter()
        .map(|t| t.peak_mb_per_s * f64::from(t.replication_factor))
        .sum();
    let for_storage = (replicated / (250.0 * 0.6)).ceil();
    assert_eq!(for_storage, 21.0);

    let b = &p.brokers.binding;
    assert_eq!((b.bound, b.count), (BrokerBound::Disk, 58));
    let next = b.next.expect("more than one bound");
    assert_eq!(
        (next.bound, next.count),
        (BrokerBound::StorageThroughput, 21)
    );

    // The documents say the same, with what would relieve it.
    let sizing = &draft.chapters["sizing.md"];
    assert!(
        sizing.contains(
            "| Kafka brokers | 58 | disk | 21, set by storage throughput | shorter retention, larger disks or tiered storage |"
        ),
        "{sizing}"
    );
    assert!(sizing.contains("| 2027-12 | "), "{sizing}");
    let brokers_row = sizing
        .lines()
        .find(|l| l.starts_with("| 2027-12 | ") && l.contains("**58**"))
        .expect("the brokers table's 2027-12 row");
    assert!(brokers_row.ends_with("| disk |"), "{brokers_row}");
}
