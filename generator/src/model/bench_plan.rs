//! The month of the plan the prototype replays (`data/bench/plan.tsv`): the
//! base scenario's busiest month the plan carries, with the keyed vertex's
//! parallelism and maxParallelism that month, every customer's share of its
//! events (today's customers scaled to the month, each live onboarding a
//! customer of its own) and the sub-key count the plan gives each.
//!
//! An onboarding has no id yet; the plan checks every count in several
//! relabellings of drawn ids. The file takes the first relabelling's ids, so
//! the prototype replays one definite key set, and the prediction it is
//! compared with is computed on the same keys.

use super::MonthPlan;
use super::index::{ByScenario, Monthly};
use super::sizing::Basis;
use super::strategy::{CustomerRef, Strategy};
use crate::inputs::Scenario;
use crate::inputs::bench_plan::{BenchPlan, PlanCustomer};

/// The plan's month for the prototype, or `None` when the plan carries no
/// month of the base scenario.
pub fn of(
    basis: &Basis<'_>,
    plan: &Monthly<ByScenario<MonthPlan>>,
    chosen: Strategy,
) -> Option<BenchPlan> {
    let (month, busiest) = plan
        .iter()
        .map(|(m, p)| (m, p.get(Scenario::Base)))
        .filter(|(_, p)| p.carried)
        // The busiest keyed vertex; the earliest month among equals.
        .fold(None, |best: Option<(u32, &MonthPlan)>, (m, p)| match best {
            Some((_, b)) if keyed_load(b) >= keyed_load(p) => best,
            _ => Some((m, p)),
        })?;
    let keyed = busiest.flink.vertices.iter().find(|v| v.keyed)?;
    let parallelism = *keyed.parallelism.as_ref().ok()?;
    let load = basis.growth.get(month).get(Scenario::Base);
    let sub_keys = |who: CustomerRef| {
        busiest
            .sub_keys
            .iter()
            .find(|s| s.customer == who)
            .map_or(1, |s| s.sub_keys)
    };
    let customers = basis
        .month_customer_shares(load)
        .into_iter()
        .map(|(who, id, share)| PlanCustomer {
            customer_id: id,
            share,
            sub_keys: if chosen == Strategy::SubKeys {
                sub_keys(who)
            } else {
                1
            },
        })
        .collect();
    Some(BenchPlan {
        month,
        month_label: load.label.clone(),
        scenario: "base".into(),
        strategy: match chosen {
            Strategy::CustomerId => "customer_id",
            Strategy::Composite => "composite",
            Strategy::SubKeys => "sub_keys",
        }
        .into(),
        peak_records_per_s: keyed.records_in_per_s,
        service_time_us: 1e6 / keyed.capacity_per_s,
        keyed_parallelism: parallelism,
        max_parallelism: keyed.max_parallelism,
        event_types: basis
            .inputs
            .keys
            .event_types
            .iter()
            .map(|e| (e.event_type.clone(), e.share))
            .collect(),
        customers,
    })
}

fn keyed_load(p: &MonthPlan) -> f64 {
    p.flink
        .vertices
        .iter()
        .find(|v| v.keyed)
        .map_or(0.0, |v| v.records_in_per_s)
}
