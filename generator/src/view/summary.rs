//! The reasons for the recommendation (`_reasons.md`), which the summary
//! and the readout both give. The rest of those two pages prints headline
//! figures shared with other chapters.

use serde::Serialize;

use super::text::Code;
use super::{Source, words};
use crate::inputs::Scenario;
use crate::model::Infeasible;

#[derive(Debug, Serialize)]
pub struct Reasons {
    /// Strategies that stop fitting within the year, with the month they stop.
    pub stops_fitting: Vec<StopsFitting>,
    /// The chosen strategy in the last month of the base scenario.
    pub hottest_partition_share: f64,
    pub hottest_subtask_share: f64,
    /// Keyed subtasks in the last month the chosen strategy carries.
    pub keyed_subtasks: String,
    /// Whether the chosen strategy needs the fewest keyed subtasks of any that
    /// carries the forecast; if not, the allowance it is chosen within.
    pub fewest: bool,
    pub allowance: Option<Allowance>,
    /// Whether exactly one strategy carries every month of the base forecast.
    pub only_one_carries: bool,
    /// `fewest`, and more than one strategy carries the forecast: the
    /// chosen one is the leanest of several.
    pub fewest_of_several: bool,
    /// When none does: what stops the one that lasts longest.
    pub none_carries: Option<NoneCarries>,
}

/// No strategy carries the whole forecast: the chosen one (it lasts longest)
/// stops fitting in `month` because `what` cannot carry its load.
#[derive(Debug, Serialize)]
pub struct NoneCarries {
    pub strategy: &'static str,
    pub month: String,
    /// `partitions`, or the job vertex.
    pub what: Code,
    pub is_partitions: bool,
    /// Which reason, one flag per branch of the template; none set means
    /// the hash puts too many keys on one partition or subtask.
    pub key_too_hot: bool,
    pub partition_too_hot: bool,
    pub beyond_search: bool,
    /// Records/s of the hottest key (or partition) at that month's peak, and
    /// what one partition or subtask may take.
    pub hottest_per_s: f64,
    pub limit_per_s: f64,
    /// How many times today's partition or subtask it would take.
    pub factor: f64,
    /// For `beyond_search`: the count needed and the bound searched to.
    pub needed: u32,
    pub search_limit: u32,
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
    let carried_by = d.verdicts.iter().filter(|v| v.feasible_all_months).count();
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
        keyed_subtasks: words::count(
            src.months
                .plan(src.model.last_carried_month, Scenario::Base)
                .flink
                .vertices
                .iter()
                .find(|v| v.keyed)
                .and_then(|v| v.parallelism.as_ref().ok().copied()),
        ),
        fewest,
        only_one_carries: carried_by == 1,
        fewest_of_several: fewest && carried_by > 1,
        none_carries: (!d.any_feasible)
            .then(|| {
                let m = chosen.first_misfit.as_ref()?;
                let month = src.months.label(chosen.first_infeasible_month?).to_owned();
                let (hottest_share, needed, search_limit) = match m.why {
                    Infeasible::KeyTooHot { key_share } => (key_share, 0, 0),
                    Infeasible::HashCollisions => (0.0, 0, 0),
                    Infeasible::BeyondSearch { needed, limit } => (0.0, needed, limit),
                    Infeasible::PartitionTooHot { partition_share } => (partition_share, 0, 0),
                };
                let hottest_per_s = hottest_share * m.load_per_s;
                Some(NoneCarries {
                    strategy: words::strategy_name(chosen.strategy),
                    month,
                    what: Code::new(&m.what),
                    is_partitions: m.what == "partitions",
                    key_too_hot: matches!(m.why, Infeasible::KeyTooHot { .. }),
                    partition_too_hot: matches!(m.why, Infeasible::PartitionTooHot { .. }),
                    beyond_search: matches!(m.why, Infeasible::BeyondSearch { .. }),
                    hottest_per_s,
                    limit_per_s: m.limit_per_s,
                    factor: hottest_per_s / m.limit_per_s,
                    needed,
                    search_limit,
                })
            })
            .flatten(),
        allowance: d
            .leanest_parallelism
            .filter(|_| !fewest)
            .map(|leanest| Allowance {
                leanest,
                penalty: d.penalty,
            }),
    }
}
