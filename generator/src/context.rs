//! The template context: the model's results reshaped into the rows and
//! headline figures the chapters print. Reshaping only: no figure is computed here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inputs::assumptions::NamedAssumption;
use crate::inputs::keys::KeyDistribution;
use crate::inputs::{Architecture, Inputs, Scenario};
use crate::model::Model;
use crate::model::decision::Decision;
use crate::model::growth::MonthLoad;
use crate::model::strategy::Strategy;
use crate::model::workload::{TopicProfile, Workload};
use crate::model::{MonthPlan, StrategyMonth};
use crate::render::figures::utc_date;

#[derive(Debug, Serialize)]
pub struct SpecContext<'a> {
    pub document_date: &'a str,
    pub generator: String,
    pub architecture: &'a Architecture,
    pub assumptions: Vec<NamedAssumption>,
    /// The same assumptions by dotted name, for prose that quotes one.
    pub assumption: BTreeMap<String, NamedAssumption>,
    pub keyed_topic: &'a str,
    pub keyed_topic_partitions_today: u32,
    pub workload: &'a Workload,
    pub workload_keyed_topic: &'a TopicProfile,
    /// First and last day of the metrics, `YYYY-MM-DD`.
    pub metrics_from: String,
    pub metrics_to: String,
    /// Day names with the keyed topic's relative level, Monday first.
    pub weekly_profile: Vec<(&'static str, f64)>,
    pub keys: &'a KeyDistribution,
    pub hot_share_total: f64,
    pub growth: Vec<GrowthRow<'a>>,
    /// The plan under the chosen strategy, by month, three scenarios side by side.
    pub plan: Vec<PlanRow<'a>>,
    /// Every strategy in the base scenario, by month.
    pub strategies: Vec<StrategyRow<'a>>,
    pub decision: &'a Decision,
    /// The committed benchmark report as `just bench` wrote it, if any.
    pub bench: Option<&'a crate::inputs::BenchReport>,
    /// Base scenario, by month: each hot customer's sub-key count, in `keys.hot` order.
    pub sub_key_table: Vec<(&'a str, Vec<u32>)>,
    pub model: &'a Model,
    pub first: Headline<'a>,
    pub last: Headline<'a>,
    pub kafka_partitions_exhausted_month: Option<&'a str>,
    /// Chart name → path of its SVG relative to the chapter.
    pub figures: BTreeMap<String, String>,
}

/// One month, the three scenarios side by side.
#[derive(Debug, Serialize)]
pub struct GrowthRow<'a> {
    pub month: u32,
    pub label: &'a str,
    pub low: &'a MonthLoad,
    pub base: &'a MonthLoad,
    pub high: &'a MonthLoad,
}

#[derive(Debug, Serialize)]
pub struct PlanRow<'a> {
    pub month: u32,
    pub label: &'a str,
    pub low: &'a MonthPlan,
    pub base: &'a MonthPlan,
    pub high: &'a MonthPlan,
}

/// One month of the base scenario, the strategies side by side.
#[derive(Debug, Serialize)]
pub struct StrategyRow<'a> {
    pub month: u32,
    pub label: &'a str,
    pub customer_id: &'a StrategyMonth,
    pub composite: &'a StrategyMonth,
    pub sub_keys: &'a StrategyMonth,
}

/// The base scenario in one month, for prose.
#[derive(Debug, Serialize)]
pub struct Headline<'a> {
    pub label: &'a str,
    pub load: &'a MonthLoad,
    pub plan: &'a MonthPlan,
}

pub fn build<'a>(
    inputs: &'a Inputs,
    model: &'a Model,
    figures: BTreeMap<String, String>,
) -> SpecContext<'a> {
    let load = |m: u32, s: Scenario| model.growth.get(m).get(s);
    let plan = |m: u32, s: Scenario| model.plan.get(m).get(s);
    let strategy = |m: u32, st: Strategy| model.strategies.get(m).base.get(st);
    let months: Vec<u32> = model.growth.iter().map(|(m, _)| m).collect();
    let headline = |m: u32| Headline {
        label: &load(m, Scenario::Base).label,
        load: load(m, Scenario::Base),
        plan: plan(m, Scenario::Base),
    };
    let topic = inputs.architecture.keyed_topic();
    SpecContext {
        document_date: &inputs.assumptions.plan.document_date,
        generator: format!("specgen {}", env!("CARGO_PKG_VERSION")),
        architecture: &inputs.architecture,
        assumptions: inputs.assumptions.list(),
        assumption: inputs
            .assumptions
            .list()
            .into_iter()
            .map(|a| (a.name.clone(), a))
            .collect(),
        keyed_topic: &topic.name,
        keyed_topic_partitions_today: topic.partitions,
        workload: &model.workload,
        workload_keyed_topic: model.workload.topic(&topic.name),
        metrics_from: utc_date(model.workload.first_ts),
        metrics_to: utc_date(model.workload.last_ts),
        weekly_profile: [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ]
        .into_iter()
        .zip(model.workload.topic(&topic.name).weekly.iter().copied())
        .collect(),
        keys: &inputs.keys,
        hot_share_total: inputs.keys.hot.iter().map(|h| h.share).sum(),
        growth: months
            .iter()
            .map(|&m| GrowthRow {
                month: m,
                label: &load(m, Scenario::Base).label,
                low: load(m, Scenario::Low),
                base: load(m, Scenario::Base),
                high: load(m, Scenario::High),
            })
            .collect(),
        plan: months
            .iter()
            .map(|&m| PlanRow {
                month: m,
                label: &load(m, Scenario::Base).label,
                low: plan(m, Scenario::Low),
                base: plan(m, Scenario::Base),
                high: plan(m, Scenario::High),
            })
            .collect(),
        strategies: months
            .iter()
            .map(|&m| StrategyRow {
                month: m,
                label: &load(m, Scenario::Base).label,
                customer_id: strategy(m, Strategy::CustomerId),
                composite: strategy(m, Strategy::Composite),
                sub_keys: strategy(m, Strategy::SubKeys),
            })
            .collect(),
        decision: &model.decision,
        bench: inputs.bench.as_ref(),
        sub_key_table: months
            .iter()
            .map(|&m| {
                let s = strategy(m, Strategy::SubKeys);
                let counts = inputs
                    .keys
                    .hot
                    .iter()
                    .map(|h| {
                        s.sub_keys
                            .iter()
                            .find(|c| c.customer_id == h.customer_id)
                            .map_or(1, |c| c.sub_keys)
                    })
                    .collect();
                (load(m, Scenario::Base).label.as_str(), counts)
            })
            .collect(),
        model,
        first: headline(*months.first().expect("12 months")),
        last: headline(*months.last().expect("12 months")),
        kafka_partitions_exhausted_month: model
            .kafka_partitions_exhausted_month
            .map(|m| load(m, Scenario::Base).label.as_str()),
        figures,
    }
}
