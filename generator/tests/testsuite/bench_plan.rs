//! The plan the prototype replays (`data/bench/plan.tsv`) and the model's
//! prediction for it, both worked by hand from `data/` and the committed run.

use std::collections::BTreeMap;

use partitioners::{
    flink_subtask, integer_hash_code, long_hash_code, string_hash_code, tuple2_hash_code,
};
use specgen::inputs::Scenario;
use specgen::model::strategy::CustomerRef;

use crate::helpers::repo_root;

fn model() -> (specgen::inputs::Inputs, specgen::model::Model) {
    let inputs = specgen::inputs::load(&repo_root().join("data")).unwrap();
    let model = specgen::model::run(&inputs);
    (inputs, model)
}

#[test]
fn the_plan_file_is_the_busiest_month_the_plan_carries() {
    let (inputs, model) = model();
    let file = model.bench_plan.as_ref().expect("the plan carries a month");
    // By hand: the base scenario's carried months, the busiest keyed vertex.
    let mut best: Option<(u32, f64)> = None;
    for (m, p) in model.plan.iter() {
        let base = p.get(Scenario::Base);
        let keyed = base.flink.vertices.iter().find(|v| v.keyed).unwrap();
        if base.carried && best.is_none_or(|(_, load)| keyed.records_in_per_s > load) {
            best = Some((m, keyed.records_in_per_s));
        }
    }
    let (month, load) = best.unwrap();
    assert_eq!(file.month, month);
    assert_eq!(file.peak_records_per_s, load);
    let base = model.plan.get(month).get(Scenario::Base);
    let keyed = base.flink.vertices.iter().find(|v| v.keyed).unwrap();
    assert_eq!(Ok(file.keyed_parallelism), keyed.parallelism);
    assert_eq!(file.max_parallelism, keyed.max_parallelism);
    // A known customer's share is today's share × organic events ÷ all events
    // that month (the onboardings take the rest).
    let growth = model.growth.get(month).get(Scenario::Base);
    let scale = growth.organic_events_per_s / growth.avg_events_per_s;
    let hot = &inputs.keys.hot[0];
    let c = file
        .customers
        .iter()
        .find(|c| c.customer_id == hot.customer_id)
        .unwrap();
    assert!(
        (c.share - hot.share * scale).abs() < 1e-12,
        "{} vs {}",
        c.share,
        hot.share * scale
    );
    // Each split the plan makes, with its count; no other customer split.
    let split: BTreeMap<i64, u32> = file.split_customers().into_iter().collect();
    let known_splits: Vec<_> = base
        .sub_keys
        .iter()
        .filter(|s| s.sub_keys > 1)
        .filter_map(|s| match s.customer {
            CustomerRef::Known(id) => Some((id, s.sub_keys)),
            CustomerRef::Onboarding(_) => None,
        })
        .collect();
    assert!(!known_splits.is_empty());
    for (id, n) in known_splits {
        assert_eq!(split.get(&id), Some(&n), "customer {id}");
    }
    assert_eq!(
        split.len(),
        base.sub_keys.iter().filter(|s| s.sub_keys > 1).count()
    );
    // The committed file is this plan, byte for byte.
    let committed = std::fs::read_to_string(repo_root().join("data/bench/plan.tsv")).unwrap();
    assert_eq!(
        committed,
        file.to_tsv(),
        "data/bench/plan.tsv is stale: run `just spec`"
    );
}

/// The hottest subtask's share of the records, routing every key of the
/// run's customers with Flink's key groups directly.
fn hottest_by_hand(
    customers: &[(i64, f64, u32)],
    event_types: &BTreeMap<String, f64>,
    strategy: &str,
    parallelism: u32,
    max_parallelism: u32,
) -> f64 {
    let mut per_subtask = vec![0.0; parallelism as usize];
    let mut add = |hash: i32, share: f64| {
        // flink_subtask murmur-hashes the key's hashCode into its key group.
        per_subtask[flink_subtask(hash, max_parallelism, parallelism) as usize] += share;
    };
    for &(id, share, sub_keys) in customers {
        match strategy {
            "customer" => add(long_hash_code(id), share),
            "composite" => {
                for (name, type_share) in event_types {
                    add(
                        tuple2_hash_code(long_hash_code(id), string_hash_code(name)),
                        share * type_share,
                    );
                }
            }
            _ => {
                for j in 0..sub_keys as i32 {
                    add(
                        tuple2_hash_code(long_hash_code(id), integer_hash_code(j)),
                        share / f64::from(sub_keys),
                    );
                }
            }
        }
    }
    per_subtask.iter().copied().fold(0.0, f64::max)
}

#[test]
fn the_prototype_prediction_is_worked_by_hand_from_the_committed_run() {
    let (inputs, model) = model();
    let bench = inputs.bench.as_ref().unwrap();
    let p = &bench.parameters;
    let v = model.validation.as_ref().unwrap();
    assert_eq!(v.checks.len(), 3);
    let capacity = 1e6 / p.plan_service_time_us;
    for c in &v.checks {
        let name = c.bench_strategy.name();
        let hottest = hottest_by_hand(
            &p.plan_customers,
            &p.event_type_shares,
            name,
            p.sweep_parallelism,
            p.sweep_max_parallelism,
        );
        assert!(
            (c.hottest_share - hottest).abs() < 1e-9,
            "{name}: {} vs {hottest}",
            c.hottest_share
        );
        let predicted = capacity / hottest;
        assert!(
            (c.predicted_sustainable - predicted).abs() < 1e-6 * predicted,
            "{name}"
        );
        // The median of the repeats at the plan's scale.
        let sweep = &bench.sweep[&c.bench_strategy];
        let mut r = sweep.repeats.clone();
        r.sort_by(f64::total_cmp);
        let median = r[r.len() / 2] * p.time_scale;
        assert_eq!(r.len(), 3, "{name}: three bisections");
        assert_eq!(c.measured_sustainable, median, "{name}");
        assert_eq!(c.measured_min, r[0] * p.time_scale);
        assert_eq!(c.measured_max, r[2] * p.time_scale);
        let error = (median - predicted) / predicted;
        assert!((c.error - error).abs() < 1e-12, "{name}");
        assert!(c.error_min <= c.error && c.error <= c.error_max, "{name}");
        // At the peak: the plan's rate × the hottest share over one subtask's capacity.
        assert!(
            (c.predicted_hottest_busy - p.plan_peak_records_per_s * hottest / capacity).abs()
                < 1e-9
        );
        assert_eq!(c.repeats, 3);
    }
    // The run replayed the committed plan.
    assert!(v.plan_matches_inputs, "{:?}", v.stale_inputs);
    assert!(v.stale_inputs.is_empty(), "{:?}", v.stale_inputs);
}
