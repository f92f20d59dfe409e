//! Cross-zone traffic: each flow of the last month priced by hand from
//! `data/`, the documents printing it, and the levers' prose in each branch.

use specgen::build::{self, Layout};
use specgen::inputs;
use specgen::render::markdown::group;

use crate::helpers::repo_root;

#[test]
fn the_cost_chapter_prices_every_flow_of_the_last_month_worked_by_hand() {
    let layout = Layout { root: repo_root() };
    let inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let m = &draft.model;
    let p = &m.plan.get(12).base;
    // data/: 3 zones, both topics RF 3, one consumer group, ClickHouse RF 2
    // at 40 bytes a row, 0.01 USD per GB each way, 730 h a month.
    let (arch, a) = (&inputs.architecture, &inputs.assumptions);
    assert_eq!(arch.deployment.availability_zones, 3);
    assert!(arch.kafka.topics.iter().all(|t| t.replication_factor == 3));
    assert_eq!(arch.clickhouse.replicas, 2);
    assert_eq!(
        (
            a.kafka.consumer_groups.value,
            a.clickhouse.bytes_per_row_compressed.value,
            a.cost.cross_zone_gb_each_way.value,
            a.cost.hours_per_month.value
        ),
        (1.0, 40.0, 0.01, 730.0)
    );
    // The month's bytes: the keyed topic is events/s × 620 bytes, the DLQ
    // its own; rows/s for ClickHouse.
    let keyed = m.growth.get(12).base.avg_events_per_s * 620.0 / 1e6;
    let produced: f64 = p.topics.iter().map(|t| t.avg_mb_per_s).sum();
    let rows = p.clickhouse.avg_rows_per_s;
    let usd = |mb_per_s: f64| mb_per_s * 730.0 * 3600.0 / 1000.0 * 0.02;
    let flows = [
        ("Producers to the partition's leader", produced * 2.0 / 3.0),
        ("Kafka leaders to their followers", produced * 2.0),
        ("Consumer groups fetching", produced * 2.0 / 3.0),
        ("keyBy shuffle to the keyed subtasks", keyed * 2.0 / 3.0),
        ("Raw-event sink to a ClickHouse replica", keyed * 2.0 / 3.0),
        ("ClickHouse replicas fetching parts", rows * 40.0 / 1e6),
    ];
    let sizing = &draft.chapters["sizing.md"];
    for (flow, mb) in flows {
        let row = sizing
            .lines()
            .find(|l| l.starts_with(&format!("| {flow} |")))
            .unwrap_or_else(|| panic!("no row for {flow}"));
        assert!(
            row.ends_with(&format!("| {} |", group(usd(mb), 0))),
            "{row}"
        );
    }
    let total: f64 = flows.iter().map(|(_, mb)| usd(*mb)).sum();
    assert!((p.cost.cross_zone - total).abs() < 1e-6 * total);
    assert!(
        sizing.contains(&format!("| **{}** |\n", group(total, 0))),
        "the all-flows row"
    );
    // The month's cost line carries it, and the total adds it in.
    let fleet = p.cost.kafka + p.cost.flink + p.cost.clickhouse;
    assert!((p.cost.total - fleet - total).abs() < 1e-6);
    let cost_row = sizing
        .lines()
        .find(|l| l.starts_with("| 2027-12 |") && l.contains(&group(total, 0)))
        .expect("the cost row of 2027-12 prints its cross-zone line");
    assert!(cost_row.contains(&format!("**{}**", group(p.cost.total, 0))));
    // Each lever saves its flow: the producers' and the consumers' 2/3 of
    // every byte (RF 3 over 3 zones leaves a replica in every zone).
    let lever = usd(produced * 2.0 / 3.0);
    assert!(sizing.contains(&format!(
        "Follower fetching (KIP-392) saves {} USD a month",
        group(lever, 0)
    )));
    assert!(sizing.contains(&format!(
        "Producer zone awareness saves {} USD a month",
        group(lever, 0)
    )));
    // Doing nothing pays today's traffic at the measured means.
    let today_keyed = m.workload.topic("events.raw").mean_events_per_s * 620.0 / 1e6;
    let today_produced: f64 = arch
        .kafka
        .topics
        .iter()
        .map(|t| m.workload.topic(&t.name).mean_events_per_s * t.avg_event_bytes / 1e6)
        .sum();
    let today_rows = m.workload.clickhouse.mean_rows_per_s * 40.0 / 1e6;
    let today =
        usd(today_produced * (2.0 / 3.0 + 2.0 + 2.0 / 3.0) + today_keyed * 4.0 / 3.0 + today_rows);
    assert!((m.cost_today.cross_zone - today).abs() < 1e-6 * today);
}

/// A lever production already runs is said to be in place, saves nothing
/// and is not offered in the readout; the other is still weighed.
#[test]
fn a_lever_in_place_is_not_offered_again() {
    let layout = Layout { root: repo_root() };
    let mut inputs = inputs::load(&layout.data()).unwrap_or_else(|e| panic!("{e}"));
    inputs.architecture.kafka.follower_fetching = true;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let z = &draft.model.cross_zone;
    let consume = z
        .flows
        .flows
        .iter()
        .find(|f| f.flow == specgen::model::cross_zone::Flow::Consume)
        .unwrap();
    assert_eq!(consume.cross_zone_mb_per_s, 0.0);
    let sizing = &draft.chapters["sizing.md"];
    assert!(
        sizing.contains("Follower fetching (KIP-392) is in place."),
        "{sizing}"
    );
    assert!(sizing.contains("Producer zone awareness saves"));
    assert!(sizing.contains("With both,"));
    let readout = &draft.chapters["readout.md"];
    assert!(!readout.contains("**Follower fetching"), "{readout}");
    assert!(readout.contains("**Producer zone awareness**"));

    // Both in place: nothing left to weigh, and the prose says what crosses.
    inputs.architecture.kafka.zone_aware_producers = true;
    let draft = build::draft(&layout, &inputs).unwrap_or_else(|e| panic!("{e}"));
    let sizing = &draft.chapters["sizing.md"];
    assert!(!sizing.contains("With both,"));
    assert!(sizing.contains("What crosses now is replication, the shuffle, the sink"));
}
