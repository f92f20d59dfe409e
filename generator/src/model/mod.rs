//! The capacity model: plain functions over the typed inputs.
//!
//! Nothing here reads files or formats text. Every figure a document prints is
//! computed once here and carried to the renderers in [`Model`].
//!
//! The order ([`run`]): characterize today's workload → grow it by month →
//! size every stage under each partitioning strategy ([`sizing`]) → pick a
//! strategy by the stated rule ([`decision`]) → the plan is the sizing under
//! that strategy → what the plan means: SLOs, failures, the rollout by
//! quarter, sensitivity, and the check against the benchmark. Results are
//! indexed by month, scenario and strategy ([`index`]), never searched.

pub mod clickhouse;
pub mod cost;
pub mod decision;
pub mod engine_validation;
pub mod fault;
pub mod flink;
pub mod growth;
pub mod index;
pub mod kafka;
pub mod latency;
pub mod rollout;
pub mod routing;
pub mod sensitivity;
pub mod sizing;
pub mod slo;
pub mod strategy;
pub mod validation;
pub mod workload;

#[cfg(test)]
mod properties;

use serde::Serialize;

use crate::inputs::{Inputs, Scenario};
use clickhouse::{ClickHouseSizing, MergeSafeRate};
use flink::{FlinkSizing, VertexCalibration};
pub use index::{ByScenario, ByStrategy, Monthly};
use kafka::{BrokerSizing, PartitionFit, TopicLoad};
use strategy::Strategy;

/// Why no count of partitions or subtasks can carry a month's load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Infeasible {
    /// One key alone is over the limit: it lands on one partition or subtask
    /// whatever the count, and only splitting the key helps.
    KeyTooHot { key_share: f64 },
    /// Every key fits, but the hash piles too many onto one partition or key
    /// group at every count searched.
    HashCollisions,
}

/// Ceiling to a whole count (saturating: an unbounded need reads as `u32::MAX`).
pub fn ceil_u32(x: f64) -> u32 {
    x.ceil() as u32
}

/// A hot customer's sub-key count in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubKeyCount {
    pub customer_id: i64,
    pub sub_keys: u32,
}

/// One strategy in one month and scenario: what it takes of Kafka and of the keyed vertex.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyMonth {
    pub month: u32,
    pub scenario: Scenario,
    pub strategy: Strategy,
    pub sub_keys: Vec<SubKeyCount>,
    /// Events/s one key (or sub-key) may carry before it is split.
    pub sub_key_limit_per_s: f64,
    pub partitions: PartitionFit,
    pub flink: FlinkSizing,
    pub feasible: bool,
}

impl StrategyMonth {
    pub fn keyed(&self) -> &flink::VertexSizing {
        self.flink
            .vertices
            .iter()
            .find(|v| v.keyed)
            .expect("one keyed vertex")
    }
}

/// Today's skew as the real partitioners predict it from the key distribution
/// (keys by `customer_id`, today's partition count and parallelism).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TodayCheck {
    pub predicted_hottest_partition_share: f64,
    pub predicted_hottest_subtask: u32,
    pub predicted_hottest_subtask_share: f64,
}

/// The plan for one month and scenario, under the chosen strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPlan {
    pub month: u32,
    pub scenario: Scenario,
    pub topics: Vec<TopicLoad>,
    pub partitions: PartitionFit,
    pub brokers: BrokerSizing,
    pub flink: FlinkSizing,
    pub clickhouse: ClickHouseSizing,
    pub sub_keys: Vec<SubKeyCount>,
    /// Events/s one key (or sub-key) may carry before it is split.
    pub sub_key_limit_per_s: f64,
    pub latency: latency::LatencyBudget,
    pub cost: cost::Cost,
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// Today's workload, from the production metrics.
    pub workload: workload::Workload,
    /// Events/s by month and scenario.
    pub growth: Monthly<ByScenario<growth::MonthLoad>>,
    /// The vertices as calibrated on production.
    pub vertices: Vec<VertexCalibration>,
    /// ClickHouse rows per event of the keyed topic, measured.
    pub clickhouse_rows_per_event: f64,
    pub merge_safe: MergeSafeRate,
    /// Every strategy, month and scenario.
    pub strategies: Monthly<ByScenario<ByStrategy<StrategyMonth>>>,
    pub decision: decision::Decision,
    /// The sizing under the chosen strategy.
    pub plan: Monthly<ByScenario<MonthPlan>>,
    /// The partitioners' prediction for today's topology, beside what production measured.
    pub today: TodayCheck,
    /// First month of the base plan that needs more partitions than the keyed topic has today.
    pub kafka_partitions_exhausted_month: Option<u32>,
    /// The four SLOs, against the base plan's last month.
    pub slos: Vec<slo::Slo>,
    /// Today's footprint per month: the cost of doing nothing.
    pub cost_today: cost::Cost,
    /// Predicted vs measured on the prototype, when benchmark results are committed.
    pub validation: Option<validation::Validation>,
    /// The last month of the base plan under each uncertain assumption's range.
    pub sensitivity: sensitivity::Sensitivity,
    /// Failure modes of the base plan's last month.
    pub fault: fault::FaultTolerance,
    /// The base plan by quarter, against doing nothing.
    pub rollout: rollout::Rollout,
}

pub fn run(inputs: &Inputs) -> Model {
    let workload = workload::characterize(inputs);
    let arch = &inputs.architecture;
    let a = &inputs.assumptions;
    let keyed_topic = arch.keyed_topic();
    // Peaks grow with the mean: the forecast keeps today's measured peak-to-mean ratio.
    let growth = growth::monthly_load(
        &inputs.forecast,
        workload.topic(&keyed_topic.name).peak_to_mean,
    );
    let basis = sizing::Basis::new(inputs, &workload, &growth);
    let strategies = growth.map(|_, by| by.map(|_, load| basis.size_strategies(load)));
    let decision = decision::decide(
        &strategies,
        a.decision.max_parallelism_penalty.value,
        a.latency.buffer_timeout_ms.value,
    );
    let plan = growth.map(|m, by| {
        by.map(|s, load| basis.plan_month(load, strategies.get(m).get(s).get(decision.chosen)))
    });
    let kafka_partitions_exhausted_month = plan
        .iter()
        .find(|(_, p)| {
            p.base
                .partitions
                .partitions
                .map_or(true, |n| n > keyed_topic.partitions)
        })
        .map(|(m, _)| m);
    let last = &plan.last().base;
    let slos = slo::slos(
        &a.slo,
        last.latency.ingest_p99_ms,
        last.latency.processing_p99_ms,
        a.latency.query_p99_ms.value,
    );
    let fault = fault::analyse(last, arch, &basis.merge_safe, &a.fault);
    let cost_today = cost::today(arch, &a.cost);
    let rollout = rollout::plan(&plan, &strategies, &growth, arch, cost_today.total);
    let sensitivity = sensitivity::analyse(inputs, &workload, last, decision.chosen);
    let validation = validation(inputs);
    let today = basis.today_check();
    let sizing::Basis {
        vertices,
        clickhouse_rows_per_event,
        merge_safe,
        ..
    } = basis;
    Model {
        workload,
        growth,
        vertices,
        clickhouse_rows_per_event,
        merge_safe,
        strategies,
        decision,
        plan,
        today,
        kafka_partitions_exhausted_month,
        slos,
        cost_today,
        validation,
        sensitivity,
        fault,
        rollout,
    }
}

/// The model against the committed benchmark, when there is one.
fn validation(inputs: &Inputs) -> Option<validation::Validation> {
    let (bench, scenarios) = inputs.bench.as_ref().zip(inputs.scenarios.as_ref())?;
    let keyed_op = inputs.architecture.keyed_operator();
    let pooled = inputs
        .metrics
        .pooled_rate(&keyed_op.name, keyed_op.parallelism);
    let now = validation::Current {
        keys: &inputs.keys,
        keyed_operator: &keyed_op.name,
        parallelism: keyed_op.parallelism,
        max_parallelism: keyed_op.max_parallelism,
        service_time_us: pooled.service_time_us(),
        service_time_samples: pooled.samples,
        scenarios,
    };
    Some(validation::validate(
        bench,
        &now,
        inputs.assumptions.flink.target_utilization.value,
    ))
}
