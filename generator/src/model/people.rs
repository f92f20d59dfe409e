//! The plan in people: which of the changes in `data/effort.toml` each
//! quarter makes, at the engineer-weeks its estimate gives, and the gate
//! that releases each quarter after the first: the onboardings that go live
//! in it and the peak the forecast expects by its start.

use serde::Serialize;

use super::growth::MonthLoad;
use super::index::{ByScenario, Monthly};
use super::kafka::PartitionIncrease;
use super::rollout::Rollout;
use super::strategy::Strategy;
use crate::inputs::Effort;
use crate::inputs::Scenario;
use crate::inputs::forecast::Onboarding;

/// One change the plan makes in a quarter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedChange {
    pub id: String,
    pub weeks: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarterPeople {
    pub changes: Vec<PlannedChange>,
    pub weeks: f64,
    /// What releases the quarter's funds (none for the first: it is the ask).
    pub gate: Option<Gate>,
}

/// A quarter is released when the growth it is bought for shows: the base
/// forecast's peak for the month before it is measured, or an onboarding
/// it carries signs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gate {
    /// The month (plan number) whose forecast peak the measurement must reach.
    pub month: u32,
    pub peak_events_per_s: f64,
    /// Onboardings (indices into the forecast's) going live in the quarter, base scenario.
    pub onboardings: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct People {
    pub quarters: Vec<QuarterPeople>,
    pub year_weeks: f64,
}

/// What the plan changes, as the model decided it.
pub struct Changes<'a> {
    pub chosen: Strategy,
    pub max_parallelism_changes: bool,
    pub increases: &'a [PartitionIncrease],
    /// Whether the insert batch differs from today's flush.
    pub batch_changes: bool,
}

pub fn plan(
    rollout: &Rollout,
    changes: &Changes<'_>,
    growth: &Monthly<ByScenario<MonthLoad>>,
    onboardings: &[Onboarding],
    effort: &Effort,
) -> People {
    let quarter_of = |month: u32| {
        rollout
            .quarters
            .iter()
            .position(|q| (q.from_month..=q.to_month).contains(&month))
    };
    let mut planned: Vec<Vec<&str>> = vec![Vec::new(); rollout.quarters.len()];
    if !planned.is_empty() {
        // The first quarter makes the changes the plan opens with.
        let first = &mut planned[0];
        if changes.chosen != Strategy::CustomerId {
            first.push("key_switch");
        }
        first.push("idempotent_sink");
        if changes.max_parallelism_changes {
            first.push("max_parallelism");
        }
        if changes.batch_changes {
            first.push("insert_batching");
        }
        first.push("game_day");
    }
    for inc in changes.increases {
        if let Some(q) = quarter_of(inc.month) {
            planned[q].push("partition_increase");
        }
    }
    // Capacity is added in every quarter whose fleet grows over the one before.
    let mut before: Option<(u32, Option<u32>, u32)> = None;
    for (q, quarter) in rollout.quarters.iter().enumerate() {
        let fleet = (quarter.brokers, quarter.task_managers, quarter.shards);
        let grows = before.is_none_or(|b| {
            fleet.0 > b.0 || fleet.1.zip(b.1).is_some_and(|(n, o)| n > o) || fleet.2 > b.2
        });
        if grows {
            planned[q].push("capacity_add");
        }
        before = Some(fleet);
    }
    let quarters: Vec<QuarterPeople> = planned
        .into_iter()
        .enumerate()
        .map(|(q, ids)| {
            let changes: Vec<PlannedChange> = ids
                .into_iter()
                .map(|id| PlannedChange {
                    id: id.to_owned(),
                    weeks: effort.of(id).engineer_weeks,
                })
                .collect();
            let quarter = &rollout.quarters[q];
            let gate = (q > 0).then(|| {
                let month = quarter.from_month.saturating_sub(1).max(1);
                Gate {
                    month,
                    peak_events_per_s: growth.get(month).get(Scenario::Base).peak_events_per_s,
                    onboardings: onboardings
                        .iter()
                        .enumerate()
                        .filter(|(_, o)| {
                            o.in_scenario(Scenario::Base)
                                && (quarter.from_month..=quarter.to_month).contains(&o.first_month)
                        })
                        .map(|(i, _)| i)
                        .collect(),
                }
            });
            QuarterPeople {
                weeks: changes.iter().map(|c| c.weeks).sum(),
                changes,
                gate,
            }
        })
        .collect();
    People {
        year_weeks: quarters.iter().map(|q| q.weeks).sum(),
        quarters,
    }
}
