//! Shared fixtures: the real inputs from `data/`, and small-window settings
//! so short runs fire many windows and see late data.

use std::path::PathBuf;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bench_prototype::config::{Common, Strategy};
use bench_prototype::event::EventGenerator;
use bench_prototype::keys::KeyDistribution;
use bench_prototype::partition::PartitionerSpec;

/// The quick mode emulates the plan's few hundred subtasks and loads both
/// cores, while the other tests time their runs (busy, backpressured and
/// idle time; checkpoint intervals). So the quick mode runs alone: it takes
/// this lock exclusively, every other test shared.
static MACHINE: RwLock<()> = RwLock::new(());

/// For the quick mode: no other test of this suite runs meanwhile.
pub fn alone() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(|e| e.into_inner())
}

/// For every other test: they run side by side, but not beside the quick mode.
pub fn beside_others() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|e| e.into_inner())
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data")
}

pub fn inputs() -> pipeline_inputs::Production {
    pipeline_inputs::load_production(&data_dir()).unwrap_or_else(|e| panic!("{e}"))
}

/// The scenario file's common settings with 200 ms windows, so a run of a
/// few seconds of event time fires windows, re-fires them for late data and
/// drops data later than the allowed lateness.
pub fn small_windows() -> Common {
    let s = pipeline_inputs::load_scenarios(&data_dir().join("bench/scenarios.toml"), &inputs())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut c = s.common;
    c.window_size_ms = 200;
    c.allowed_lateness_ms = 100;
    c.out_of_orderness_ms = 30;
    c.watermark_interval_ms = 20;
    c.late_fraction = 0.05;
    c.late_extra_ms = 300;
    c.event_time_base_ms = 1_800_000_000_000;
    c
}

pub fn keys() -> Arc<KeyDistribution> {
    Arc::new(KeyDistribution::from_inputs(&inputs().keys))
}

pub fn generator(common: &Common) -> EventGenerator {
    EventGenerator::new(common, keys())
}

pub fn partitioner(strategy: Strategy, parallelism: u32, common: &Common) -> PartitionerSpec {
    let keys = keys();
    PartitionerSpec {
        strategy,
        parallelism,
        max_parallelism: 128,
        event_type_names: keys.event_type_names.clone(),
        hot_customers: keys
            .customers_with_share_at_least(common.sticky_min_share)
            .into_iter()
            .map(|c| (c, common.sub_keys))
            .collect(),
        sticky_batch_records: common.sticky_batch_records,
    }
}
