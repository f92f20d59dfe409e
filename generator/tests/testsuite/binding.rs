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

    // The readout lists the storage levers that save, most first, rounded
    // for a reader: 49,136 → about 49,000; 45,414 → about 45,000.
    let readout = &draft.chapters["readout.md"];
    let retention = readout
        .find("- **Retention at most 24 h**: about 49,000 USD per month less on Kafka")
        .expect("the retention lever in the readout");
    let tiered = readout
        .find("- **Tiered storage, 12 h kept on the brokers**: about 45,000 USD per month")
        .expect("the tiered-storage lever in the readout");
    assert!(retention < tiered, "{readout}");
}

/// The storage levers' prose in its other branches: a Kafka without tiered
/// storage, and a plan no lever makes cheaper (disks so large that retained
/// bytes bind nothing, and a "cheaper" disk that costs more).
#[test]
fn storage_levers_read_right_when_none_saves_and_tiered_storage_is_absent() {
    let layout = Layout { root: repo_root() };
    let mut inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    inputs.architecture.kafka.version = "3.5".to_owned();
    inputs.architecture.kafka.disk_per_broker_gb = 1_000_000.0;
    inputs.assumptions.kafka.lever_disk_per_broker_gb.value = 2_000_000.0;
    inputs.assumptions.cost.lever_cold_disk_gb_per_month.value = 0.1;
    // The cross-zone levers are in place already, so no lever of any kind saves.
    inputs.architecture.kafka.follower_fetching = true;
    inputs.architecture.kafka.zone_aware_producers = true;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let s = &draft.model.storage_levers;
    assert!(
        s.levers.iter().all(|l| l.saving_usd_per_month <= 0.0),
        "{s:?}"
    );
    let sizing = &draft.chapters["sizing.md"];
    assert!(
        sizing.contains("No lever saves money on this plan"),
        "{sizing}"
    );
    assert!(!sizing.contains("The largest saving is"), "{sizing}");
    assert!(
        sizing.contains("Tiered storage is not in Kafka 3.5: it came in 3.6 (KIP-405)."),
        "{sizing}"
    );
    assert!(!sizing.contains("| Tiered storage,"), "{sizing}");
    assert!(!draft.chapters["readout.md"].contains("less on Kafka"));
    // Cheaper disks that cost more: 0.1 against 0.08 USD per GB-month on
    // 1,000,000 GB per broker is 20,000 USD more per broker.
    let brokers = s.planned.brokers;
    let row = sizing
        .lines()
        .find(|l| l.starts_with("| Disks at 0.1 USD per GB-month |"))
        .expect("the cheaper-disk row");
    let more = specgen::render::markdown::group(f64::from(brokers) * 20_000.0, 0);
    assert!(row.contains(&format!("| −{more} |")), "{row}");
}
