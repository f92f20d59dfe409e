//! Property tests of the sizing: more load never needs fewer partitions,
//! subtasks, brokers or shards, and a sized stage never sits above its target.

use proptest::prelude::*;

use super::clickhouse;
use super::flink;
use super::kafka::{self, TopicLoad};
use super::relabel::Walk;
use super::strategy::KeySet;
use crate::inputs::architecture::{ClickHouse, Kafka};
use crate::inputs::assumptions::{Assumption, ClickHouseAssumptions, KafkaAssumptions};

fn a(value: f64) -> Assumption {
    Assumption {
        value,
        unit: String::new(),
        source: String::new(),
        low: None,
        high: None,
    }
}

/// A key distribution: a few heavy customers over a flat tail, normalised.
fn customers(heavy: &[f64], tail: usize) -> Vec<(i64, f64)> {
    let mut c: Vec<(i64, f64)> = heavy
        .iter()
        .enumerate()
        .map(|(i, w)| (1_000 + i as i64, *w))
        .collect();
    c.extend((0..tail).map(|i| (50_000 + i as i64, 1.0)));
    let total: f64 = c.iter().map(|x| x.1).sum();
    c.into_iter().map(|(id, w)| (id, w / total)).collect()
}

fn kafka_assumptions() -> KafkaAssumptions {
    KafkaAssumptions {
        partition_produce_mb_per_s: a(10.0),
        target_utilization: a(0.7),
        broker_network_in_mb_per_s: a(390.0),
        broker_network_out_mb_per_s: a(390.0),
        broker_storage_mb_per_s: a(250.0),
        broker_target_utilization: a(0.6),
        consumer_groups: a(1.0),
        max_partitions_per_broker: a(4000.0),
        disk_target_utilization: a(0.7),
        lever_retention_hours: a(24.0),
        lever_disk_per_broker_gb: a(16_000.0),
        lever_tiered_local_retention_hours: a(12.0),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn keyed_parallelism_grows_with_load_and_keeps_the_hottest_subtask_under_target(
        heavy in proptest::collection::vec(1.0f64..40.0, 0..4),
        tail in 50usize..400,
        load in 1_000.0f64..400_000.0,
        more in 1.0f64..3.0,
        m in prop::sample::select(vec![128u32, 256, 512]),
    ) {
        let keys = KeySet::customer_id(&customers(&heavy, tail));
        let cap = 16_000.0;
        let small = flink::fit_keyed(&keys, load, cap, m, Walk::ToChoice);
        let large = flink::fit_keyed(&keys, load * more, cap, m, Walk::ToChoice);
        if let Ok(p) = small.parallelism {
            prop_assert!(small.hottest_share * load <= cap * (1.0 + 1e-12));
            prop_assert!(p >= small.lower_bound);
        }
        if let Ok(q) = large.parallelism {
            prop_assert!(large.hottest_share * load * more <= cap * (1.0 + 1e-12));
            // Whatever fits the larger load fits the smaller one, with no more subtasks.
            let p = small.parallelism.expect("the smaller load fits too");
            prop_assert!(p <= q, "load {load} needs {p}, load {} needs {q}", load * more);
        }
    }

    #[test]
    fn partitions_grow_with_load_and_keep_the_hottest_partition_under_its_limits(
        heavy in proptest::collection::vec(1.0f64..20.0, 0..4),
        tail in 50usize..300,
        load in 1_000.0f64..300_000.0,
        more in 1.0f64..3.0,
    ) {
        let keys = KeySet::customer_id(&customers(&heavy, tail));
        let ka = kafka_assumptions();
        let small_l = kafka::limits(load, 600.0, 40_000.0, &ka);
        let large_l = kafka::limits(load * more, 600.0, 40_000.0, &ka);
        let small = kafka::fit_partitions(&keys, &small_l, Walk::ToChoice);
        let large = kafka::fit_partitions(&keys, &large_l, Walk::ToChoice);
        for (fit, l) in [(&small, &small_l), (&large, &large_l)] {
            if fit.partitions.is_ok() {
                prop_assert!(fit.hottest_share * l.peak_events_per_s <= l.consumer_events_per_s * (1.0 + 1e-12));
                prop_assert!(fit.hottest_share * l.peak_mb_per_s <= l.partition_mb_per_s * (1.0 + 1e-12));
            }
        }
        if let Ok(q) = large.partitions {
            let p = small.partitions.expect("the smaller load fits too");
            prop_assert!(p <= q);
        }
        prop_assert!(large.lower_bound >= small.lower_bound);
    }

    #[test]
    fn brokers_and_shards_grow_with_load(
        mb in 1.0f64..2_000.0,
        more in 1.0f64..4.0,
        rows in 1_000.0f64..3_000_000.0,
    ) {
        let ka = kafka_assumptions();
        let cluster = Kafka {
            version: "3.6".into(),
            brokers: 3,
            instance: String::new(),
            disk_per_broker_gb: 4000.0,
            follower_fetching: false,
            zone_aware_producers: false,
            topics: Vec::new(),
        };
        let topic = |scale: f64| TopicLoad {
            topic: "t".into(),
            avg_events_per_s: 0.0,
            peak_events_per_s: 0.0,
            avg_mb_per_s: mb * scale / 1.6,
            peak_mb_per_s: mb * scale,
            partitions: 48,
            replication_factor: 3,
            retention_hours: 72.0,
        };
        let b1 = kafka::brokers(&[topic(1.0)], &cluster, &ka);
        let b2 = kafka::brokers(&[topic(more)], &cluster, &ka);
        prop_assert!(b2.brokers >= b1.brokers);
        // Sized brokers run every throughput limit under its target.
        let u = ka.broker_target_utilization.value;
        prop_assert!(mb * 3.0 / f64::from(b1.brokers) <= ka.broker_storage_mb_per_s.value * u * (1.0 + 1e-12));

        let ch = ClickHouse {
            version: "24.8".into(),
            shards: 4,
            replicas: 2,
            instance: String::new(),
            disk_per_replica_gb: 8000.0,
            keeper_nodes: 3,
            tables: Vec::new(),
        };
        let ca = ClickHouseAssumptions {
            parts_to_delay_insert: a(1000.0),
            merge_safe_max_parts: a(300.0),
            async_insert_busy_timeout_ms: a(200.0),
            min_insert_batch_rows: a(10_000.0),
            max_inserts_per_s_per_shard: a(1.0),
            part_cost_rows: a(2_300.0),
            bytes_per_row_compressed: a(40.0),
            retention_days: a(90.0),
            disk_target_utilization: a(0.7),
        };
        let model = clickhouse::BatchModel::anchored(26_000.0, 200.0, 2_300.0);
        let size = |rows: f64| {
            let batch = clickhouse::choose_batch(rows, 2, &model, 300.0, &ca);
            clickhouse::size(rows / 1.6, rows, batch, &model, 0.8, &ch, &ca)
        };
        let (s1, s2) = (size(rows), size(rows * more));
        prop_assert!(s2.shards >= s1.shards);
        prop_assert!(s1.peak_rows_per_s_per_shard <= s1.merge_safe_rows_per_s * (1.0 + 1e-12));
        // At peak a shard is sent no more parts per second than allowed.
        prop_assert!(s1.parts_per_s_per_shard <= 1.0 + 1e-9);
    }
}
