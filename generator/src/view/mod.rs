//! The view: what the templates print, as named fields.
//!
//! The model's results reshaped into rows, headline figures, flags and words,
//! one struct per chapter or group of chapters. Every choice a chapter makes
//! is taken here (a flag, an already-worded verdict, a list already cut) and
//! every pick of a month, a scenario, a strategy or a stage is made here, so
//! templates only print and branch on booleans. Unit conversions for printing
//! (ms to s, bytes to MB) are done here too.
//!
//! Only this module reads the model and the inputs on the templates' behalf;
//! the benchmark report is read in [`bench`] alone.

pub mod bench;
pub mod capacity;
pub mod clickhouse;
pub mod cross_zone;
pub mod engines;
pub mod fault;
pub mod latency;
pub mod operations;
pub mod partitioning;
pub mod rollout;
pub mod sizing;
pub mod summary;
pub mod text;
pub mod today;
pub mod words;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::inputs::{Inputs, Scenario};
use crate::model::growth::MonthLoad;
use crate::model::kafka::BrokerBound;
use crate::model::strategy::Strategy;
use crate::model::task_managers::Bound as TaskManagerBound;
use crate::model::{Model, MonthPlan, StrategyMonth};
use text::Code;

/// Everything the templates print.
#[derive(Debug, Serialize)]
pub struct View {
    pub document: Document,
    pub figures: Figures,
    /// The chosen strategy, named, with one flag per strategy for prose that differs.
    pub chosen: Chosen,
    /// The base scenario in the plan's first and last month.
    pub first: Headline,
    pub last: Headline,
    /// The base scenario in the last month the chosen strategy carries:
    /// `last` when it carries the whole year.
    pub carried: Headline,
    /// How the metrics were sampled and what a peak is.
    pub metrics: today::Metrics,
    pub today: today::Today,
    pub workload: today::Workload,
    pub growth: sizing::Growth,
    pub capacity: capacity::Capacity,
    pub sizing: sizing::Sizing,
    pub partitioning: partitioning::Partitioning,
    pub reasons: summary::Reasons,
    pub latency: latency::Latency,
    pub slo: latency::Slos,
    pub fault: fault::Fault,
    pub operations: operations::Operations,
    /// The committed benchmark beside the model's predictions, when there is one.
    pub bench: Option<bench::Bench>,
    pub rollout: rollout::Rollout,
    /// The files the site offers for download.
    pub downloads: Downloads,
}

/// The PDFs, the workbook and the CSVs, as the Downloads page links them
/// (paths relative to the page).
#[derive(Debug, Clone, Serialize)]
pub struct Downloads {
    pub documents: Vec<Download>,
    pub workbook: Download,
    pub csvs: Vec<Download>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Download {
    pub title: String,
    pub path: String,
}

#[derive(Debug, Serialize)]
pub struct Document {
    /// `YYYY-MM-DD`, from the assumptions.
    pub date: String,
    pub generator: String,
    /// The command that wrote `data/` when it is the synthetic sample: every
    /// document built from it says so.
    pub sample: Option<Code>,
}

/// Where each chapter finds its charts, relative to the chapter.
#[derive(Debug, Serialize)]
pub struct Figures {
    pub architecture: String,
    pub events_by_month: String,
    pub demand_capacity_cost: String,
    pub throughput: String,
    pub diurnal_profile: String,
    pub partition_skew: String,
    pub subtask_heat_map: String,
    pub clickhouse_parts: String,
    pub cost_tornado: String,
}

#[derive(Debug, Serialize)]
pub struct Chosen {
    pub name: &'static str,
    pub customer_id: bool,
    pub composite: bool,
    pub sub_keys: bool,
}

impl Chosen {
    fn of(s: Strategy) -> Chosen {
        Chosen {
            name: words::strategy_name(s),
            customer_id: s == Strategy::CustomerId,
            composite: s == Strategy::Composite,
            sub_keys: s == Strategy::SubKeys,
        }
    }
}

/// One month of the base plan, for prose and the summary's table.
#[derive(Debug, Serialize)]
pub struct Headline {
    pub label: String,
    pub avg_events_per_s: f64,
    pub peak_events_per_s: f64,
    pub customers: f64,
    pub partitions: String,
    pub brokers: u32,
    pub task_managers: String,
    pub shards: u32,
    pub clickhouse_nodes: u32,
    pub cost: f64,
    pub total_p99_s: f64,
    /// Whether that p99 is finite: none is when a queue runs over capacity.
    pub total_p99_finite: bool,
    pub target_s: f64,
    /// Events/s one key or sub-key may carry before it is split.
    pub sub_key_limit_per_s: f64,
    /// Customers split into sub-keys.
    pub split_count: usize,
    /// The same in words: "no customer", "one customer", "22 customers".
    pub split_customers: String,
    /// What drives the money: each line of the month's cost, the bound that
    /// sets its count, and whether the key decision can move it.
    pub kafka_usd: f64,
    pub flink_usd: f64,
    pub clickhouse_usd: f64,
    pub cross_zone_usd: f64,
    pub brokers_set_by: &'static str,
    pub task_managers_set_by: &'static str,
    pub shards_set_by: &'static str,
    /// Brokers set by partition replicas: the key's partition count moves them.
    pub key_moves_kafka: bool,
    /// TaskManagers set by slots: the keyed subtasks the key needs move them.
    pub key_moves_flink: bool,
}

impl Headline {
    fn of(load: &MonthLoad, plan: &MonthPlan) -> Headline {
        Headline {
            label: load.label.clone(),
            avg_events_per_s: load.avg_events_per_s,
            peak_events_per_s: load.peak_events_per_s,
            customers: load.customers,
            partitions: words::count(Some(plan.partitions_planned)),
            brokers: plan.brokers.brokers,
            task_managers: words::count(plan.flink.task_managers),
            shards: plan.clickhouse.shards,
            clickhouse_nodes: plan.clickhouse.nodes,
            cost: plan.cost.total,
            total_p99_s: plan.latency.total_p99_ms / 1000.0,
            total_p99_finite: plan.latency.total_p99_ms.is_finite(),
            target_s: plan.latency.target_ms / 1000.0,
            sub_key_limit_per_s: plan.sub_key_limit_per_s,
            split_count: plan.sub_keys.len(),
            split_customers: match plan.sub_keys.len() {
                0 => "no customer".to_owned(),
                n => words::counted(n as u64, "customer", "customers"),
            },
            kafka_usd: plan.cost.kafka,
            flink_usd: plan.cost.flink,
            clickhouse_usd: plan.cost.clickhouse,
            cross_zone_usd: plan.cost.cross_zone,
            brokers_set_by: plan.brokers.binding.bound.name(),
            task_managers_set_by: plan.flink.fleet.as_ref().map_or("—", |f| f.binding.name()),
            shards_set_by: plan.clickhouse.binding.bound.name(),
            key_moves_kafka: plan.brokers.binding.bound == BrokerBound::Partitions,
            key_moves_flink: plan
                .flink
                .fleet
                .as_ref()
                .is_some_and(|f| f.binding == TaskManagerBound::Slots),
        }
    }
}

/// The model's results by month, scenario and strategy, as the view reads them.
pub struct Months<'a> {
    model: &'a Model,
    /// Plan months, in order.
    pub months: Vec<u32>,
}

impl<'a> Months<'a> {
    fn new(model: &'a Model) -> Months<'a> {
        let months: Vec<u32> = model.growth.iter().map(|(m, _)| m).collect();
        Months { model, months }
    }

    pub fn load(&self, month: u32, scenario: Scenario) -> &'a MonthLoad {
        self.model.growth.get(month).get(scenario)
    }

    pub fn plan(&self, month: u32, scenario: Scenario) -> &'a MonthPlan {
        self.model.plan.get(month).get(scenario)
    }

    /// A strategy in the base scenario.
    pub fn strategy(&self, month: u32, strategy: Strategy) -> &'a StrategyMonth {
        self.model.strategies.get(month).base.get(strategy)
    }

    /// A month's label (`YYYY-MM`).
    pub fn label(&self, month: u32) -> &'a str {
        &self.load(month, Scenario::Base).label
    }

    pub fn first(&self) -> u32 {
        1
    }

    pub fn last(&self) -> u32 {
        self.model.growth.months()
    }

    /// The base plan's last month.
    pub fn last_plan(&self) -> &'a MonthPlan {
        self.plan(self.last(), Scenario::Base)
    }
}

/// What every chapter's builder reads.
pub struct Source<'a> {
    pub inputs: &'a Inputs,
    pub model: &'a Model,
    pub months: Months<'a>,
}

/// Builds the view from the inputs, the model, the charts drawn (chart name →
/// path of its SVG relative to the chapter) and the files the site offers.
pub fn build(
    inputs: &Inputs,
    model: &Model,
    figures: &BTreeMap<String, String>,
    downloads: Downloads,
) -> Result<View> {
    let src = Source {
        inputs,
        model,
        months: Months::new(model),
    };
    let figure = |name: &str| {
        figures.get(name).cloned().ok_or_else(|| Error::Template {
            template: "figures".into(),
            message: format!("no chart named `{name}` was drawn"),
        })
    };
    let (first, last) = (src.months.first(), src.months.last());
    let headline = |m| {
        Headline::of(
            src.months.load(m, Scenario::Base),
            src.months.plan(m, Scenario::Base),
        )
    };
    let bench = match (&inputs.bench, &model.validation) {
        (Some(b), Some(validation)) => Some(bench::build(
            b,
            validation,
            engines::build(
                inputs.flink.as_ref().zip(model.flink_validation.as_ref()),
                inputs
                    .clickhouse
                    .as_ref()
                    .zip(model.clickhouse_validation.as_ref()),
                validation,
            ),
            &inputs.architecture,
            bench::Figures {
                latency: figure("bench-latency")?,
                heat_map: figure("bench-heat-map")?,
            },
        )?),
        _ => None,
    };
    Ok(View {
        document: Document {
            date: inputs.assumptions.plan.document_date.clone(),
            generator: format!("specgen {}", env!("CARGO_PKG_VERSION")),
            sample: inputs.sample_written_by().map(Code::new),
        },
        figures: Figures {
            architecture: figure("architecture")?,
            events_by_month: figure("events-by-month")?,
            demand_capacity_cost: figure("demand-capacity-cost")?,
            throughput: figure("throughput-four-weeks")?,
            diurnal_profile: figure("diurnal-profile")?,
            partition_skew: figure("partition-skew")?,
            subtask_heat_map: figure("subtask-heat-map")?,
            clickhouse_parts: figure("clickhouse-parts")?,
            cost_tornado: figure("cost-tornado")?,
        },
        chosen: Chosen::of(model.decision.chosen),
        first: headline(first),
        last: headline(last),
        carried: headline(model.last_carried_month),
        metrics: today::metrics(&src),
        today: today::today(&src),
        workload: today::workload(&src),
        growth: sizing::growth(&src),
        capacity: capacity::build(&src),
        sizing: sizing::build(&src),
        partitioning: partitioning::build(&src),
        reasons: summary::reasons(&src),
        latency: latency::latency(&src),
        slo: latency::slos(&src),
        fault: fault::build(&src),
        operations: operations::build(&src),
        bench,
        rollout: rollout::build(&src),
        downloads,
    })
}
