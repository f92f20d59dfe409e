//! Per-record costs: each state backend, each partitioner, the channel hop.
//! Throughput is set per element, so criterion reports records per second.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use bench_prototype::config::Strategy;
use bench_prototype::event::{EventGenerator, Key, Record};
use bench_prototype::keys::KeyDistribution;
use bench_prototype::partition::{AnyPartitioner, Partitioner, PartitionerSpec};
use bench_prototype::state::{HeapBackend, RocksDbBackend, StateBackend};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const N: u64 = 4096;

fn setup() -> (EventGenerator, Arc<KeyDistribution>) {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let inputs = pipeline_inputs::load_production(&data).expect("inputs load");
    let scenarios = pipeline_inputs::load_scenarios(&data.join("bench/scenarios.toml"), &inputs)
        .expect("scenarios load");
    let keys = Arc::new(KeyDistribution::from_inputs(&inputs.keys));
    (
        EventGenerator::new(&scenarios.common, Arc::clone(&keys)),
        keys,
    )
}

fn keys_of(g: &EventGenerator) -> Vec<Key> {
    (0..N)
        .map(|i| Key {
            customer_id: g.event(i).customer_id,
            sub: 0,
        })
        .collect()
}

fn backends(c: &mut Criterion) {
    let (g, _) = setup();
    let keys = keys_of(&g);
    let mut group = c.benchmark_group("state_add");
    group.throughput(Throughput::Elements(N));
    let mut heap = HeapBackend::new();
    group.bench_function("heap", |b| {
        b.iter(|| {
            for k in &keys {
                black_box(heap.add(0, *k, 7).expect("heap add"));
            }
        })
    });
    for inplace in [false, true] {
        let mut rocks = RocksDbBackend::open(inplace).expect("rocksdb opens");
        let name = if inplace {
            "rocksdb_inplace"
        } else {
            "rocksdb"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                for k in &keys {
                    black_box(rocks.add(0, *k, 7).expect("rocksdb add"));
                }
            })
        });
    }
    group.finish();
}

fn partitioners(c: &mut Criterion) {
    let (g, keys) = setup();
    let events: Vec<(i64, u8)> = (0..N)
        .map(|i| {
            let e = g.event(i);
            (e.customer_id, e.event_type)
        })
        .collect();
    let mut group = c.benchmark_group("partition_key_and_route");
    group.throughput(Throughput::Elements(N));
    for strategy in Strategy::ALL {
        let mut p = AnyPartitioner::new(&PartitionerSpec {
            strategy,
            parallelism: 64,
            max_parallelism: 128,
            event_type_names: keys.event_type_names.clone(),
            hot_customers: keys
                .customers_with_share_at_least(0.005)
                .into_iter()
                .map(|c| (c, 8))
                .collect(),
            sticky_batch_records: 52,
        });
        group.bench_function(strategy.name(), |b| {
            b.iter(|| {
                for &(c, t) in &events {
                    let k = p.key(c, t);
                    black_box(p.route(k));
                }
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Elements(N));
    group.bench_function("event", |b| {
        b.iter(|| {
            for i in 0..N {
                black_box(g.event(i));
            }
        })
    });
    group.finish();
}

fn channel_hop(c: &mut Criterion) {
    // One buffer of 52 records (a production-sized network buffer) across a
    // bounded channel to another thread and back, per record.
    let records = 52usize;
    let mut group = c.benchmark_group("channel_hop");
    group.throughput(Throughput::Elements(records as u64));
    let (tx, rx) = crossbeam_channel::bounded::<Vec<Record>>(10);
    let (back_tx, back_rx) = crossbeam_channel::bounded::<Vec<Record>>(10);
    let echo = std::thread::spawn(move || {
        while let Ok(v) = rx.recv() {
            if back_tx.send(v).is_err() {
                break;
            }
        }
    });
    let template = Record {
        customer_id: 1,
        event_time_ms: 0,
        sched_ns: 0,
        offset: 0,
        sub: 0,
        value: 1,
    };
    group.bench_function("buffer_52_round_trip", |b| {
        b.iter_batched(
            || vec![template; records],
            |buf| {
                tx.send(buf).expect("echo thread alive");
                black_box(back_rx.recv().expect("echo thread alive"))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
    drop(tx);
    let _ = echo.join();
}

criterion_group! {
    name = micro;
    config = Criterion::default().noise_threshold(0.05).sample_size(20);
    targets = backends, partitioners, channel_hop
}
criterion_main!(micro);
