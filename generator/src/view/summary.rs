//! The reasons for the recommendation (`_reasons.md`), which the summary
//! and the readout both give. The rest of those two pages prints headline
//! figures shared with other chapters.

use serde::Serialize;

use super::{Source, words};

#[derive(Debug, Serialize)]
pub struct Reasons {
    /// Strategies that stop fitting within the year, with the month they stop.
    pub stops_fitting: Vec<StopsFitting>,
    /// The chosen strategy in the last month of the base scenario.
    pub hottest_partition_share: f64,
    pub hottest_subtask_share: f64,
    pub keyed_subtasks: String,
    /// Whether the chosen strategy needs the fewest keyed subtasks of any that
    /// carries the forecast; if not, the allowance it is chosen within.
    pub fewest: bool,
    pub allowance: Option<Allowance>,
}

#[derive(Debug, Serialize)]
pub struct StopsFitting {
    pub strategy: &'static str,
    pub month: String,
}

#[derive(Debug, Serialize)]
pub struct Allowance {
    /// Keyed subtasks of the leanest strategy feasible all year.
    pub leanest: u32,
    /// How many times that the rule allows a strategy that gives up less.
    pub penalty: f64,
}

pub fn reasons(src: &Source<'_>) -> Reasons {
    let d = &src.model.decision;
    let chosen = d
        .verdicts
        .iter()
        .find(|v| v.strategy == d.chosen)
        .expect("the chosen strategy has a verdict");
    let fewest =
        d.leanest_parallelism.is_some() && chosen.last_parallelism == d.leanest_parallelism;
    Reasons {
        stops_fitting: d
            .verdicts
            .iter()
            .filter(|v| !v.feasible_all_months)
            .filter_map(|v| {
                let month = v.first_infeasible_month?;
                Some(StopsFitting {
                    strategy: words::strategy_name(v.strategy),
                    month: src.months.label(month).to_owned(),
                })
            })
            .collect(),
        hottest_partition_share: chosen.last_hottest_partition_share,
        hottest_subtask_share: chosen.last_hottest_subtask_share,
        keyed_subtasks: words::count(chosen.last_parallelism),
        fewest,
        allowance: d
            .leanest_parallelism
            .filter(|_| !fewest)
            .map(|leanest| Allowance {
                leanest,
                penalty: d.penalty,
            }),
    }
}
