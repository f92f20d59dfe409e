//! Sensitivity: the last month the plan carries (base scenario) rerun with each
//! uncertain assumption at its `low` and its `high`, everything else as is,
//! under the chosen strategy. Shows which assumptions move cost and node counts.

use serde::Serialize;

use super::MonthPlan;
use super::StrategyMonth;
use super::growth::{self, MonthLoad};
use super::index::{self, ByScenario, Monthly};
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

impl Sensitivity {
    /// Whether either end of a swing's range changes a count or the cost.
    pub fn moves(&self, s: &Swing) -> bool {
        s.at_low != self.baseline || s.at_high != self.baseline
    }

    /// The swings that move the plan, largest first.
    pub fn movers(&self) -> impl Iterator<Item = &Swing> {
        self.swings.iter().filter(|s| self.moves(s))
    }
}

pub fn analyse(
    plan_basis: &Basis<'_>,
    inputs: &Inputs,
    workload: &Workload,
    baseline: &MonthPlan,
    sized: &StrategyMonth,
    strategy: Strategy,
    settled: (KeyedFingerprint, u32),
) -> Sensitivity {
    let month = baseline.month;
    let rerun = Rerun {
        plan_basis,
        inputs,
        workload,
        strategy,
        settled,
    };
    let at = |name: &str, value: f64| {
        rerun.with(name, value, |basis, changed, growth| {
            let load = &growth.get(month).base;
            // An assumption that moves nothing sizing reads (prices,
            // ClickHouse, latency, broker limits) takes the plan's own
            // sizing of the month.
            let sized = if basis.sizes_as(plan_basis, load, strategy) {
                sized.clone()
            } else {
                basis.size_strategy(load, strategy)
            };
            // The last month's count: what it needs, never below today's.
            let today = changed.architecture.keyed_topic().partitions;
            let partitions = sized
                .partitions
                .partitions
                .as_ref()
                .map_or(today, |&n| n.max(today));
            Nodes::of(&basis.plan_month(load, &sized, partitions))
        })
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

/// What a rerun changes one assumption of.
struct Rerun<'p, 'a> {
    plan_basis: &'p Basis<'a>,
    inputs: &'p Inputs,
    workload: &'p Workload,
    strategy: Strategy,
    settled: (KeyedFingerprint, u32),
}

impl Rerun<'_, '_> {
    /// `f` on a basis for the inputs with assumption `name` at `value`: the
    /// month is sized as the plan sizes it, on a basis recomputed from the
    /// changed assumption (the merge-safe rate and maxParallelism move too),
    /// sharing the plan's keys.
    fn with<R>(
        &self,
        name: &str,
        value: f64,
        f: impl FnOnce(&Basis<'_>, &Inputs, &Monthly<ByScenario<MonthLoad>>) -> R,
    ) -> R {
        let mut changed = self.inputs.clone();
        set_assumption(&mut changed, name, value);
        let keyed_topic = changed.architecture.keyed_topic();
        let growth = growth::monthly_load(
            &changed.forecast,
            self.workload.topic(&keyed_topic.name).peak_to_mean,
        );
        let mut basis = Basis::sharing_keys(&changed, self.workload, &growth, self.plan_basis);
        // Most assumptions leave the keyed fit alone: the plan's settled
        // maxParallelism holds for them, and settling anew would only redo it.
        if basis.keyed_fingerprint() == self.settled.0 {
            basis.set_max_parallelism(self.strategy, self.settled.1);
        } else {
            basis.settle_max_parallelism(self.strategy, &growth);
        }
        f(&basis, &changed, &growth)
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::relabel::Walk;
    use crate::model::workload;

    /// The reruns that take the plan's sizing rest on `Basis::sizes_as`:
    /// for each of them on the committed data, sizing afresh gives the
    /// plan's sizing, so the shortcut changes no figure.
    #[test]
    fn a_rerun_that_takes_the_plans_sizing_would_have_sized_the_same() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
        let inputs = crate::inputs::load(&data).unwrap();
        let workload = workload::characterize(&inputs);
        let keyed_topic = inputs.architecture.keyed_topic();
        let growth = growth::monthly_load(
            &inputs.forecast,
            workload.topic(&keyed_topic.name).peak_to_mean,
        );
        let strategy = Strategy::SubKeys;
        let mut plan_basis = Basis::new(&inputs, &workload, &growth);
        plan_basis.settle_max_parallelism(strategy, &growth);
        let settled = (
            plan_basis.keyed_fingerprint(),
            *plan_basis.max_parallelism.get(strategy),
        );
        let month = growth.months();
        let load = &growth.get(month).base;
        let planned = plan_basis.size_strategy(load, strategy);
        // The plan sizes its last month walking every draw, for the spread:
        // what the month costs does not depend on the walk.
        let walked = plan_basis.size_strategies(load, Walk::EveryDraw);
        let partitions = planned.partitions.partitions.unwrap();
        assert_eq!(
            Nodes::of(&plan_basis.plan_month(load, walked.get(strategy), partitions)),
            Nodes::of(&plan_basis.plan_month(load, &planned, partitions)),
        );

        let rerun = Rerun {
            plan_basis: &plan_basis,
            inputs: &inputs,
            workload: &workload,
            strategy,
            settled,
        };
        let (mut reused, mut fresh) = (Vec::new(), Vec::new());
        for n in inputs.assumptions.list() {
            let (Some(low), Some(high)) = (n.assumption.low, n.assumption.high) else {
                continue;
            };
            for value in [low, high] {
                rerun.with(&n.name, value, |basis, _, growth| {
                    let load = &growth.get(month).base;
                    if basis.sizes_as(&plan_basis, load, strategy) {
                        assert_eq!(
                            basis.size_strategy(load, strategy),
                            planned,
                            "{} = {value}",
                            n.name
                        );
                        reused.push(n.name.clone());
                    } else {
                        fresh.push(n.name.clone());
                    }
                });
            }
        }
        // Prices and broker limits move no routing; the partition limit does.
        for name in [
            "cost.kafka_broker_per_month",
            "kafka.broker_storage_mb_per_s",
        ] {
            assert!(reused.iter().any(|r| r == name), "{name}: {reused:?}");
        }
        for name in [
            "kafka.partition_produce_mb_per_s",
            "flink.state_bytes_per_window_entry",
        ] {
            assert!(fresh.iter().any(|r| r == name), "{name}: {fresh:?}");
        }
    }
}
