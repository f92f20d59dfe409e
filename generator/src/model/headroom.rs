//! What a month's planned fleet carries: the events/s at which its busiest
//! stage would be 100% busy.
//!
//! Each stage's utilization at the month's peak is already in the plan: the
//! brokers' throughput, the source's busiest reader, the hottest keyed
//! subtask, a ClickHouse shard against its merge-safe insert rate. With the
//! month's load scaled as a whole (the same skew, the same rows per event),
//! every utilization grows in proportion, so the fleet saturates at
//! `peak ÷ ρ_max`, set by the stage with the least to spare. The same stage
//! paces every catch-up (see [`super::fault`]).

use serde::Serialize;

use super::MonthPlan;
use super::growth::MonthLoad;
use super::index::Monthly;
use crate::inputs::Scenario;
use crate::model::index::ByScenario;

/// A stage of the pipeline whose utilization bounds the rate it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Brokers,
    Source,
    KeyedSubtask,
    ClickHouseShard,
}

/// Each stage's utilization at the month's peak, in pipeline order.
pub fn stage_utilizations(plan: &MonthPlan) -> [(Stage, f64); 4] {
    let keyed = plan
        .flink
        .vertices
        .iter()
        .find(|v| v.keyed)
        .map_or(0.0, |v| v.hottest_utilization);
    let source = plan
        .flink
        .vertices
        .iter()
        .find(|v| !v.keyed)
        .map_or(0.0, |v| v.hottest_utilization);
    let ch = &plan.clickhouse;
    let shard = if ch.merge_safe_rows_per_s > 0.0 {
        ch.peak_rows_per_s_per_shard / ch.merge_safe_rows_per_s
    } else {
        0.0
    };
    [
        (Stage::Brokers, plan.brokers.throughput_utilization),
        (Stage::Source, source),
        (Stage::KeyedSubtask, keyed),
        (Stage::ClickHouseShard, shard),
    ]
}

/// The stage with the least to spare at the month's peak, and its
/// utilization; on a tie the earlier stage in the pipeline.
pub fn busiest(plan: &MonthPlan) -> (Stage, f64) {
    stage_utilizations(plan)
        .into_iter()
        .fold((Stage::Brokers, f64::MIN), |best, (s, u)| {
            if u > best.1 { (s, u) } else { best }
        })
}

/// One month of a scenario's plan: the peak it is sized for and what its
/// fleet carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthHeadroom {
    pub month: u32,
    pub label: String,
    /// The keyed topic's events/s at the month's peak.
    pub peak_events_per_s: f64,
    /// Events/s at which the busiest stage would be 100% busy.
    pub carries_events_per_s: f64,
    /// That stage and its utilization at the peak.
    pub stage: Stage,
    pub utilization: f64,
}

impl MonthHeadroom {
    /// What the fleet carries over the peak it is sized for.
    pub fn headroom(&self) -> f64 {
        self.carries_events_per_s / self.peak_events_per_s
    }
}

/// What the month's fleet carries at the month's load (the keyed topic's
/// peak); `None` when the plan does not carry the month (its fleet is the
/// last the search reached, not one to fund) or the month has no load.
pub fn of_month(plan: &MonthPlan, load: &MonthLoad) -> Option<MonthHeadroom> {
    let peak = load.peak_events_per_s;
    let (stage, utilization) = busiest(plan);
    (plan.carried && peak > 0.0 && utilization > 0.0).then(|| MonthHeadroom {
        month: plan.month,
        label: load.label.clone(),
        peak_events_per_s: peak,
        carries_events_per_s: peak / utilization,
        stage,
        utilization,
    })
}

/// Every month of `scenario` the plan carries, in order.
pub fn by_month(
    plan: &Monthly<ByScenario<MonthPlan>>,
    growth: &Monthly<ByScenario<MonthLoad>>,
    scenario: Scenario,
) -> Vec<MonthHeadroom> {
    plan.iter()
        .filter_map(|(month, by)| of_month(by.get(scenario), growth.get(month).get(scenario)))
        .collect()
}
