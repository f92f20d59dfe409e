//! The template context: the model's results reshaped into the rows and
//! headline figures the chapters print. Reshaping only: no figure is computed here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::inputs::assumptions::NamedAssumption;
use crate::inputs::keys::KeyDistribution;
use crate::inputs::{Architecture, Inputs, Scenario};
use crate::model::Model;
use crate::model::growth::MonthLoad;
use crate::model::kafka::PartitionSizing;
use crate::model::workload::{TopicProfile, Workload};
use crate::render::figures::utc_date;

#[derive(Debug, Serialize)]
pub struct SpecContext<'a> {
    pub document_date: &'a str,
    pub generator: String,
    pub architecture: &'a Architecture,
    pub assumptions: Vec<NamedAssumption>,
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
    pub kafka: Vec<KafkaRow<'a>>,
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
pub struct KafkaRow<'a> {
    pub month: u32,
    pub label: &'a str,
    pub low: &'a PartitionSizing,
    pub base: &'a PartitionSizing,
    pub high: &'a PartitionSizing,
}

/// The base scenario in one month, for prose.
#[derive(Debug, Serialize)]
pub struct Headline<'a> {
    pub label: &'a str,
    pub load: &'a MonthLoad,
    pub kafka: &'a PartitionSizing,
}

fn pick<T>(rows: &[T], month: u32, scenario: Scenario, key: impl Fn(&T) -> (u32, Scenario)) -> &T {
    rows.iter()
        .find(|r| key(r) == (month, scenario))
        .expect("the model covers every month and scenario")
}

pub fn build<'a>(
    inputs: &'a Inputs,
    model: &'a Model,
    figures: BTreeMap<String, String>,
) -> SpecContext<'a> {
    let load = |m, s| pick(&model.growth, m, s, |r: &MonthLoad| (r.month, r.scenario));
    let kafka = |m, s| {
        pick(&model.kafka_partitions, m, s, |r: &PartitionSizing| {
            (r.month, r.scenario)
        })
    };
    let months: Vec<u32> = {
        let mut m: Vec<u32> = model.growth.iter().map(|g| g.month).collect();
        m.dedup();
        m
    };
    let headline = |m: u32| Headline {
        label: &load(m, Scenario::Base).label,
        load: load(m, Scenario::Base),
        kafka: kafka(m, Scenario::Base),
    };
    let topic = inputs.architecture.keyed_topic();
    SpecContext {
        document_date: &inputs.assumptions.plan.document_date,
        generator: format!("specgen {}", env!("CARGO_PKG_VERSION")),
        architecture: &inputs.architecture,
        assumptions: inputs.assumptions.list(),
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
        kafka: months
            .iter()
            .map(|&m| KafkaRow {
                month: m,
                label: &load(m, Scenario::Base).label,
                low: kafka(m, Scenario::Low),
                base: kafka(m, Scenario::Base),
                high: kafka(m, Scenario::High),
            })
            .collect(),
        first: headline(*months.first().expect("12 months")),
        last: headline(*months.last().expect("12 months")),
        kafka_partitions_exhausted_month: model
            .kafka_partitions_exhausted_month
            .map(|m| load(m, Scenario::Base).label.as_str()),
        figures,
    }
}
