//! The partitioning decision: a stated rule evaluated on the sized strategies.
//!
//! Rule: among the strategies feasible in every month of the base scenario,
//! take the one that gives up the least (in [`Strategy::ALL`] order:
//! per-customer order first, then a single keyed stage) unless it needs more
//! than `penalty` times the keyed subtasks of the leanest feasible strategy
//! in the last month.

use serde::Serialize;

use super::index::{ByScenario, ByStrategy, Monthly};
use super::strategy::Strategy;
use super::{Misfit, StrategyMonth};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub strategy: Strategy,
    pub keeps_customer_order: bool,
    pub needs_merge_stage: bool,
    /// Feasible (Kafka and Flink) in every month of the base scenario.
    pub feasible_all_months: bool,
    pub first_infeasible_month: Option<u32>,
    /// What does not fit in that month, and why.
    pub first_misfit: Option<Misfit>,
    /// Last month of the base scenario: keyed subtasks, hottest shares, partitions, state.
    pub last_parallelism: Option<u32>,
    pub last_max_parallelism: u32,
    pub last_hottest_subtask_share: f64,
    pub last_hottest_utilization: f64,
    pub last_partitions: Option<u32>,
    pub last_hottest_partition_share: f64,
    pub last_state_bytes: f64,
    /// p99 the strategy adds to the critical path: the merge stage's shuffle.
    pub latency_added_ms: f64,
    /// Within the penalty of the leanest feasible strategy.
    pub within_penalty: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub chosen: Strategy,
    /// Whether any strategy is feasible all year: if not, the least bad is chosen.
    pub any_feasible: bool,
    pub leanest_parallelism: Option<u32>,
    pub penalty: f64,
    pub verdicts: Vec<Verdict>,
}

pub fn decide(
    strategies: &Monthly<ByScenario<ByStrategy<StrategyMonth>>>,
    penalty: f64,
    buffer_timeout_ms: f64,
) -> Decision {
    let base = |s: Strategy| strategies.iter().map(move |(_, by)| by.base.get(s));
    let mut verdicts: Vec<Verdict> = Strategy::ALL
        .iter()
        .map(|&s| {
            let last = strategies.last().base.get(s);
            let keyed = last.keyed();
            Verdict {
                strategy: s,
                keeps_customer_order: s.keeps_customer_order(),
                needs_merge_stage: s.needs_merge_stage(),
                feasible_all_months: base(s).all(|m| m.feasible),
                first_infeasible_month: base(s).filter(|m| !m.feasible).map(|m| m.month).min(),
                first_misfit: base(s).find(|m| !m.feasible).and_then(|m| m.misfit()),
                last_parallelism: keyed.parallelism.ok(),
                last_max_parallelism: keyed.max_parallelism,
                last_hottest_subtask_share: keyed.hottest_share,
                last_hottest_utilization: keyed.hottest_utilization,
                last_partitions: last.partitions.partitions.ok(),
                last_hottest_partition_share: last.partitions.hottest_share,
                last_state_bytes: last.flink.state_bytes,
                latency_added_ms: if s.needs_merge_stage() {
                    buffer_timeout_ms
                } else {
                    0.0
                },
                within_penalty: false,
            }
        })
        .collect();
    let leanest = verdicts
        .iter()
        .filter(|v| v.feasible_all_months)
        .filter_map(|v| v.last_parallelism)
        .min();
    for v in &mut verdicts {
        v.within_penalty = match (leanest, v.last_parallelism) {
            (Some(l), Some(p)) => v.feasible_all_months && f64::from(p) <= penalty * f64::from(l),
            _ => false,
        };
    }
    let chosen = verdicts
        .iter()
        .find(|v| v.within_penalty)
        .map(|v| v.strategy)
        .unwrap_or_else(|| {
            // Nothing carries the whole year: the strategy that lasts longest.
            verdicts
                .iter()
                .max_by_key(|v| {
                    (
                        v.first_infeasible_month.unwrap_or(u32::MAX),
                        std::cmp::Reverse(v.strategy),
                    )
                })
                .map(|v| v.strategy)
                .expect("three strategies")
        });
    Decision {
        chosen,
        any_feasible: leanest.is_some(),
        leanest_parallelism: leanest,
        penalty,
        verdicts,
    }
}
