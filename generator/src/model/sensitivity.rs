//! Sensitivity: the last month the plan carries (base scenario) rerun with each
//! uncertain assumption at its `low` and its `high`, everything else as is,
//! under the chosen strategy. Shows which assumptions move cost and node counts.

use serde::Serialize;

use super::MonthPlan;
use super::growth;
use super::index;
use super::sizing::{Basis, KeyedFingerprint};
use super::strategy::Strategy;
use super::workload::Workload;
use crate::inputs::Inputs;
use crate::inputs::assumptions::NamedAssumption;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nodes {
    pub brokers: u32,
    pub task_managers: Option<u32>,
    pub clickhouse_nodes: u32,
    pub cost_per_month: f64,
}

impl Nodes {
    fn of(plan: &MonthPlan) -> Nodes {
        Nodes {
            brokers: plan.brokers.brokers,
            task_managers: plan.flink.task_managers,
            clickhouse_nodes: plan.clickhouse.nodes,
            cost_per_month: plan.cost.total,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Swing {
    pub assumption: String,
    pub unit: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    pub at_low: Nodes,
    pub at_high: Nodes,
    /// `|cost at high − cost at low|`: the tornado's bar length.
    pub cost_swing: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sensitivity {
    pub month: u32,
    pub baseline: Nodes,
    /// Largest cost swing first.
    pub swings: Vec<Swing>,
}

pub fn analyse(
    plan_basis: &Basis<'_>,
    inputs: &Inputs,
    workload: &Workload,
    baseline: &MonthPlan,
    strategy: Strategy,
    settled: (KeyedFingerprint, u32),
) -> Sensitivity {
    let month = baseline.month;
    let at = |name: &str, value: f64| {
        let mut changed = inputs.clone();
        set_assumption(&mut changed, name, value);
        // The month is sized as the plan sizes it, on a basis recomputed from
        // the changed assumption (the merge-safe rate and maxParallelism move too).
        let keyed_topic = changed.architecture.keyed_topic();
        let growth = growth::monthly_load(
            &changed.forecast,
            workload.topic(&keyed_topic.name).peak_to_mean,
        );
        let mut basis = Basis::sharing_keys(&changed, workload, &growth, plan_basis);
        // Most assumptions leave the keyed fit alone: the plan's settled
        // maxParallelism holds for them, and settling anew would only redo it.
        if basis.keyed_fingerprint() == settled.0 {
            basis.set_max_parallelism(strategy, settled.1);
        } else {
            basis.settle_max_parallelism(strategy, &growth);
        }
        let load = &growth.get(month).base;
        let sized = basis.size_strategy(load, strategy);
        // The last month's count: what it needs, never below today's.
        let today = changed.architecture.keyed_topic().partitions;
        let partitions = sized
            .partitions
            .partitions
            .as_ref()
            .map_or(today, |&n| n.max(today));
        Nodes::of(&basis.plan_month(load, &sized, partitions))
    };
    let ranged: Vec<(NamedAssumption, f64, f64)> = inputs
        .assumptions
        .list()
        .into_iter()
        .filter_map(|n| {
            let (low, high) = (n.assumption.low?, n.assumption.high?);
            Some((n, low, high))
        })
        .collect();
    // Every rerun stands alone: they share the cores.
    let reruns: Vec<(&str, f64)> = ranged
        .iter()
        .flat_map(|(n, low, high)| [(n.name.as_str(), *low), (n.name.as_str(), *high)])
        .collect();
    let mut nodes = index::parallel(&reruns, |&(name, value)| at(name, value)).into_iter();
    let mut swings: Vec<Swing> = ranged
        .into_iter()
        .map(|(n, low, high)| {
            let at_low = nodes.next().expect("a rerun per end");
            let at_high = nodes.next().expect("a rerun per end");
            Swing {
                cost_swing: (at_high.cost_per_month - at_low.cost_per_month).abs(),
                assumption: n.name,
                unit: n.assumption.unit,
                value: n.assumption.value,
                low,
                high,
                at_low,
                at_high,
            }
        })
        .collect();
    swings.sort_by(|a, b| {
        b.cost_swing
            .total_cmp(&a.cost_swing)
            .then(a.assumption.cmp(&b.assumption))
    });
    Sensitivity {
        month,
        baseline: Nodes::of(baseline),
        swings,
    }
}

/// Sets the assumption `dotted` (e.g. `kafka.target_utilization`) to `value`.
fn set_assumption(inputs: &mut Inputs, dotted: &str, value: f64) {
    let mut tree = serde_json::to_value(&inputs.assumptions).expect("assumptions serialize");
    let mut node = &mut tree;
    for key in dotted.split('.') {
        node = node.get_mut(key).expect("a listed assumption exists");
    }
    node["value"] = serde_json::json!(value);
    inputs.assumptions = serde_json::from_value(tree).expect("only a value changed");
}
