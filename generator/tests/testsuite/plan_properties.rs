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

/// The TaskManager table of the committed spec, recomputed row by row from
/// its own columns and the shape in `data/assumptions.toml` (4 vCPU, 0.25 of
/// them the framework's, 4 slots, target 70%; today's 7 TaskManagers).
#[test]
fn every_task_manager_count_is_the_largest_of_its_bounds_recomputed_by_hand() {
    let arch = std::fs::read_to_string(repo_root().join("data/architecture.toml")).unwrap();
    assert!(arch.contains("task_managers = 7\n"));
    let text = std::fs::read_to_string(repo_root().join("spec/src/sizing.md")).unwrap();
    let table = text
        .split("| Month | Slots | vCPUs busy at peak |")
        .nth(1)
        .expect("the TaskManager table");
    let number = |cell: &str| cell.trim().replace(',', "").parse::<f64>().unwrap();
    let mut rows = 0;
    for line in table.lines().skip(2).take_while(|l| l.starts_with("| 20")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (slots, busy, by_slots, by_cpu, by_memory) = (
            number(cells[2]),
            number(cells[3]),
            number(cells[5]),
            number(cells[6]),
            number(cells[7]),
        );
        assert_eq!(by_slots, (slots / 4.0).ceil(), "{line}");
        // Busy vCPUs are printed to 0.1: the count must follow from a value
        // within half a digit of it. 0.7 × (4 − 0.25) = 2.625 per TaskManager.
        let per_task_manager = 0.7 * (4.0 - 0.25);
        let (low, high) = (
            (busy - 0.05) / per_task_manager,
            (busy + 0.05) / per_task_manager,
        );
        assert!(
            low.ceil() <= by_cpu && by_cpu <= high.ceil(),
            "{line}: {busy} busy vCPUs give {low:.2}–{high:.2} TaskManagers"
        );
        let base: f64 = number(cells[8].split('/').nth(1).unwrap().trim().trim_matches('*'));
        let largest = by_slots.max(by_cpu).max(by_memory).max(7.0);
        assert_eq!(base, largest, "{line}");
        let named = match cells[9] {
            "today's count" => 7.0,
            "slots" => by_slots,
            "CPU" => by_cpu,
            "memory" => by_memory,
            other => panic!("{line}: set by `{other}`"),
        };
        assert_eq!(named, largest, "{line}");
        rows += 1;
    }
    assert_eq!(rows, 12);
}
