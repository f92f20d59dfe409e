//! What any plan must respect, on the committed data and on the other data
//! sets: partitions never decrease, nothing drops below what runs today, and
//! the source vertex's busiest reader stays under its target at the
//! partition count the schedule creates, not the count the month needs.

use std::path::Path;

use partitioners::kafka_source::split_owner;
use specgen::inputs;
use specgen::model;

use crate::helpers::repo_root;

fn check(data: &Path) {
    let inputs = inputs::load(data).unwrap_or_else(|e| panic!("{}: {e}", data.display()));
    let m = model::run(&inputs);
    let arch = &inputs.architecture;
    let topic = arch.keyed_topic();
    let target = inputs.assumptions.flink.target_utilization.value;
    let mut previous = std::collections::BTreeMap::new();
    for (month, scenario, p) in m.plan.flat() {
        let at = format!("{}: month {month}, {scenario:?}", data.display());
        // Never fewer partitions than the month before, nor than today.
        let before = previous.insert(scenario, p.partitions_planned);
        assert!(
            p.partitions_planned >= before.unwrap_or(topic.partitions),
            "{at}: partitions went from {before:?} to {}",
            p.partitions_planned
        );
        // At least what the month needs, when some count fits.
        if let Ok(needed) = p.partitions.partitions {
            assert!(p.partitions_planned >= needed, "{at}");
        }
        // Never below today's brokers, TaskManagers and shards.
        assert!(p.brokers.brokers >= arch.kafka.brokers, "{at}");
        if let Some(tms) = p.flink.task_managers {
            assert!(tms >= arch.flink.task_managers, "{at}");
        }
        assert!(p.clickhouse.shards >= arch.clickhouse.shards, "{at}");
        // The source: its subtasks read whole partitions of the scheduled
        // count, each reader owning ⌊P/n⌋ or ⌈P/n⌉ of them, and its busiest
        // one stays under the target.
        let source = &p.flink.vertices[0];
        if let Ok(readers) = source.parallelism {
            let mut owned = vec![0u32; readers as usize];
            for partition in 0..p.partitions_planned {
                owned[split_owner(&topic.name, partition, readers) as usize] += 1;
            }
            let (fewest, most) = (
                owned.iter().min().copied().unwrap(),
                owned.iter().max().copied().unwrap(),
            );
            assert_eq!(fewest, p.partitions_planned / readers, "{at}");
            assert_eq!(most, p.partitions_planned.div_ceil(readers), "{at}");
            assert!(
                source.hottest_utilization <= target + 1e-12,
                "{at}: the busiest reader is {} busy against a {target} target",
                source.hottest_utilization
            );
            // Whatever the spread, the busiest reader carries at least 1/n.
            assert!(
                source.hottest_share + 1e-12 >= 1.0 / f64::from(readers),
                "{at}"
            );
        }
    }
    // The high scenario carries at least the base one's events on every key
    // (the same customers grown more, the same onboardings and more, each
    // under the same drawn ids), so in no month and strategy does it need
    // fewer partitions or keyed subtasks.
    for (month, by) in m.strategies.iter() {
        for s in model::strategy::Strategy::ALL {
            let (base, high) = (by.base.get(s), by.high.get(s));
            let at = format!("{}: month {month}, {s:?}", data.display());
            if let Ok(b) = base.partitions.partitions
                && let Ok(h) = high.partitions.partitions
            {
                assert!(h >= b, "{at}: high needs {h} partitions, base {b}");
            }
            if let Ok(b) = base.keyed().parallelism
                && let Ok(h) = high.keyed().parallelism
            {
                assert!(h >= b, "{at}: high needs {h} subtasks, base {b}");
            }
            // And where the base one does not fit, the high one does not either.
            assert!(base.feasible || !high.feasible, "{at}");
        }
    }
}

#[test]
fn the_committed_plan_never_shrinks_and_its_source_fits_at_the_scheduled_count() {
    check(&repo_root().join("data"));
}

#[test]
fn the_other_data_sets_keep_the_same_rules() {
    for scratch in [
        crate::alt_data::alt_scratch(),
        crate::hyper_growth::hyper_scratch(),
        crate::flat_keys::flat_scratch(),
    ] {
        check(&scratch.path("data"));
    }
}
